//! The server's routes, in process: the router is called directly (no socket), on a fresh
//! database per test. Users get a cheap Argon2 cost here; the binary uses the default.
//!
//! The database is a SQLite file, or, when `ONEZONE_TEST_POSTGRES` names a PostgreSQL database
//! (`postgres://user@host:port/name`; CI sets it from `server/pg.sh`), a fresh PostgreSQL
//! database per test created through it and dropped at the end: the same tests on both
//! backends. Tests of what only SQLite has (its file, its lock, the version-1 migration) run on
//! SQLite either way.

mod common;

use common::*;

#[tokio::test]
async fn the_seed_endpoint_answers_every_status() {
    let db = TempDb::new("seed");
    let s = Server::start(&db, &["alice", "bob"]);
    let r = &s.router;
    let group = create_group(r, "alice", "Physicists").await;
    let path = format!("/groups/{group}/users/token");

    // 200 without a body, with `{}` and with white space.
    let token = invite(r, "alice", &group, None).await;
    invite(r, "alice", &group, Some("{}")).await;
    invite(r, "alice", &group, Some(" \n")).await;
    let parsed = UnverifiedToken::parse(&token).unwrap();
    assert_eq!(parsed.macaroon().location(), Some(&b"onezone.test"[..]));
    assert!(parsed.identifier().to_string().starts_with(&format!("2/nmd/usr-alice/ujg:{group}:/")));

    // 404 before 401: the group is checked first.
    expect(&post(r, "/groups/nosuchgroup/users/token", Some("alice"), None).await, 404);
    expect(&post(r, "/groups/nosuchgroup/users/token", None, None).await, 404);
    // 401: no credentials, a wrong password, an unknown user, another scheme.
    expect(&post(r, &path, None, None).await, 401);
    let mut wrong = Request::post(format!("{}{path}", routes::BASE))
        .header(header::AUTHORIZATION, basic("alice", "wrong"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(r.clone().oneshot(wrong).await.unwrap().status(), 401);
    wrong = Request::post(format!("{}{path}", routes::BASE))
        .header(header::AUTHORIZATION, "Bearer abc")
        .body(Body::empty())
        .unwrap();
    assert_eq!(r.clone().oneshot(wrong).await.unwrap().status(), 401);
    expect(&post(r, &path, Some("mallory"), None).await, 401);
    // 403: bob is no member; after joining he is a plain member, still without the privilege.
    expect(&post(r, &path, Some("bob"), None).await, 403);
    expect(&join(r, "bob", &token).await, 201);
    let reply = post(r, &path, Some("bob"), None).await;
    expect(&reply, 403);
    assert!(reply.body["error"].as_str().unwrap().contains("group_invite_user"));
    // 403 comes before 400: bob's malformed body is not even read.
    expect(&post(r, &path, Some("bob"), Some("{")).await, 403);
    // 400: malformed JSON, a bad value; an unknown key is ignored, as Onezone does.
    expect(&post(r, &path, Some("alice"), Some("{")).await, 400);
    expect(&post(r, &path, Some("alice"), Some(r#"{"colour": 1}"#)).await, 200);
    expect(&post(r, &path, Some("alice"), Some(r#"{"usageLimit": 0}"#)).await, 400);
    // 415: a body that is not declared JSON.
    let reply = send(r, Method::POST, &path, Some("alice"), Some("{}"), Some("text/plain")).await;
    expect(&reply, 415);
    // Declared JSON with a charset is fine.
    let reply = send(
        r,
        Method::POST,
        &path,
        Some("alice"),
        Some("{}"),
        Some("application/json; charset=utf-8"),
    )
    .await;
    expect(&reply, 200);
    // 413: a body over the limit.
    let big = format!(r#"{{"caveats": ["{}"]}}"#, "a".repeat(onezone_server::error::BODY_LIMIT));
    expect(&post(r, &path, Some("alice"), Some(&big)).await, 413);
    // Unknown routes and methods answer JSON too.
    expect(&get(r, "/nothing/here", Some("alice")).await, 404);
    let reply =
        send(r, Method::DELETE, &format!("/groups/{group}"), Some("alice"), None, None).await;
    expect(&reply, 405);
    let outside = Request::get("/elsewhere").body(Body::empty()).unwrap();
    let response = r.clone().oneshot(outside).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
}

#[tokio::test]
async fn joining_uses_the_token_once_and_grants_its_privileges() {
    let db = TempDb::new("join");
    let s = Server::start(&db, &["alice", "bob", "carol", "dave"]);
    let r = &s.router;
    let group = create_group(r, "alice", "Lab").await;
    let token = invite(r, "alice", &group, None).await;

    // Nothing but a member may look.
    expect(&get(r, &format!("/groups/{group}"), Some("bob")).await, 403);
    expect(&get(r, &format!("/groups/{group}"), None).await, 401);

    // A forged token (same identifier and caveats, another secret) is refused and not counted.
    let parsed = UnverifiedToken::parse(&token).unwrap();
    let caveats: Vec<_> = parsed
        .caveats()
        .into_iter()
        .map(|c| match c {
            TokenCaveat::Known(c) => c,
            TokenCaveat::Unknown { text, .. } => panic!("unknown caveat {text}"),
        })
        .collect();
    let forged =
        mint(&Secret::new(&b"not the secret"[..]), "onezone.test", &parsed.identifier(), &caveats)
            .unwrap();
    expect(&join(r, "bob", &forged).await, 400);
    expect(&join(r, "bob", "garbage").await, 400);
    expect(&post(r, "/user/groups/join", Some("bob"), Some("{}")).await, 400);
    expect(
        &post(r, "/user/groups/join", None, Some(&json!({"token": token}).to_string())).await,
        401,
    );

    let reply = join(r, "bob", &token).await;
    expect(&reply, 201);
    assert_eq!(reply.location.as_deref(), Some(format!("/user/groups/{group}").as_str()));
    assert_eq!(reply.body, json!({"groupId": group}));
    // Spent.
    let reply = join(r, "carol", &token).await;
    expect(&reply, 400);
    assert!(reply.body["error"].as_str().unwrap().contains("usage limit"), "{}", reply.body);

    let reply = get(r, &format!("/groups/{group}"), Some("bob")).await;
    expect(&reply, 200);
    assert_eq!(reply.body, json!({"groupId": group, "name": "Lab", "type": "team"}));
    assert_eq!(
        users(&get(r, &format!("/groups/{group}/users"), Some("bob")).await),
        ["alice", "bob"]
    );
    let reply = get(r, &format!("/groups/{group}/users/bob/privileges"), Some("alice")).await;
    assert_eq!(reply.body, json!({"privileges": ["group_view"]}));
    expect(&get(r, &format!("/groups/{group}/users/carol/privileges"), Some("alice")).await, 404);

    // A token for two uses, granting more than group_view (alice holds group_set_privileges).
    let body = r#"{"usageLimit": 2, "privileges": ["group_view", "group_invite_user"]}"#;
    let token = invite(r, "alice", &group, Some(body)).await;
    expect(&join(r, "carol", &token).await, 201);
    // Joining twice is refused without spending a use.
    expect(&join(r, "carol", &token).await, 400);
    expect(&join(r, "dave", &token).await, 201);
    expect(&join(r, "dave", &token).await, 400);
    let reply = get(r, &format!("/groups/{group}/users/carol/privileges"), Some("alice")).await;
    assert_eq!(reply.body, json!({"privileges": ["group_invite_user", "group_view"]}));
    // carol may now invite.
    invite(r, "carol", &group, None).await;
}

#[tokio::test]
async fn privileges_change_with_patch() {
    let db = TempDb::new("patch");
    let s = Server::start(&db, &["alice", "bob"]);
    let r = &s.router;
    let group = create_group(r, "alice", "Lab").await;
    expect(&join(r, "bob", &invite(r, "alice", &group, None).await).await, 201);
    let path = format!("/groups/{group}/users/bob/privileges");
    let patch = |user: Option<&'static str>, body: &'static str| {
        let path = path.clone();
        async move { send(r, Method::PATCH, &path, user, Some(body), None).await }
    };

    let grant = r#"{"operation": "grant", "privileges": ["group_invite_user"]}"#;
    expect(&patch(Some("bob"), grant).await, 403);
    expect(&patch(None, grant).await, 401);
    expect(&patch(Some("alice"), r#"{"operation": "add", "privileges": []}"#).await, 400);
    expect(&patch(Some("alice"), r#"{"privileges": ["group_fly"]}"#).await, 400);
    let reply = patch(Some("alice"), grant).await;
    expect(&reply, 204);
    assert_eq!(reply.body, Value::Null);
    invite(r, "bob", &group, None).await;
    expect(
        &patch(Some("alice"), r#"{"operation": "revoke", "privileges": ["group_invite_user"]}"#)
            .await,
        204,
    );
    expect(&post(r, &format!("/groups/{group}/users/token"), Some("bob"), None).await, 403);
    // Set, with the default operation.
    expect(&patch(Some("alice"), r#"{"privileges": ["group_view", "group_update"]}"#).await, 204);
    let reply = get(r, &path, Some("alice")).await;
    assert_eq!(reply.body, json!({"privileges": ["group_update", "group_view"]}));
    // Not a member.
    let reply = send(
        r,
        Method::PATCH,
        &format!("/groups/{group}/users/nobody/privileges"),
        Some("alice"),
        Some(grant),
        None,
    )
    .await;
    expect(&reply, 404);
}

#[tokio::test]
async fn groups_join_groups_and_members_become_effective() {
    let db = TempDb::new("nested");
    let s = Server::start(&db, &["alice", "bob", "carol"]);
    let r = &s.router;
    let parent = create_group(r, "alice", "Org").await;
    let child = create_group(r, "bob", "Team").await;
    let reply = post(r, &format!("/groups/{parent}/children/token"), Some("alice"), None).await;
    expect(&reply, 200);
    let token = reply.body["token"].as_str().unwrap().to_owned();
    let body = json!({"token": token}).to_string();
    // A user-join with a group invite is refused.
    expect(&join(r, "carol", &token).await, 400);
    // carol holds nothing in the child.
    expect(
        &post(r, &format!("/groups/{child}/parents/join"), Some("carol"), Some(&body)).await,
        403,
    );
    expect(&post(r, &format!("/groups/{child}/parents/join"), None, Some(&body)).await, 401);
    expect(&post(r, "/groups/nosuch/parents/join", Some("bob"), Some(&body)).await, 404);
    let reply = post(r, &format!("/groups/{child}/parents/join"), Some("bob"), Some(&body)).await;
    expect(&reply, 201);
    assert_eq!(
        reply.location.as_deref(),
        Some(format!("/groups/{child}/parents/{parent}").as_str())
    );

    let reply = get(r, &format!("/groups/{parent}/children"), Some("alice")).await;
    assert_eq!(reply.body, json!({"groups": [child]}));
    let reply = get(r, &format!("/groups/{child}/parents"), Some("bob")).await;
    assert_eq!(reply.body, json!({"groups": [parent]}));
    // bob is an effective member of the parent with the child's privileges there.
    assert_eq!(users(&get(r, &format!("/groups/{parent}/users"), Some("alice")).await), ["alice"]);
    let reply = get(r, &format!("/groups/{parent}/effective_users"), Some("bob")).await;
    assert_eq!(users(&reply), ["alice", "bob"]);
    let path = format!("/groups/{parent}/effective_users/bob/privileges");
    assert_eq!(get(r, &path, Some("bob")).await.body, json!({"privileges": ["group_view"]}));

    // Granting the child group_invite_user in the parent lets bob invite there.
    expect(&post(r, &format!("/groups/{parent}/users/token"), Some("bob"), None).await, 403);
    let grant = r#"{"operation": "grant", "privileges": ["group_invite_user"]}"#;
    let patch_path = format!("/groups/{parent}/children/{child}/privileges");
    expect(&send(r, Method::PATCH, &patch_path, Some("bob"), Some(grant), None).await, 403);
    expect(&send(r, Method::PATCH, &patch_path, Some("alice"), Some(grant), None).await, 204);
    let reply = get(r, &patch_path, Some("alice")).await;
    assert_eq!(reply.body, json!({"privileges": ["group_invite_user", "group_view"]}));
    let token = invite(r, "bob", &parent, None).await;
    expect(&join(r, "carol", &token).await, 201);

    // A cycle is refused.
    let reply = post(r, &format!("/groups/{child}/children/token"), Some("bob"), None).await;
    let token = reply.body["token"].as_str().unwrap().to_owned();
    let body = json!({"token": token}).to_string();
    expect(
        &post(r, &format!("/groups/{parent}/parents/join"), Some("alice"), Some(&body)).await,
        400,
    );
}

#[tokio::test]
async fn examine_reads_a_token_without_trusting_it() {
    let db = TempDb::new("examine");
    let s = Server::start(&db, &["alice"]);
    let r = &s.router;
    let group = create_group(r, "alice", "Lab").await;
    let token = invite(
        r,
        "alice",
        &group,
        Some(r#"{"caveats": [{"type": "ip", "whitelist": ["10.0.0.0/8"]}]}"#),
    )
    .await;
    let reply = post(r, "/tokens/examine", None, Some(&json!({"token": token}).to_string())).await;
    expect(&reply, 200);
    let b = &reply.body;
    assert_eq!(b["location"], "onezone.test");
    assert_eq!(b["format"], "v1");
    assert_eq!(b["escaped"], true);
    assert_eq!(b["verified"], false);
    assert_eq!(b["identifierFields"]["persistence"], "named");
    assert_eq!(b["identifierFields"]["subject"], json!({"type": "user", "id": "alice"}));
    assert_eq!(b["identifierFields"]["type"]["invite"]["target"], group.as_str());
    let caveats = b["caveats"].as_array().unwrap();
    assert_eq!(caveats.len(), 2, "{b}");
    assert_eq!(caveats[0]["json"]["type"], "time");
    assert_eq!(caveats[1]["json"], json!({"type": "ip", "whitelist": ["10.0.0.0/8"]}));
    assert_eq!(caveats[1]["caveat"], "ip = 10.0.0.0/8");

    expect(&post(r, "/tokens/examine", None, Some(r#"{"token": "garbage"}"#)).await, 400);
    expect(&post(r, "/tokens/examine", None, Some(r#"{"token": 1}"#)).await, 400);
    expect(&post(r, "/tokens/examine", None, Some("not json")).await, 400);
    expect(&post(r, "/tokens/examine", None, None).await, 400);
    let reply =
        send(r, Method::POST, "/tokens/examine", None, Some("{}"), Some("text/plain")).await;
    expect(&reply, 415);
}

/// N simultaneous joins with a one-use token: exactly one 201, the rest 400, one use counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_admit_exactly_one() {
    const N: usize = 16;
    let db = TempDb::new("race");
    let names: Vec<String> = (0..N).map(|i| format!("user{i}")).collect();
    let mut all: Vec<&str> = names.iter().map(String::as_str).collect();
    all.push("alice");
    let s = Server::start(&db, &all);
    let group = create_group(&s.router, "alice", "Race").await;
    let token = invite(&s.router, "alice", &group, None).await;
    // Warm the credential cache so the joins really race on the database.
    for name in &names {
        expect(&get(&s.router, "/groups/nosuch", Some(name)).await, 404);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let tasks: Vec<_> = names
        .iter()
        .map(|name| {
            let (router, token, name, barrier) =
                (s.router.clone(), token.clone(), name.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                join(&router, &name, &token).await.status.as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 400).count(), N - 1, "{statuses:?}");
    let members = users(&get(&s.router, &format!("/groups/{group}/users"), Some("alice")).await);
    assert_eq!(members.len(), 2, "{members:?}");

    assert_eq!(stored_record(&s, &token).usage_count, 1);
}

#[tokio::test]
async fn a_restart_loses_nothing_and_one_server_owns_the_file() {
    let db = TempDb::new("restart");
    let (group, token) = {
        let s = Server::start(&db, &["alice", "bob", "carol"]);
        // A second server on the same SQLite file is refused while the first runs (on
        // PostgreSQL, any number of servers share the database).
        if db.file().is_some() {
            let err = App::open(&config(&db, &[])).err().unwrap();
            assert!(err.contains("in use"), "{err}");
        }
        let group = create_group(&s.router, "alice", "Durable").await;
        let token = invite(&s.router, "alice", &group, None).await;
        expect(&join(&s.router, "bob", &token).await, 201);
        (group, token)
    };
    // Started again without --user: the users are still there.
    let s = Server::start(&db, &[]);
    let r = &s.router;
    let reply = get(r, &format!("/groups/{group}"), Some("bob")).await;
    expect(&reply, 200);
    assert_eq!(reply.body["name"], "Durable");
    assert_eq!(
        users(&get(r, &format!("/groups/{group}/users"), Some("alice")).await),
        ["alice", "bob"]
    );
    let reply = join(r, "carol", &token).await;
    expect(&reply, 400);
    assert!(reply.body["error"].as_str().unwrap().contains("usage limit"));
    // And the database is private to its owner.
    #[cfg(unix)]
    if let Some(file) = db.file() {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}

#[tokio::test]
async fn populate_makes_a_known_directory() {
    let db = TempDb::new("populate");
    let s = Server::start(&db, &["alice", "member-2-3"]);
    let ids = blocking(|| s.app.populate("alice", 5, 4, "member")).unwrap();
    assert_eq!(ids.len(), 5);
    let reply = get(&s.router, &format!("/groups/{}/users", ids[2]), Some("member-2-3")).await;
    assert_eq!(users(&reply), ["alice", "member-2-0", "member-2-1", "member-2-2", "member-2-3"]);
    expect(&get(&s.router, &format!("/groups/{}/users", ids[1]), Some("member-2-3")).await, 403);
    invite(&s.router, "alice", ids[4].as_str(), None).await;
}

#[tokio::test]
async fn wrong_credentials_answer_401_before_anything_else() {
    let db = TempDb::new("credentials");
    let s = Server::start(&db, &["alice"]);
    let r = &s.router;
    let group = create_group(r, "alice", "Secretive").await;
    for path in ["/groups/nosuchgroup", &format!("/groups/{group}")] {
        // No credentials at all: an anonymous client meets the 404-then-401 order.
        let anonymous = get(r, path, None).await;
        expect(&anonymous, if path.contains("nosuch") { 404 } else { 401 });
        // Wrong credentials never learn whether the group exists: 401 first, with Onezone's words.
        for credentials in [("alice", "wrong"), ("nobody", "secret"), ("bad id!", "secret")] {
            let reply = send_as(r, Method::GET, path, Some(credentials), None, None).await;
            expect(&reply, 401);
            assert_eq!(
                reply.body["error"], "Provided basic authorization credentials are not valid",
                "{credentials:?} on {path}"
            );
        }
    }
    // A malformed header is wrong credentials too.
    let request = Request::get(format!("{}/groups/nosuchgroup", routes::BASE))
        .header(header::AUTHORIZATION, "Basic !!!")
        .body(Body::empty())
        .unwrap();
    let response = r.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_version_1_database_is_migrated_on_open() {
    // Made by the 0.1 server (the directory as one JSON row); see tests/fixtures/v1.json.
    let facts: Value =
        serde_json::from_str(include_str!("fixtures/v1.json")).expect("the fixture's facts");
    let db = TempDb::sqlite("migrate");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1.db"), db.path()).unwrap();
    // The fixture's invite tokens carry the `time <` caveat they were issued with (a day after
    // they were made): the server runs an hour before the earliest, or the test would expire
    // with them (it did, on the day).
    let expiry = ["unused_infinity_token", "three_use_token_used_once"]
        .iter()
        .flat_map(|name| {
            let token = UnverifiedToken::parse(facts[name].as_str().unwrap()).unwrap();
            token.caveats().into_iter().filter_map(|caveat| match caveat {
                TokenCaveat::Known(Caveat::Time { valid_until }) => Some(valid_until),
                _ => None,
            })
        })
        .min()
        .expect("the fixture's tokens expire");
    let mut config = config(&db, &["erin"]);
    config.clock = Clock::Fixed(expiry - 3600);
    let first = Server::start_with(config);
    let s = &first;
    let r = &s.router;
    let physicists = facts["groups"]["physicists"].as_str().unwrap();
    let lab = facts["groups"]["lab"].as_str().unwrap();
    let as_user = |name: &str| (name.to_owned(), facts["users"][name].as_str().unwrap().to_owned());
    let get_as = |user: &str, path: String| {
        let (user, password) = as_user(user);
        async move { send_as(r, Method::GET, &path, Some((&user, &password)), None, None).await }
    };
    // The users and their passwords came along.
    let reply = get_as("alice", format!("/groups/{physicists}")).await;
    expect(&reply, 200);
    assert_eq!(reply.body["name"], "Physicists");
    assert_eq!(
        users(&get_as("alice", format!("/groups/{physicists}/users")).await),
        ["alice", "bob", "dave"]
    );
    // Direct privileges, the child link and its privileges, effective membership through it.
    let reply = get_as("alice", format!("/groups/{physicists}/users/bob/privileges")).await;
    assert_eq!(reply.body["privileges"], facts["members_of_physicists"]["bob"]);
    let reply = get_as("alice", format!("/groups/{physicists}/children/{lab}/privileges")).await;
    assert_eq!(reply.body["privileges"], facts["lab_is_child_of_physicists_with"]);
    let reply =
        get_as("carol", format!("/groups/{physicists}/effective_users/carol/privileges")).await;
    expect(&reply, 200);
    assert_eq!(reply.body["privileges"], facts["lab_is_child_of_physicists_with"]);
    let reply = get_as("alice", format!("/groups/{physicists}/effective_users")).await;
    assert_eq!(users(&reply), ["alice", "bob", "carol", "dave"]);
    // The invite records came along, with their secrets and counts: the unused token joins, the
    // three-use token used once has two uses left.
    let unused = facts["unused_infinity_token"].as_str().unwrap();
    expect(&join(r, "erin", unused).await, 201);
    let three = facts["three_use_token_used_once"].as_str().unwrap();
    let token_id = onezone_tokens::invite::InviteToken::parse(three).unwrap().token_id().to_owned();
    let record = s
        .app
        .store
        .write(|tx| tx.invite(&token_id))
        .map_err(|e: onezone_server::store::StoreError| e)
        .unwrap()
        .unwrap();
    assert_eq!(record.usage_count, 1);
    assert_eq!(record.usage_limit.to_string(), "3");
    let count =
        s.app.store.write(|tx| tx.invite_count()).map_err(|e: onezone_server::store::StoreError| e);
    assert_eq!(count.unwrap(), facts["invite_records"].as_u64().unwrap());
    drop(first);
    // Opened again, it is at version 2 and nothing is migrated twice.
    let s = Server::start(&db, &[]);
    let (user, password) = as_user("alice");
    let path = format!("/groups/{physicists}/users");
    let reply = send_as(&s.router, Method::GET, &path, Some((&user, &password)), None, None).await;
    assert_eq!(users(&reply), ["alice", "bob", "dave", "erin"]);
}

#[tokio::test]
async fn named_tokens_are_listed_revoked_and_deleted_by_their_issuer_or_an_admin() {
    let db = TempDb::new("named");
    let mut config = config(&db, &["alice", "bob", "carol", "root"]);
    config.admins = vec!["root".to_owned()];
    let s = Server::start_with(config);
    let r = &s.router;
    let group = create_group(r, "alice", "Named").await;
    let token = invite(r, "alice", &group, Some(r#"{"usageLimit": 3}"#)).await;
    let id = onezone_tokens::invite::InviteToken::parse(&token).unwrap().token_id().to_owned();

    // alice's own tokens: usage and expiry, never the secret nor the token.
    let reply = get(r, "/user/tokens/named", Some("alice")).await;
    expect(&reply, 200);
    let listed = reply.body["tokens"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(
        (listed[0]["usageLimit"].as_u64(), listed[0]["usageCount"].as_u64()),
        (Some(3), Some(0))
    );
    assert!(listed[0]["validUntil"].as_u64().is_some());
    let text = reply.body.to_string();
    assert!(!text.contains(&token) && !text.contains("secret"), "{text}");
    // A group's open invites (that the caller may manage).
    let reply = get(r, &format!("/user/tokens/named?group={group}"), Some("alice")).await;
    assert_eq!(reply.body["tokens"].as_array().unwrap().len(), 1);
    expect(&get(r, "/user/tokens/named", None).await, 401);
    let reply = get(r, "/user/tokens/named", Some("bob")).await;
    assert_eq!(reply.body["tokens"].as_array().unwrap().len(), 0);

    // By id: 404 before 401 before 403.
    let path = format!("/tokens/named/{id}");
    expect(&get(r, "/tokens/named/nosuchtoken", None).await, 404);
    expect(&get(r, &path, None).await, 401);
    let reply = get(r, &path, Some("bob")).await;
    expect(&reply, 403);
    expect(&get(r, &path, Some("alice")).await, 200);
    expect(&get(r, &path, Some("root")).await, 200);

    // Revoked by its issuer: joining fails at once, with the reason; reinstated: it works.
    let patch = |user: &'static str, body: &'static str| {
        let path = path.clone();
        async move { send(r, Method::PATCH, &path, Some(user), Some(body), None).await }
    };
    expect(&patch("bob", r#"{"revoked": true}"#).await, 403);
    expect(&patch("alice", r#"{}"#).await, 400);
    expect(&patch("alice", r#"{"revoked": true, "name": "ignored"}"#).await, 204);
    let reply = join(r, "carol", &token).await;
    expect(&reply, 400);
    assert!(reply.body["error"].as_str().unwrap().contains("revoked"), "{}", reply.body);
    expect(&patch("root", r#"{"revoked": false}"#).await, 204);
    expect(&join(r, "carol", &token).await, 201);

    // Deleted: gone, and the token no longer joins anyone.
    expect(&send(r, Method::DELETE, &path, Some("bob"), None, None).await, 403);
    expect(&send(r, Method::DELETE, &path, Some("alice"), None, None).await, 204);
    expect(&get(r, &path, Some("alice")).await, 404);
    expect(&join(r, "bob", &token).await, 400);
}

#[tokio::test]
async fn quotas_on_groups_and_open_invites_answer_429() {
    let db = TempDb::new("quotas");
    let mut config = config(&db, &["alice", "bob"]);
    config.quotas.groups_per_user = 2;
    config.quotas.open_invites_per_user = 2;
    let s = Server::start_with(config);
    let r = &s.router;
    let group = create_group(r, "alice", "One").await;
    create_group(r, "alice", "Two").await;
    let body = json!({"name": "Three", "type": "team"}).to_string();
    let reply = post(r, "/user/groups", Some("alice"), Some(&body)).await;
    expect(&reply, 429);
    assert!(reply.body["error"].as_str().unwrap().contains("maximum of 2 groups"));
    // Another user has a quota of its own.
    create_group(r, "bob", "Bob's").await;

    let first = invite(r, "alice", &group, None).await;
    invite(r, "alice", &group, None).await;
    let path = format!("/groups/{group}/users/token");
    let reply = post(r, &path, Some("alice"), None).await;
    expect(&reply, 429);
    assert!(reply.body["error"].as_str().unwrap().contains("open invite tokens"));
    // A used-up token is no longer open: room for one more.
    expect(&join(r, "bob", &first).await, 201);
    invite(r, "alice", &group, None).await;
    expect(&post(r, &path, Some("alice"), None).await, 429);
}

#[tokio::test]
async fn the_database_holds_no_token_secret_and_alone_mints_nothing() {
    let db = TempDb::new("secrets");
    let token = {
        let s = Server::start(&db, &["alice", "bob", "carol"]);
        let group = create_group(&s.router, "alice", "Secretless").await;
        let token = invite(&s.router, "alice", &group, Some(r#"{"usageLimit": 2}"#)).await;
        // The row has no secret: it is derived from the master key, kept in its own file.
        assert!(stored_record(&s, &token).secret.expose().is_empty());
        expect(&join(&s.router, "bob", &token).await, 201);
        token
    };
    let key = db.dir.join("onezone.db.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    // The same database with another master key (a stolen copy, say): the token is worthless.
    let mut other = config(&db, &[]);
    other.master_key_file = Some(db.dir.join("other.key"));
    let s = Server::start_with(other);
    expect(&join(&s.router, "carol", &token).await, 400);
    drop(s);
    // With its own key again, it works.
    let s = Server::start(&db, &[]);
    expect(&join(&s.router, "carol", &token).await, 201);
}

/// A body that does not arrive within `body_timeout` answers 408 (not the 400 of a body that
/// failed to read) and the connection is closed; a body that arrives in time is unaffected.
#[tokio::test]
async fn a_late_body_answers_408_and_closes_the_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let db = TempDb::new("late-body");
    let mut config = config(&db, &["alice"]);
    config.server_limits.body_timeout = std::time::Duration::from_millis(300);
    let app = blocking(|| App::open(&config).unwrap());
    release(&app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(onezone_server::serve(app, listener, async {
        let _ = stopped.await;
    }));

    let exchange = |request: Vec<u8>| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(&request).await.unwrap();
        let mut answer = Vec::new();
        // Until the server closes the connection (or 10 s, which fails below).
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_to_end(&mut answer),
        )
        .await;
        (read.is_ok(), String::from_utf8_lossy(&answer).into_owned())
    };
    let head = "POST /api/v3/onezone/tokens/examine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                Content-Type: application/json\r\n";

    let (closed, answer) =
        exchange(format!("{head}Content-Length: 60\r\n\r\n{{\"token\": ").into_bytes()).await;
    assert!(closed, "the connection is still open: {answer}");
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("not received within 300ms"), "{answer}");

    let body = r#"{"token": "not a token"}"#;
    let (closed, answer) =
        exchange(format!("{head}Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()).await;
    assert!(closed, "{answer}");
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// A usage limit the library accepts but a `BIGINT` column cannot hold (2^63 to 2^64-1) is the
/// request's fault: 400 naming the column, and nothing stored (it was a 500 from the store).
#[tokio::test]
async fn a_usage_limit_past_the_columns_range_is_a_400_not_a_500() {
    let db = TempDb::new("too-large");
    let s = Server::start(&db, &["alice"]);
    let group = create_group(&s.router, "alice", "Bounded").await;
    let path = format!("/groups/{group}/users/token");
    for limit in ["9223372036854775808", "18446744073709551615"] {
        let body = format!(r#"{{"usageLimit": {limit}}}"#);
        let reply = post(&s.router, &path, Some("alice"), Some(&body)).await;
        expect(&reply, 400);
        let error = reply.body["error"].as_str().unwrap();
        assert!(error.contains("usage_limit") || error.contains("usageLimit"), "{error}");
    }
    // The largest that fits is stored.
    invite(&s.router, "alice", &group, Some(r#"{"usageLimit": 9223372036854775807}"#)).await;
    let count = blocking(|| s.app.store.write(|tx| tx.invite_count()));
    assert_eq!(count.map_err(|e: onezone_server::store::StoreError| e).unwrap(), 1);
}
