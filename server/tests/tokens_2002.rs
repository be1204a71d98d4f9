//! Onezone 20.02's credentials and token routes (`--api 20.02`), in process, on a fresh
//! database per test (SQLite, or PostgreSQL with `ONEZONE_TEST_POSTGRES`). Shapes from oz-worker
//! release/20.02.20 `src/http/rest/translators/token_rest_translator.erl` and
//! `src/logic/token_logic_plugin.erl`; error ids from ctool `errors.erl`.

mod common;

use common::*;
use onezone_server::Api;

fn start_2002(db: &TempDb, users: &[&str]) -> Server {
    let mut config = config(db, users);
    config.api = Api::V2002;
    Server::start_with(config)
}

/// How a request authenticates.
#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Basic(&'a str),
    XAuthToken(&'a str),
    Bearer(&'a str),
    Macaroon(&'a str),
}

/// Sends a request with these credentials and extra headers; `body` as JSON.
async fn call(
    router: &Router,
    method: Method,
    path: &str,
    auth: Auth<'_>,
    extra: &[(&str, &str)],
    body: Option<Value>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(format!("{}{path}", routes::BASE));
    request = match auth {
        Auth::None => request,
        Auth::Basic(user) => request.header(header::AUTHORIZATION, basic(user, PASSWORD)),
        Auth::XAuthToken(token) => request.header("X-Auth-Token", token),
        Auth::Bearer(token) => request.header(header::AUTHORIZATION, format!("Bearer {token}")),
        Auth::Macaroon(token) => request.header("Macaroon", token),
    };
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    let response = router.clone().oneshot(request.body(Body::from(text)).unwrap()).await.unwrap();
    let status = response.status();
    let value = |name| {
        response.headers().get(name).map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (location, content_type) = (value(header::LOCATION), value(header::CONTENT_TYPE));
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    Reply { status, location, content_type, body }
}

/// Asserts a 20.02 error answer and returns the error object.
#[track_caller]
fn expect_error(reply: &Reply, status: u16, id: &str) -> Value {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.body);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert_eq!(reply.body.as_object().map(|o| o.len()), Some(1), "{}", reply.body);
    let error = reply.body["error"].clone();
    assert_eq!(error["id"], id, "{}", reply.body);
    assert!(error["description"].as_str().is_some_and(|d| d.ends_with('.')), "{error}");
    error
}

/// Asserts a 401 whose `authError` has this id; returns the `authError`.
#[track_caller]
fn expect_auth_error(reply: &Reply, id: &str) -> Value {
    let error = expect_error(reply, 401, "unauthorized");
    assert_eq!(error["details"]["authError"]["id"], id, "{error}");
    error["details"]["authError"].clone()
}

#[track_caller]
fn expect_ok(reply: &Reply, status: u16) {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.body);
}

/// `POST /user/tokens/named` as `auth`: 201, the absolute Location, `{"tokenId", "token"}`.
async fn named(router: &Router, auth: Auth<'_>, body: Value) -> (String, String) {
    let reply = call(router, Method::POST, "/user/tokens/named", auth, &[], Some(body)).await;
    expect_ok(&reply, 201);
    let id = reply.body["tokenId"].as_str().unwrap().to_owned();
    let token = reply.body["token"].as_str().unwrap().to_owned();
    assert_eq!(reply.body.as_object().unwrap().len(), 2, "{}", reply.body);
    let location = format!("https://onezone.test/api/v3/onezone/tokens/named/{id}");
    assert_eq!(reply.location.as_deref(), Some(location.as_str()));
    (id, token)
}

/// A group made by `auth`; its id from the Location.
async fn group(router: &Router, auth: Auth<'_>, name: &str) -> String {
    let body = json!({"name": name, "type": "team"});
    let reply = call(router, Method::POST, "/user/groups", auth, &[], Some(body)).await;
    expect_ok(&reply, 201);
    reply.location.unwrap().rsplit('/').next().unwrap().to_owned()
}

fn now() -> u64 {
    onezone_tokens::unix_seconds(std::time::SystemTime::now())
}

#[tokio::test]
async fn an_access_token_from_basic_auth_authenticates_in_every_header() {
    let db = TempDb::new("t2002_headers");
    let s = start_2002(&db, &["alice"]);
    let r = &s.router;
    let (id, token) = named(r, Auth::Basic("alice"), json!({"name": "cli token"})).await;
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()), "escaped: {token}");
    assert!(
        UnverifiedToken::parse(&token)
            .unwrap()
            .identifier()
            .to_string()
            .starts_with("2/nmd/usr-alice/act/")
    );

    for auth in [Auth::XAuthToken(&token), Auth::Bearer(&token), Auth::Macaroon(&token)] {
        let reply = call(r, Method::GET, "/user/tokens/named", auth, &[], None).await;
        expect_ok(&reply, 200);
        assert_eq!(reply.body, json!({"tokens": [id]}));
    }
    // X-Auth-Token comes first: a bad token there is refused even beside a good Bearer.
    let extra = [("X-Auth-Token", "garbage")];
    let reply =
        call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&token), &extra, None).await;
    expect_auth_error(&reply, "badToken");
    // With the token alice creates a group.
    let g = group(r, Auth::Bearer(&token), "Physicists").await;
    assert_eq!(g.len(), 32);
    // No credentials: 401 without authError.
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::None, &[], None).await;
    let error = expect_error(&reply, 401, "unauthorized");
    assert!(error.get("details").is_none(), "{error}");
    // Wrong basic credentials still answer badBasicCredentials.
    let reply = send_as(r, Method::GET, "/user/tokens/named", Some(("alice", "no")), None, None);
    expect_auth_error(&reply.await, "badBasicCredentials");
}

#[tokio::test]
async fn named_tokens_are_read_renamed_revoked_and_deleted() {
    let db = TempDb::new("t2002_named");
    let s = start_2002(&db, &["alice", "bob"]);
    let r = &s.router;
    let before = now();
    let body = json!({"name": "first", "customMetadata": {"app": "x"},
                      "caveats": [{"type": "interface", "interface": "rest"}]});
    let (id, token) = named(r, Auth::Basic("alice"), body).await;
    let path = format!("/tokens/named/{id}");

    let reply = call(r, Method::GET, &path, Auth::Bearer(&token), &[], None).await;
    expect_ok(&reply, 200);
    let created = reply.body["metadata"]["creationTime"].as_u64().unwrap();
    assert!(created >= before && created <= now(), "{created}");
    assert_eq!(
        reply.body,
        json!({
            "id": id, "name": "first", "subject": {"type": "user", "id": "alice"},
            "type": {"accessToken": {}},
            "caveats": [{"type": "interface", "interface": "rest"}],
            "metadata": {"creationTime": created, "custom": {"app": "x"}},
            "revoked": false, "token": token,
        })
    );
    let by_name =
        call(r, Method::GET, "/user/tokens/named/name/first", Auth::Basic("alice"), &[], None);
    assert_eq!(by_name.await.body, reply.body);
    expect_error(
        &call(r, Method::GET, "/user/tokens/named/name/nope", Auth::Basic("alice"), &[], None)
            .await,
        404,
        "notFound",
    );
    // Another user: 403; nobody: 401; no such token: 404.
    expect_error(
        &call(r, Method::GET, &path, Auth::Basic("bob"), &[], None).await,
        403,
        "forbidden",
    );
    expect_error(&call(r, Method::GET, &path, Auth::None, &[], None).await, 401, "unauthorized");
    let missing = call(r, Method::GET, "/tokens/named/nope", Auth::Basic("alice"), &[], None).await;
    expect_error(&missing, 404, "notFound");

    // A name is unique per subject (badValueIdentifierOccupied, key name); bob may use it.
    let again = json!({"name": "first"});
    let reply =
        call(r, Method::POST, "/user/tokens/named", Auth::Basic("alice"), &[], Some(again.clone()));
    let error = expect_error(&reply.await, 400, "badValueIdentifierOccupied");
    assert_eq!(error["details"], json!({"key": "name"}));
    named(r, Auth::Basic("bob"), again).await;
    let (second, _) = named(r, Auth::Basic("alice"), json!({"name": "second"})).await;
    // Bad bodies, by Onezone's ids.
    for (body, id, details) in [
        (json!({}), "missingRequiredValue", json!({"key": "name"})),
        (json!({"name": "x"}), "badValueName", Value::Null),
        (json!({"name": "ok", "type": {"nope": {}}}), "badValueTokenType", json!({"key": "type"})),
        (json!({"name": "ok", "revoked": 1}), "badValueBoolean", json!({"key": "revoked"})),
        (
            json!({"name": "ok", "customMetadata": 1}),
            "badValueJSON",
            json!({"key": "customMetadata"}),
        ),
        (
            json!({"name": "ok", "caveats": ["nonsense"]}),
            "badValueCaveat",
            json!({"caveat": "nonsense"}),
        ),
    ] {
        let reply =
            call(r, Method::POST, "/user/tokens/named", Auth::Basic("alice"), &[], Some(body))
                .await;
        let error = expect_error(&reply, 400, id);
        assert_eq!(error.get("details").cloned().unwrap_or(Value::Null), details, "{error}");
    }

    // PATCH: a taken name is refused; then rename, metadata, revoke.
    let patch = |body: Value| call(r, Method::PATCH, &path, Auth::Basic("alice"), &[], Some(body));
    expect_error(&patch(json!({"name": "second"})).await, 400, "badValueIdentifierOccupied");
    expect_ok(&patch(json!({"name": "renamed", "customMetadata": {"v": 2}})).await, 204);
    let reply = call(r, Method::GET, &path, Auth::Basic("alice"), &[], None).await;
    assert_eq!(
        (reply.body["name"].clone(), reply.body["metadata"]["custom"].clone()),
        (json!("renamed"), json!({"v": 2}))
    );
    let status = format!("{path}/status");
    let reply = call(r, Method::GET, &status, Auth::Basic("alice"), &[], None).await;
    assert_eq!((reply.status.as_u16(), reply.body.clone()), (200, json!({"revoked": false})));
    expect_ok(&patch(json!({"revoked": true})).await, 204);
    let reply = call(r, Method::GET, &status, Auth::Basic("alice"), &[], None).await;
    assert_eq!(reply.body, json!({"revoked": true}));
    // A revoked token no longer authenticates; reinstated, it does again.
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&token), &[], None).await;
    expect_auth_error(&reply, "tokenRevoked");
    expect_ok(&patch(json!({"revoked": false})).await, 204);
    let reply =
        call(r, Method::GET, "/user/tokens/named", Auth::XAuthToken(&token), &[], None).await;
    // Oldest first; two made in the same second come in id order.
    let mut ids: Vec<String> = serde_json::from_value(reply.body["tokens"].clone()).unwrap();
    ids.sort();
    let mut expected = vec![id.clone(), second];
    expected.sort();
    assert_eq!(ids, expected);

    // DELETE one: gone, and its token with it; DELETE all: none left.
    expect_ok(&call(r, Method::DELETE, &path, Auth::Basic("alice"), &[], None).await, 204);
    expect_error(
        &call(r, Method::GET, &path, Auth::Basic("alice"), &[], None).await,
        404,
        "notFound",
    );
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&token), &[], None).await;
    expect_auth_error(&reply, "tokenInvalid");
    let all = call(r, Method::DELETE, "/user/tokens/named", Auth::Basic("alice"), &[], None).await;
    expect_ok(&all, 204);
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::Basic("alice"), &[], None).await;
    assert_eq!(reply.body, json!({"tokens": []}));
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::Basic("bob"), &[], None).await;
    assert_eq!(reply.body["tokens"].as_array().unwrap().len(), 1, "bob's are his own");
}

#[tokio::test]
async fn invites_are_named_tokens_a_user_joins_with() {
    let db = TempDb::new("t2002_invites");
    let s = start_2002(&db, &["alice", "bob", "carol", "dave"]);
    let r = &s.router;
    let (_, alice) = named(r, Auth::Basic("alice"), json!({"name": "alice cli"})).await;
    let g = group(r, Auth::Bearer(&alice), "Physicists").await;
    let invite_type = json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": g}});
    let body = json!({"name": "join physicists", "type": invite_type, "usageLimit": 2});
    let (id, invite) = named(r, Auth::Bearer(&alice), body).await;
    assert!(
        UnverifiedToken::parse(&invite)
            .unwrap()
            .identifier()
            .to_string()
            .starts_with(&format!("2/nmd/usr-alice/ujg:{g}:/"))
    );

    // bob joins with it (basic auth), then again: 409 relationAlreadyExists.
    let join = |user: &'static str| {
        let body = json!({"token": invite});
        call(r, Method::POST, "/user/groups/join", Auth::Basic(user), &[], Some(body))
    };
    expect_ok(&join("bob").await, 201);
    let error = expect_error(&join("bob").await, 409, "relationAlreadyExists");
    assert_eq!(error["details"]["childId"], "bob");
    // The invite's metadata counts the use; carol takes the last one, dave finds none.
    let path = format!("/tokens/named/{id}");
    let reply = call(r, Method::GET, &path, Auth::Bearer(&alice), &[], None);
    let metadata = reply.await.body["metadata"].clone();
    assert_eq!(
        (
            metadata["usageLimit"].clone(),
            metadata["usageCount"].clone(),
            metadata["privileges"].clone()
        ),
        (json!(2), json!(1), json!(["group_view"]))
    );
    expect_ok(&join("carol").await, 201);
    let error = expect_error(&join("dave").await, 400, "inviteTokenUsageLimitReached");
    assert!(error.get("details").is_none(), "{error}");

    // bob is a plain member: he may not invite (inviteTokenSubjectNotAuthorized, not 403).
    let body = json!({"name": "bob invites", "type": invite_type});
    let reply =
        call(r, Method::POST, "/user/tokens/named", Auth::Basic("bob"), &[], Some(body)).await;
    expect_error(&reply, 400, "inviteTokenSubjectNotAuthorized");
    // Targets this server keeps none of, and groups that do not exist: inviteTokenTargetIdInvalid.
    for invite_type in [
        json!({"inviteToken": {"inviteType": "userJoinSpace", "spaceId": "s1"}}),
        json!({"inviteToken": {"inviteType": "userJoinHarvester", "harvesterId": "h1"}}),
        json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": "nosuchgroup"}}),
    ] {
        let body = json!({"name": "elsewhere", "type": invite_type});
        let reply =
            call(r, Method::POST, "/user/tokens/named", Auth::Bearer(&alice), &[], Some(body))
                .await;
        let error = expect_error(&reply, 400, "inviteTokenTargetIdInvalid");
        assert!(error["details"]["id"].is_string(), "{error}");
    }
    // 17.06 privilege names are not 20.02's; 20.02's are carried and granted.
    let body =
        json!({"name": "managers", "type": invite_type, "privileges": ["group_invite_user"]});
    let reply = call(r, Method::POST, "/user/tokens/named", Auth::Bearer(&alice), &[], Some(body));
    let error = expect_error(&reply.await, 400, "badValueListNotAllowed");
    assert_eq!(error["details"]["key"], "privileges");
    let body = json!({"name": "viewers", "type": invite_type, "privileges": ["group_view", "group_add_user"]});
    let (viewers, viewer_token) = named(r, Auth::Bearer(&alice), body).await;
    let path = format!("/tokens/named/{viewers}");
    let reply = call(r, Method::GET, &path, Auth::Bearer(&alice), &[], None);
    assert_eq!(reply.await.body["metadata"]["usageLimit"], "infinity");
    // Revoked, the invite no longer joins.
    let revoke = json!({"revoked": true});
    expect_ok(&call(r, Method::PATCH, &path, Auth::Bearer(&alice), &[], Some(revoke)).await, 204);
    let body = json!({"token": viewer_token});
    let reply =
        call(r, Method::POST, "/user/groups/join", Auth::Basic("dave"), &[], Some(body)).await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.body);
    // An invite is no credential.
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&invite), &[], None).await;
    let auth_error = expect_auth_error(&reply, "notAnAccessToken");
    assert_eq!(auth_error["details"]["received"]["inviteToken"]["groupId"], g);
}

#[tokio::test]
async fn temporary_tokens_need_a_time_caveat_and_are_revoked_all_at_once() {
    let db = TempDb::new("t2002_temporary");
    let s = start_2002(&db, &["alice"]);
    let r = &s.router;
    let post = |body: Value| {
        call(r, Method::POST, "/user/tokens/temporary", Auth::Basic("alice"), &[], Some(body))
    };
    // No time caveat, or one past 30 days: tokenTimeCaveatRequired with maxTtl.
    for body in
        [json!({}), json!({"caveats": [{"type": "time", "validUntil": now() + 2_592_000 + 60}]})]
    {
        let error = expect_error(&post(body).await, 400, "tokenTimeCaveatRequired");
        assert_eq!(error["details"], json!({"maxTtl": 2_592_000}));
    }
    let until = now() + 3600;
    let reply = post(json!({"caveats": [{"type": "time", "validUntil": until}]})).await;
    expect_ok(&reply, 201);
    assert_eq!(reply.location, None);
    assert_eq!(reply.body.as_object().unwrap().len(), 1);
    let token = reply.body["token"].as_str().unwrap().to_owned();
    assert!(
        UnverifiedToken::parse(&token)
            .unwrap()
            .identifier()
            .to_string()
            .starts_with("2/tmp-1/usr-alice/act/")
    );
    let generation =
        || call(r, Method::GET, "/user/tokens/temporary", Auth::Bearer(&token), &[], None);
    let reply = generation().await;
    assert_eq!((reply.status.as_u16(), reply.body.clone()), (200, json!({"generation": 1})));
    // verify_access_token: the subject and the seconds left.
    let body = json!({"token": token});
    let reply =
        call(r, Method::POST, "/tokens/verify_access_token", Auth::None, &[], Some(body.clone()));
    let reply = reply.await;
    expect_ok(&reply, 200);
    assert_eq!(reply.body["subject"], json!({"type": "user", "id": "alice"}));
    let ttl = reply.body["ttl"].as_u64().unwrap();
    assert!((3590..=3600).contains(&ttl), "{ttl}");

    let reply = call(r, Method::DELETE, "/user/tokens/temporary", Auth::Basic("alice"), &[], None);
    expect_ok(&reply.await, 204);
    expect_auth_error(&generation().await, "tokenRevoked");
    let reply =
        call(r, Method::GET, "/user/tokens/temporary", Auth::Basic("alice"), &[], None).await;
    assert_eq!(reply.body, json!({"generation": 2}));
    let reply = call(r, Method::POST, "/tokens/verify_access_token", Auth::None, &[], Some(body));
    expect_error(&reply.await, 400, "tokenRevoked");
    // A temporary invite is checked as a named one: alice's own group only.
    let g = group(r, Auth::Basic("alice"), "Lab").await;
    for (group_id, id) in [(g.as_str(), None), ("nosuchgroup", Some("inviteTokenTargetIdInvalid"))]
    {
        let body = json!({"type": {"inviteToken": {"inviteType": "userJoinGroup", "groupId": group_id}},
                          "caveats": [{"type": "time", "validUntil": until}]});
        let reply = post(body).await;
        match id {
            None => expect_ok(&reply, 201),
            Some(id) => drop(expect_error(&reply, 400, id)),
        }
    }
    // A new one works.
    let reply = post(json!({"caveats": [{"type": "time", "validUntil": until}]})).await;
    let fresh = reply.body["token"].as_str().unwrap().to_owned();
    assert!(
        UnverifiedToken::parse(&fresh).unwrap().identifier().to_string().starts_with("2/tmp-2/")
    );
    let reply =
        call(r, Method::GET, "/user/tokens/temporary", Auth::XAuthToken(&fresh), &[], None).await;
    assert_eq!(reply.body, json!({"generation": 2}));
}

#[tokio::test]
async fn api_interface_and_ip_caveats_are_checked_per_route() {
    let db = TempDb::new("t2002_caveats");
    let s = start_2002(&db, &["alice"]);
    let r = &s.router;
    // Reads of tokens only.
    let body = json!({"name": "read tokens", "caveats": ["api = ozw/get/token.*.*:*"]});
    let (_, reader) = named(r, Auth::Basic("alice"), body).await;
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&reader), &[], None).await;
    expect_ok(&reply, 200);
    let body = json!({"name": "Lab", "type": "team"});
    let reply = call(r, Method::POST, "/user/groups", Auth::Bearer(&reader), &[], Some(body)).await;
    let auth_error = expect_auth_error(&reply, "tokenCaveatUnverified");
    assert_eq!(auth_error["details"]["caveat"]["type"], "api");
    // Group creation only, as a GRI names it.
    let body = json!({"name": "make groups", "caveats": [
        {"type": "api", "whitelist": ["ozw/create/group.null.instance:private"]}]});
    let (_, maker) = named(r, Auth::Basic("alice"), body).await;
    group(r, Auth::Bearer(&maker), "Lab").await;
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&maker), &[], None).await;
    expect_auth_error(&reply, "tokenCaveatUnverified");
    // An interface caveat for another interface, and an IP caveat: REST requests have no
    // address in process, so an IP caveat fails.
    for caveat in ["interface = oneclient", "ip = 10.0.0.0/8"] {
        let body = json!({"name": format!("c {}", caveat.len()), "caveats": [caveat]});
        let (_, token) = named(r, Auth::Basic("alice"), body).await;
        let reply = call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&token), &[], None);
        expect_auth_error(&reply.await, "tokenCaveatUnverified");
    }
    // verify_access_token with a peerIp and an interface: the caveats hold there.
    let body = json!({"name": "from ten", "caveats": ["ip = 10.0.0.0/8", "interface = rest"]});
    let (_, token) = named(r, Auth::Basic("alice"), body).await;
    let verify = |body: Value| {
        call(r, Method::POST, "/tokens/verify_access_token", Auth::None, &[], Some(body))
    };
    let reply = verify(json!({"token": token, "peerIp": "10.1.2.3", "interface": "rest"})).await;
    expect_ok(&reply, 200);
    assert_eq!(reply.body, json!({"subject": {"type": "user", "id": "alice"}, "ttl": null}));
    let reply = verify(json!({"token": token, "peerIp": "11.1.2.3", "interface": "rest"})).await;
    let error = expect_error(&reply, 400, "tokenCaveatUnverified");
    assert_eq!(error["details"]["caveat"]["type"], "ip");
    let reply = verify(json!({"token": token, "peerIp": "not an ip"})).await;
    expect_error(&reply, 400, "badValueIPv4Address");
    expect_error(&verify(json!({})).await, 400, "missingRequiredValue");
    let reply = verify(json!({"token": "garbage"})).await;
    let error = expect_error(&reply, 400, "badValueToken");
    assert_eq!(error["details"]["key"], "token");
}

#[tokio::test]
async fn examine_confine_and_verify_identity_and_invite_tokens() {
    let db = TempDb::new("t2002_examine");
    let s = start_2002(&db, &["alice"]);
    let r = &s.router;
    let (id, token) = named(r, Auth::Basic("alice"), json!({"name": "main"})).await;
    let post =
        |path: &'static str, body: Value| call(r, Method::POST, path, Auth::None, &[], Some(body));

    let reply = post("/tokens/examine", json!({"token": token})).await;
    expect_ok(&reply, 200);
    assert_eq!(
        reply.body,
        json!({"onezoneDomain": "onezone.test", "id": id, "persistence": "named",
               "subject": {"type": "user", "id": "alice"}, "type": {"accessToken": {}}, "caveats": []})
    );
    let reply = post(
        "/tokens/confine",
        json!({"token": token, "caveats": [{"type": "interface", "interface": "oneclient"}]}),
    )
    .await;
    expect_ok(&reply, 200);
    let confined = reply.body["token"].as_str().unwrap().to_owned();
    let reply = post("/tokens/examine", json!({"token": confined})).await;
    assert_eq!(reply.body["caveats"], json!([{"type": "interface", "interface": "oneclient"}]));
    let reply =
        call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&confined), &[], None).await;
    expect_auth_error(&reply, "tokenCaveatUnverified");
    expect_error(
        &post("/tokens/confine", json!({"token": token})).await,
        400,
        "missingRequiredValue",
    );

    // An identity token proves alice; it is no access token.
    let (_, identity) =
        named(r, Auth::Basic("alice"), json!({"name": "who", "type": {"identityToken": {}}})).await;
    let reply = post("/tokens/verify_identity_token", json!({"token": identity})).await;
    assert_eq!(reply.body, json!({"subject": {"type": "user", "id": "alice"}, "ttl": null}));
    let reply = post("/tokens/verify_access_token", json!({"token": identity})).await;
    let error = expect_error(&reply, 400, "notAnAccessToken");
    assert_eq!(error["details"]["received"], json!({"identityToken": {}}));
    let reply = post("/tokens/verify_identity_token", json!({"token": token})).await;
    expect_error(&reply, 400, "notAnIdentityToken");

    // An invite: verified as one, of the expected type or refused with both types.
    let g = group(r, Auth::Bearer(&token), "Lab").await;
    let ujg = json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": g}});
    let (_, invite) =
        named(r, Auth::Bearer(&token), json!({"name": "join lab", "type": ujg})).await;
    let reply = post(
        "/tokens/verify_invite_token",
        json!({"token": invite, "expectedInviteType": "userJoinGroup"}),
    )
    .await;
    assert_eq!(reply.body, json!({"subject": {"type": "user", "id": "alice"}, "ttl": null}));
    let reply = post(
        "/tokens/verify_invite_token",
        json!({"token": invite, "expectedInviteType": "groupJoinGroup"}),
    )
    .await;
    let error = expect_error(&reply, 400, "notAnInviteToken");
    assert_eq!(
        error["details"],
        json!({"expectedInviteType": "groupJoinGroup", "received":
            {"inviteToken": {"inviteType": "userJoinGroup", "groupId": g, "parameters": {}}}})
    );
    let reply = post("/tokens/verify_invite_token", json!({"token": token})).await;
    let error = expect_error(&reply, 400, "notAnInviteToken");
    assert_eq!(error["details"]["expectedInviteType"], "any");
}

#[tokio::test]
async fn without_the_flag_tokens_are_no_credentials_and_the_1706_routes_stay() {
    let db = TempDb::new("t1706_tokens");
    let s = Server::start(&db, &["alice"]);
    let r = &s.router;
    // A 20.02 route does not exist in 17.06.
    let reply = call(
        r,
        Method::POST,
        "/user/tokens/named",
        Auth::Basic("alice"),
        &[],
        Some(json!({"name": "x1"})),
    )
    .await;
    expect(&reply, 405);
    let reply =
        call(r, Method::GET, "/user/tokens/temporary", Auth::Basic("alice"), &[], None).await;
    expect(&reply, 404);
    // An access token header is not a credential: the request is anonymous.
    let reply =
        call(r, Method::GET, "/user/tokens/named", Auth::XAuthToken("anything"), &[], None).await;
    expect(&reply, 401);
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::Basic("alice"), &[], None).await;
    expect(&reply, 200);
    assert_eq!(reply.body, json!({"tokens": []}));
}

/// Two servers on one PostgreSQL database agree on revocation and generations: nothing is
/// cached, every request reads the records. (SQLite is one process's alone: on SQLite this
/// test checks one server twice over.)
#[tokio::test]
async fn instances_agree_on_revocation_and_generations() {
    let db = TempDb::new("t2002_instances");
    let a = start_2002(&db, &["alice"]);
    let b = match db.postgres {
        Some(_) => start_2002(&db, &[]),
        None => Server { app: Arc::clone(&a.app), router: a.router.clone() },
    };
    let (id, token) = named(&a.router, Auth::Basic("alice"), json!({"name": "shared"})).await;
    let reply =
        call(&b.router, Method::GET, "/user/tokens/named", Auth::Bearer(&token), &[], None).await;
    assert_eq!(reply.body, json!({"tokens": [id]}));
    let path = format!("/tokens/named/{id}");
    let revoke = json!({"revoked": true});
    expect_ok(
        &call(&a.router, Method::PATCH, &path, Auth::Bearer(&token), &[], Some(revoke)).await,
        204,
    );
    let reply =
        call(&b.router, Method::GET, "/user/tokens/named", Auth::Bearer(&token), &[], None).await;
    expect_auth_error(&reply, "tokenRevoked");

    let until = now() + 600;
    let body = json!({"caveats": [{"type": "time", "validUntil": until}]});
    let reply = call(
        &a.router,
        Method::POST,
        "/user/tokens/temporary",
        Auth::Basic("alice"),
        &[],
        Some(body),
    )
    .await;
    let temporary = reply.body["token"].as_str().unwrap().to_owned();
    expect_ok(
        &call(
            &b.router,
            Method::GET,
            "/user/tokens/temporary",
            Auth::Bearer(&temporary),
            &[],
            None,
        )
        .await,
        200,
    );
    expect_ok(
        &call(
            &b.router,
            Method::DELETE,
            "/user/tokens/temporary",
            Auth::Bearer(&temporary),
            &[],
            None,
        )
        .await,
        204,
    );
    let reply =
        call(&a.router, Method::GET, "/user/tokens/temporary", Auth::Bearer(&temporary), &[], None)
            .await;
    expect_auth_error(&reply, "tokenRevoked");
}

/// A database of schema version 2 (before the token API) is brought to version 3 when a server
/// opens it, on either backend: its groups stay, the token tables appear, tokens work.
#[tokio::test]
async fn a_version_2_database_is_migrated_to_3() {
    let db = TempDb::new("t2002_migrate");
    let group_id = {
        let s = start_2002(&db, &["alice"]);
        group(&s.router, Auth::Basic("alice"), "Kept").await
    };
    // Back to version 2: the token tables gone, the version says 2.
    let downgrade = "DROP TABLE named_tokens; DROP TABLE temporary_token_generations;
        UPDATE meta SET value = '2' WHERE key = 'schema';";
    let version = "SELECT value FROM meta WHERE key = 'schema'";
    let read_version = || -> String {
        match (&db.postgres, db.file()) {
            (Some(pg), _) => blocking(|| {
                let mut client = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
                client.query_one(version, &[]).unwrap().get(0)
            }),
            (None, Some(file)) => {
                let conn = rusqlite::Connection::open(file).unwrap();
                conn.query_row(version, [], |r| r.get(0)).unwrap()
            }
            (None, None) => unreachable!(),
        }
    };
    match (&db.postgres, db.file()) {
        (Some(pg), _) => blocking(|| {
            let mut client = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
            client.batch_execute(downgrade).unwrap();
        }),
        (None, Some(file)) => {
            rusqlite::Connection::open(file).unwrap().execute_batch(downgrade).unwrap();
        }
        (None, None) => unreachable!(),
    }
    assert_eq!(read_version(), "2");
    let s = start_2002(&db, &["alice"]);
    let r = &s.router;
    let path = format!("/groups/{group_id}");
    let reply = call(r, Method::GET, &path, Auth::Basic("alice"), &[], None);
    expect_ok(&reply.await, 200);
    let (id, token) = named(r, Auth::Basic("alice"), json!({"name": "after migration"})).await;
    let reply = call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&token), &[], None).await;
    assert_eq!(reply.body, json!({"tokens": [id]}));
    drop(s);
    assert_eq!(read_version(), "3");
}

/// `X-Onedata-Consumer-Token` proves the consumer an access token's `consumer` caveat names
/// (an identity token, read from the database as the access token is);
/// `X-Onedata-Service-Token` must prove a Oneprovider (a user's token is `badServiceToken`).
#[tokio::test]
async fn consumer_and_service_token_headers() {
    let db = TempDb::new("t2002_consumer");
    let s = start_2002(&db, &["alice", "bob"]);
    let r = &s.router;
    let body = json!({"name": "for bob", "caveats": ["consumer = usr-bob"]});
    let (_, token) = named(r, Auth::Basic("alice"), body).await;
    let identity = json!({"name": "bob id", "type": {"identityToken": {}}});
    let (_, bob) = named(r, Auth::Basic("bob"), identity).await;
    let (_, alice_id) =
        named(r, Auth::Basic("alice"), json!({"name": "alice id", "type": {"identityToken": {}}}))
            .await;

    // No consumer: the caveat fails; bob's identity proves him; alice's does not.
    let get = |extra: Vec<(&'static str, String)>| {
        let token = token.clone();
        async move {
            let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
            call(r, Method::GET, "/user/tokens/named", Auth::Bearer(&token), &extra, None).await
        }
    };
    let error = expect_auth_error(&get(vec![]).await, "tokenCaveatUnverified");
    assert_eq!(error["details"]["caveat"], json!({"type": "consumer", "whitelist": ["usr-bob"]}));
    let reply = get(vec![("X-Onedata-Consumer-Token", bob.clone())]).await;
    expect_ok(&reply, 200);
    assert_eq!(reply.body["tokens"].as_array().unwrap().len(), 2, "alice's own tokens");
    let reply = get(vec![("X-Onedata-Consumer-Token", alice_id)]).await;
    expect_auth_error(&reply, "tokenCaveatUnverified");
    // An access token is no proof of a consumer's identity; garbage neither.
    let reply = get(vec![("X-Onedata-Consumer-Token", token.clone())]).await;
    let error = expect_auth_error(&reply, "badConsumerToken");
    assert_eq!(error["details"]["tokenError"]["id"], "notAnIdentityToken");
    // A user's identity token proves no service.
    let reply =
        get(vec![("X-Onedata-Consumer-Token", bob.clone()), ("X-Onedata-Service-Token", bob)]);
    expect_auth_error(&reply.await, "badServiceToken");
}

/// Every route names its operation and GRI: a token whose `api` caveat allows every operation
/// on every resource passes the caveat on each of them (a route without a GRI would fail it),
/// and one that allows only reads fails on every route that is not a `get`.
#[tokio::test]
async fn every_route_names_its_api_call() {
    let db = TempDb::new("t2002_every_route");
    let s = start_2002(&db, &["alice"]);
    let r = &s.router;
    let all = json!({"name": "everything", "caveats": ["api = ozw/all/*.*.*:*"]});
    let (_, everything) = named(r, Auth::Basic("alice"), all).await;
    let reads = json!({"name": "reads", "caveats": ["api = ozw/get/*.*.*:*"]});
    let (_, reader) = named(r, Auth::Basic("alice"), reads).await;
    let routes = [
        (Method::POST, "/user/groups"),
        (Method::POST, "/user/groups/join"),
        (Method::GET, "/groups/g1"),
        (Method::GET, "/groups/g1/users"),
        (Method::POST, "/groups/g1/users/token"),
        (Method::GET, "/groups/g1/users/u1/privileges"),
        (Method::PATCH, "/groups/g1/users/u1/privileges"),
        (Method::GET, "/groups/g1/effective_users"),
        (Method::GET, "/groups/g1/effective_users/u1/privileges"),
        (Method::GET, "/groups/g1/children"),
        (Method::POST, "/groups/g1/children/token"),
        (Method::GET, "/groups/g1/children/c1/privileges"),
        (Method::PATCH, "/groups/g1/children/c1/privileges"),
        (Method::GET, "/groups/g1/parents"),
        (Method::POST, "/groups/g1/parents/join"),
        (Method::POST, "/tokens/examine"),
        (Method::POST, "/tokens/confine"),
        (Method::POST, "/tokens/verify_access_token"),
        (Method::POST, "/tokens/verify_identity_token"),
        (Method::POST, "/tokens/verify_invite_token"),
        (Method::GET, "/user/tokens/named"),
        (Method::POST, "/user/tokens/named"),
        (Method::GET, "/user/tokens/named/name/n1"),
        (Method::GET, "/tokens/named/t1"),
        (Method::PATCH, "/tokens/named/t1"),
        (Method::DELETE, "/tokens/named/t1"),
        (Method::GET, "/tokens/named/t1/status"),
        (Method::GET, "/user/tokens/temporary"),
        (Method::POST, "/user/tokens/temporary"),
        (Method::DELETE, "/user/tokens/temporary"),
        (Method::DELETE, "/user/tokens/named"),
    ];
    // The reader first: the last route deletes both tokens.
    for (method, path) in routes {
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let reply = call(r, method.clone(), path, Auth::Bearer(&reader), &[], body.clone()).await;
        if method == Method::GET {
            assert_ne!(reply.status.as_u16(), 401, "{method} {path}: {}", reply.body);
        } else {
            expect_auth_error(&reply, "tokenCaveatUnverified");
        }
        let reply = call(r, method.clone(), path, Auth::Bearer(&everything), &[], body).await;
        assert_ne!(reply.status.as_u16(), 401, "{method} {path}: {}", reply.body);
    }
}

/// A temporary invite (`POST /user/tokens/temporary` with an invite type) joins as often as it is
/// valid, counting no use, until its subject revokes all their temporary tokens; its issuer's
/// invitation is re-checked at each join (oz-worker release/20.02.20
/// `src/logic/tokens/invite_tokens.erl` `consume_internal`).
#[tokio::test]
async fn temporary_invites_join_until_revoked_all_at_once() {
    let db = TempDb::new("t2002_temporary_invites");
    let s = start_2002(&db, &["alice", "bob", "carol", "dave", "erin", "frank"]);
    let r = &s.router;
    let g = group(r, Auth::Basic("alice"), "Lab").await;
    let temporary_invite = |user: &'static str| {
        let body = json!({"type": {"inviteToken": {"inviteType": "userJoinGroup", "groupId": g}},
                          "caveats": [{"type": "time", "validUntil": now() + 3600}]});
        async move {
            let reply =
                call(r, Method::POST, "/user/tokens/temporary", Auth::Basic(user), &[], Some(body));
            let reply = reply.await;
            expect_ok(&reply, 201);
            reply.body["token"].as_str().unwrap().to_owned()
        }
    };
    let join = |user: &'static str, token: &str| {
        let body = json!({"token": token});
        call(r, Method::POST, "/user/groups/join", Auth::Basic(user), &[], Some(body))
    };
    let invite = temporary_invite("alice").await;
    assert!(
        UnverifiedToken::parse(&invite)
            .unwrap()
            .identifier()
            .to_string()
            .starts_with(&format!("2/tmp-1/usr-alice/ujg:{g}:/"))
    );
    let location = format!("https://onezone.test/api/v3/onezone/user/groups/{g}");
    for user in ["bob", "carol"] {
        let reply = join(user, &invite).await;
        expect_ok(&reply, 201);
        assert_eq!(reply.location.as_deref(), Some(location.as_str()));
        assert_eq!(reply.body, Value::Null);
    }
    expect_error(&join("bob", &invite).await, 409, "relationAlreadyExists");
    // Members with the default privileges.
    let path = format!("/groups/{g}/users/carol/privileges");
    let reply = call(r, Method::GET, &path, Auth::Basic("alice"), &[], None).await;
    assert_eq!(reply.body["privileges"], json!(["group_view"]), "{}", reply.body);

    // Revoking all of alice's temporary tokens revokes the invite, with the answer a revoked
    // named invite gets (400 `badValueToken`, `tokenError` `tokenRevoked`).
    let named_invite = json!({"name": "revoked", "type": {"inviteToken": {"inviteType": "userJoinGroup", "groupId": g}}});
    let reply =
        call(r, Method::POST, "/user/tokens/named", Auth::Basic("alice"), &[], Some(named_invite));
    let reply = reply.await;
    let (named_id, named_token) = (reply.body["tokenId"].clone(), reply.body["token"].clone());
    let path = format!("/tokens/named/{}", named_id.as_str().unwrap());
    let revoke = json!({"revoked": true});
    expect_ok(&call(r, Method::PATCH, &path, Auth::Basic("alice"), &[], Some(revoke)).await, 204);
    let revoked_named =
        expect_error(&join("dave", named_token.as_str().unwrap()).await, 400, "badValueToken");
    assert_eq!(revoked_named["details"]["tokenError"]["id"], "tokenRevoked");
    let reply = call(r, Method::DELETE, "/user/tokens/temporary", Auth::Basic("alice"), &[], None);
    expect_ok(&reply.await, 204);
    let revoked_temporary = expect_error(&join("dave", &invite).await, 400, "badValueToken");
    assert_eq!(revoked_temporary, revoked_named);

    // bob may invite while he holds `group_add_user`; once it is revoked, his invite fails.
    let bob_in_g = format!("/groups/{g}/users/bob/privileges");
    let grant = json!({"grant": ["group_add_user"]});
    let reply = call(r, Method::PATCH, &bob_in_g, Auth::Basic("alice"), &[], Some(grant)).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let bobs = temporary_invite("bob").await;
    expect_ok(&join("erin", &bobs).await, 201);
    let revoke = json!({"revoke": ["group_add_user"]});
    let reply = call(r, Method::PATCH, &bob_in_g, Auth::Basic("alice"), &[], Some(revoke)).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    expect_error(&join("frank", &bobs).await, 400, "inviteTokenSubjectNotAuthorized");

    // A temporary child invite: two of frank's groups join as children (revoked at generation 2).
    let body = json!({"type": {"inviteToken": {"inviteType": "groupJoinGroup", "groupId": g}},
                      "caveats": [{"type": "time", "validUntil": now() + 3600}]});
    let reply =
        call(r, Method::POST, "/user/tokens/temporary", Auth::Basic("alice"), &[], Some(body));
    let child_invite = reply.await.body["token"].as_str().unwrap().to_owned();
    assert!(child_invite.len() > 20);
    for name in ["Team A", "Team B"] {
        let child = group(r, Auth::Basic("frank"), name).await;
        let path = format!("/groups/{child}/parents/join");
        let body = json!({"token": child_invite});
        let reply = call(r, Method::POST, &path, Auth::Basic("frank"), &[], Some(body)).await;
        expect_ok(&reply, 201);
        let location = format!("https://onezone.test/api/v3/onezone/groups/{child}/parents/{g}");
        assert_eq!(reply.location.as_deref(), Some(location.as_str()));
    }
}
