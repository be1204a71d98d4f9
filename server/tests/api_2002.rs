//! The server as Onezone 20.02 (`--api 20.02`), in process, on a fresh database per test (the
//! harness of `tests/common`, SQLite or PostgreSQL as `api.rs`).

mod common;

use common::*;
use onezone_server::Api;

fn start_2002(db: &TempDb, users: &[&str]) -> Server {
    let mut config = config(db, users);
    config.api = Api::V2002;
    Server::start_with(config)
}

/// Asserts a 20.02 error answer: the status, `{"error": {"id", "description", ..}}` and no
/// other key, and returns the error object.
#[track_caller]
fn expect_error(reply: &Reply, status: u16, id: &str) -> Value {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.body);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert_eq!(reply.body.as_object().map(|o| o.len()), Some(1), "{}", reply.body);
    let error = reply.body["error"].clone();
    assert_eq!(error["id"], id, "{}", reply.body);
    let description = error["description"].as_str().unwrap_or_default();
    assert!(description.ends_with('.'), "Onezone's descriptions are sentences: {error}");
    error
}

#[tokio::test]
async fn errors_are_answered_in_the_2002_shape_with_their_ids() {
    let db = TempDb::new("errors_2002");
    let s = start_2002(&db, &["alice", "bob"]);
    let r = &s.router;

    // Wrong basic credentials: `unauthorized` carrying `badBasicCredentials`.
    let reply = send_as(r, Method::GET, "/groups/nope", Some(("alice", "wrong")), None, None).await;
    let error = expect_error(&reply, 401, "unauthorized");
    assert_eq!(error["details"]["authError"]["id"], "badBasicCredentials");

    // An unknown route and an unknown group: `notFound`.
    expect_error(&get(r, "/no/such/route", None).await, 404, "notFound");
    expect_error(&get(r, "/groups/nope", Some("alice")).await, 404, "notFound");

    // The library's refusals by their 20.02 ids: a body that is not a JSON object.
    let reply = post(r, "/user/groups", Some("alice"), Some("[1]")).await;
    expect_error(&reply, 400, "malformedData");

    // Another user's group: 403 `forbidden`; already a member: 409 `relationAlreadyExists`.
    let body = json!({"name": "Physicists", "type": "team"}).to_string();
    let reply = post(r, "/user/groups", Some("alice"), Some(&body)).await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.body);
    let group = reply.location.unwrap().rsplit('/').next().unwrap().to_owned();
    let reply = post(r, &format!("/groups/{group}/users/token"), Some("bob"), None).await;
    expect_error(&reply, 403, "forbidden");
    let reply = post(r, &format!("/groups/{group}/users/token"), Some("alice"), None).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let token = reply.body["token"].as_str().unwrap().to_owned();
    let join = json!({"token": token}).to_string();
    let reply = post(r, "/user/groups/join", Some("alice"), Some(&join)).await;
    let error = expect_error(&reply, 409, "relationAlreadyExists");
    assert_eq!(
        error["details"],
        json!({"childType": "user", "childId": "alice", "parentType": "group", "parentId": group})
    );

    // The framework's own refusals keep their status, with the nearest id.
    let reply = send(r, Method::PUT, "/user/groups", Some("alice"), None, None).await;
    expect_error(&reply, 405, "notSupported");
    let reply =
        send(r, Method::POST, "/user/groups", Some("alice"), Some("{}"), Some("text/plain")).await;
    expect_error(&reply, 415, "malformedData");
}

#[tokio::test]
async fn without_the_flag_errors_keep_the_1706_shape() {
    let db = TempDb::new("errors_1706");
    let s = Server::start(&db, &["alice"]);
    let reply = get(&s.router, "/groups/nope", Some("alice")).await;
    expect(&reply, 404);
    let reply =
        send_as(&s.router, Method::GET, "/groups/x", Some(("alice", "no")), None, None).await;
    expect(&reply, 401);
}

const ORIGIN: &str = "https://onezone.test/api/v3/onezone";

/// The 21 privileges of 20.02 (ctool release/20.02.20 `privileges.erl` `group_admin/0`), sorted.
const ADMIN_2002: [&str; 21] = [
    "group_add_child",
    "group_add_cluster",
    "group_add_harvester",
    "group_add_parent",
    "group_add_space",
    "group_add_user",
    "group_create_handle",
    "group_create_handle_service",
    "group_delete",
    "group_leave_cluster",
    "group_leave_handle",
    "group_leave_handle_service",
    "group_leave_parent",
    "group_leave_space",
    "group_remove_child",
    "group_remove_harvester",
    "group_remove_user",
    "group_set_privileges",
    "group_update",
    "group_view",
    "group_view_privileges",
];

/// Asserts a 201 without a body, and returns its `Location`.
#[track_caller]
fn created(reply: &Reply) -> String {
    assert_eq!(reply.status.as_u16(), 201, "body: {}", reply.body);
    assert_eq!(reply.body, Value::Null, "20.02 answers 201 without a body");
    assert_eq!(reply.content_type, None);
    reply.location.clone().expect("a Location")
}

/// `POST /user/groups` as 20.02: 201, `Location: https://<domain>/api/v3/onezone/user/groups/{id}`.
async fn create_group_2002(r: &Router, user: &str, body: Value) -> String {
    let reply = post(r, "/user/groups", Some(user), Some(&body.to_string())).await;
    let location = created(&reply);
    let id = location.strip_prefix(&format!("{ORIGIN}/user/groups/")).expect(&location);
    assert_eq!(id.len(), 32, "{location}");
    id.to_owned()
}

async fn legacy_invite(r: &Router, user: &str, path: &str, body: Option<&str>) -> String {
    let reply = post(r, path, Some(user), body).await;
    assert_eq!(reply.status.as_u16(), 200, "body: {}", reply.body);
    assert_eq!(reply.body.as_object().map(|o| o.len()), Some(1), "{}", reply.body);
    reply.body["token"].as_str().unwrap().to_owned()
}

async fn patch(r: &Router, path: &str, user: &str, body: Value) -> Reply {
    send(r, Method::PATCH, path, Some(user), Some(&body.to_string()), None).await
}

async fn privileges(r: &Router, path: &str, user: &str) -> Value {
    let reply = get(r, path, Some(user)).await;
    assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.body);
    assert_eq!(reply.body.as_object().map(|o| o.len()), Some(1), "{}", reply.body);
    reply.body["privileges"].clone()
}

/// oz-worker release/20.02.20 `user_rest_translator.erl` (`GET /user`, protected scope),
/// `user_routes.erl`, `group_rest_translator.erl`, `rest_translator.erl`
/// `created_reply_with_location`, `group_logic_plugin.erl` (`validate` and `create` of
/// `instance`, `get` of the protected scope).
#[tokio::test]
async fn the_user_and_their_groups_in_2002_shapes() {
    let db = TempDb::new("user_2002");
    let s = start_2002(&db, &["alice", "bob"]);
    let r = &s.router;

    let reply = get(r, "/user", Some("alice")).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({
            "userId": "alice", "username": "alice", "fullName": "alice",
            "basicAuthEnabled": true, "blocked": false, "emails": [], "linkedAccounts": [],
            "name": "alice", "login": "alice", "alias": "alice", "emailList": [],
        })
    );
    expect_error(&get(r, "/user", None).await, 401, "unauthorized");
    expect_error(&get(r, "/user/groups", None).await, 401, "unauthorized");
    let reply = get(r, "/user/groups", Some("alice")).await;
    assert_eq!((reply.status.as_u16(), reply.body.clone()), (200, json!({"groups": []})));

    // Created with 20.02's default type, `team`; the creator gets 20.02's 21 privileges.
    let lab = create_group_2002(r, "alice", json!({"name": "Lab"})).await;
    let roles =
        create_group_2002(r, "alice", json!({"name": "Roles", "type": "role_holders"})).await;
    let reply = get(r, &format!("/groups/{lab}"), Some("alice")).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"groupId": lab, "name": "Lab", "type": "team",
               "creator": {"type": "user", "id": "alice"}})
    );
    let reply = get(r, &format!("/groups/{roles}"), Some("alice")).await;
    assert_eq!(reply.body["type"], "role_holders");
    let mut mine = vec![lab.clone(), roles.clone()];
    mine.sort();
    let reply = get(r, "/user/groups", Some("alice")).await;
    assert_eq!(reply.body, json!({ "groups": mine }));
    assert_eq!(get(r, "/user/groups", Some("bob")).await.body, json!({"groups": []}));
    let path = format!("/groups/{lab}/users/alice/privileges");
    assert_eq!(privileges(r, &path, "alice").await, json!(ADMIN_2002));

    // Bodies refused as 20.02 refuses them.
    let reply =
        post(r, "/user/groups", Some("alice"), Some(r#"{"name": "X", "type": "role"}"#)).await;
    let error = expect_error(&reply, 400, "badValueNotAllowed");
    assert_eq!(
        error["details"],
        json!({"key": "type", "allowed": ["organization", "unit", "team", "role_holders"]})
    );
    let reply = post(r, "/user/groups", Some("alice"), Some(r#"{"type": "team"}"#)).await;
    assert_eq!(
        expect_error(&reply, 400, "missingRequiredValue")["details"],
        json!({"key": "name"})
    );
    let reply = post(r, "/user/groups", Some("alice"), Some(r#"{"name": 7}"#)).await;
    expect_error(&reply, 400, "badValueString");
    let reply = post(r, "/user/groups", Some("alice"), Some(r#"{"name": " "}"#)).await;
    expect_error(&reply, 400, "badValueName");
    expect_error(
        &post(r, "/user/groups", None, Some(r#"{"name": "X"}"#)).await,
        401,
        "unauthorized",
    );
    assert_eq!(get(r, "/user/groups", Some("alice")).await.body, json!({ "groups": mine }));

    // Another user's group: no member, 403; no such group, 404.
    expect_error(&get(r, &format!("/groups/{lab}"), Some("bob")).await, 403, "forbidden");
    expect_error(&get(r, "/groups/nope", Some("bob")).await, 404, "notFound");
    expect_error(&get(r, &format!("/groups/{lab}"), None).await, 401, "unauthorized");
}

#[tokio::test]
async fn without_the_flag_the_user_routes_stay_1706() {
    let db = TempDb::new("user_1706");
    let s = Server::start(&db, &["alice"]);
    let r = &s.router;
    expect(&get(r, "/user", Some("alice")).await, 404);
    expect(&get(r, "/user/groups", Some("alice")).await, 405);
    let id = create_group(r, "alice", "Lab").await; // 201, `/groups/{id}`, the group as body
    let reply = get(r, &format!("/groups/{id}"), Some("alice")).await;
    assert_eq!(reply.body, json!({"groupId": id, "name": "Lab", "type": "team"}));
    let path = format!("/groups/{id}/users/alice/privileges");
    let reply = get(r, &path, Some("alice")).await;
    assert_eq!(reply.body["privileges"].as_array().unwrap().len(), 12);
    assert!(reply.body["privileges"].as_array().unwrap().contains(&json!("group_invite_user")));
}

/// oz-worker release/20.02.20 `token_logic.erl` `create_legacy_invite_token`,
/// `group_logic_plugin.erl` (`authorize` of `invite_user_token` / `invite_group_token`:
/// `group_add_user` / `group_add_child`; `create` of `join`), `group_rest_translator.erl`
/// (`join` answered as `instance`, `?AS_USER` / `?AS_GROUP`).
#[tokio::test]
async fn legacy_invites_and_joins_as_2002_answers_them() {
    let db = TempDb::new("legacy_2002");
    let s = start_2002(&db, &["alice", "bob", "carol"]);
    let r = &s.router;
    let lab = create_group_2002(r, "alice", json!({"name": "Lab"})).await;

    // The body is ignored: what it asks for is not granted.
    let asks = json!({"usageLimit": 5, "privileges": ["group_delete"],
                      "caveats": [{"type": "time", "validUntil": 1}]});
    let path = format!("/groups/{lab}/users/token");
    let token = legacy_invite(r, "alice", &path, Some(&asks.to_string())).await;
    let record = stored_record(&s, &token);
    assert_eq!(record.usage_limit, onezone_tokens::invite::UsageLimit::ONCE);
    assert_eq!(record.privileges, onezone_tokens::group::PrivilegeSet::member());
    assert_eq!(record.valid_until, onezone_tokens::invite::InviteRecord::NO_EXPIRY);
    assert!(UnverifiedToken::parse(&token).unwrap().caveats().is_empty(), "no caveats");
    // No body at all; a body not declared JSON (415), or no JSON object (400), is refused.
    let other = legacy_invite(r, "alice", &path, None).await;
    let reply = send(r, Method::POST, &path, Some("alice"), Some("x"), Some("text/plain")).await;
    expect_error(&reply, 415, "malformedData");
    expect_error(&post(r, &path, Some("alice"), Some("[1]")).await, 400, "malformedData");
    expect_error(&post(r, &path, Some("alice"), Some("{")).await, 400, "malformedData");

    // Joining: 201, the absolute Location, no body; then 409, and the spent token is refused.
    let reply = join(r, "bob", &token).await;
    assert_eq!(created(&reply), format!("{ORIGIN}/user/groups/{lab}"));
    let reply = join(r, "bob", &other).await;
    let error = expect_error(&reply, 409, "relationAlreadyExists");
    assert_eq!(
        error["details"],
        json!({"childType": "user", "childId": "bob", "parentType": "group", "parentId": lab})
    );
    expect_error(&join(r, "carol", &token).await, 400, "inviteTokenUsageLimitReached");
    assert_eq!(get(r, "/user/groups", Some("bob")).await.body, json!({ "groups": [lab] }));
    let bob_in_lab = format!("/groups/{lab}/users/bob/privileges");
    assert_eq!(privileges(r, &bob_in_lab, "alice").await, json!(["group_view"]));

    // A member without `group_add_user` (or `group_add_child`) is forbidden to invite.
    expect_error(&post(r, &path, Some("bob"), None).await, 403, "forbidden");
    let children = format!("/groups/{lab}/children/token");
    expect_error(&post(r, &children, Some("bob"), None).await, 403, "forbidden");
    expect_error(&post(r, &path, None, None).await, 401, "unauthorized");
    expect_error(&post(r, "/groups/nope/users/token", Some("alice"), None).await, 404, "notFound");

    // A child group joins: `Location: .../groups/{child}/parents/{parent}`.
    let team = create_group_2002(r, "bob", json!({"name": "Team"})).await;
    let token = legacy_invite(r, "alice", &children, Some("{}")).await;
    let record = stored_record(&s, &token);
    assert_eq!(record.target, onezone_tokens::invite::InviteTarget::GroupJoinGroup);
    assert_eq!(record.usage_limit, onezone_tokens::invite::UsageLimit::ONCE);
    let join_path = format!("/groups/{team}/parents/join");
    let body = json!({"token": token}).to_string();
    expect_error(&post(r, &join_path, Some("carol"), Some(&body)).await, 403, "forbidden");
    let reply = post(r, &join_path, Some("bob"), Some(&body)).await;
    assert_eq!(created(&reply), format!("{ORIGIN}/groups/{team}/parents/{lab}"));
    let again = legacy_invite(r, "alice", &children, None).await;
    let reply = post(r, &join_path, Some("bob"), Some(&json!({"token": again}).to_string())).await;
    expect_error(&reply, 409, "relationAlreadyExists");
    let reply = get(r, &format!("/groups/{lab}/children"), Some("alice")).await;
    assert_eq!(reply.body, json!({ "groups": [team] }));
    let reply = get(r, &format!("/groups/{team}/parents"), Some("bob")).await;
    assert_eq!(reply.body, json!({ "groups": [lab] }));
    let child = format!("/groups/{lab}/children/{team}/privileges");
    assert_eq!(privileges(r, &child, "alice").await, json!(["group_view"]));
}

/// A legacy invite is a named token in 20.02 (oz-worker release/20.02.20 `token_logic.erl`
/// `create_legacy_invite_token` creates it through the named-token logic): listed among the
/// issuer's named tokens, read by id under its generated name, revoked like any other. Failed
/// before: 404 at `/tokens/named/{id}`, absent from the list.
#[tokio::test]
async fn legacy_invites_are_named_tokens() {
    let db = TempDb::new("legacy_named_2002");
    let s = start_2002(&db, &["alice", "bob"]);
    let r = &s.router;
    let lab = create_group_2002(r, "alice", json!({"name": "Lab"})).await;
    let path = format!("/groups/{lab}/users/token");
    let token = legacy_invite(r, "alice", &path, None).await;
    let other = legacy_invite(r, "alice", &path, None).await;
    let id = stored_record(&s, &token).token_id;

    let listed = get(r, "/user/tokens/named", Some("alice")).await;
    assert_eq!(listed.status.as_u16(), 200, "{}", listed.body);
    let ids = listed.body["tokens"].as_array().unwrap();
    assert!(ids.contains(&json!(id)), "{}", listed.body);
    assert_eq!(ids.len(), 2, "{}", listed.body);

    let named = get(r, &format!("/tokens/named/{id}"), Some("alice")).await;
    assert_eq!(named.status.as_u16(), 200, "{}", named.body);
    let b = &named.body;
    let name = b["name"].as_str().unwrap();
    let suffix = name.strip_prefix("user invite to group - Lab ").expect(name);
    assert!(suffix.len() == 6 && suffix.bytes().all(|c| c.is_ascii_hexdigit()), "{name}");
    assert_eq!(b["subject"], json!({"type": "user", "id": "alice"}));
    assert_eq!(
        b["type"],
        json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": lab, "parameters": {}}})
    );
    assert_eq!(b["caveats"], json!([]));
    assert_eq!(b["metadata"]["usageLimit"], 1);
    assert_eq!(b["metadata"]["privileges"], json!(["group_view"]));
    assert_eq!(b["token"], token.as_str());
    // By name too, and the two invites have names of their own.
    let encoded = name.replace(' ', "%20");
    let by_name = get(r, &format!("/user/tokens/named/name/{encoded}"), Some("alice")).await;
    assert_eq!(by_name.body["id"], id.as_str());
    let other_id = stored_record(&s, &other).token_id;
    let other_named = get(r, &format!("/tokens/named/{other_id}"), Some("alice")).await;
    assert_ne!(other_named.body["name"], name);

    // Revoked through the token routes: the join fails with the token's revocation.
    let reply = patch(r, &format!("/tokens/named/{id}"), "alice", json!({"revoked": true})).await;
    assert_eq!(reply.status.as_u16(), 204, "{}", reply.body);
    let error = expect_error(&join(r, "bob", &token).await, 400, "badValueToken");
    assert_eq!(error["details"]["tokenError"]["id"], "tokenRevoked");
}

#[test]
fn legacy_invite_names_are_onezones() {
    use onezone_tokens::invite::{InviteTarget, legacy_invite_name};
    let name = legacy_invite_name(InviteTarget::UserJoinGroup, "Lab", [0xde, 0xad, 0x01]);
    assert_eq!(name, "user invite to group - Lab dead01");
}

/// oz-worker release/20.02.20 `group_logic_plugin.erl` (`validate` and `update` of
/// `user_privileges` / `child_privileges`, `authorize` of their `get`), `entity_graph.erl`
/// `update_privileges`; ids from ctool release/20.02.20 `errors.erl`.
#[tokio::test]
async fn privileges_in_2002_names_with_grant_and_revoke() {
    let db = TempDb::new("privileges_2002");
    let s = start_2002(&db, &["alice", "bob", "carol"]);
    let r = &s.router;
    let lab = create_group_2002(r, "alice", json!({"name": "Lab"})).await;
    let token = legacy_invite(r, "alice", &format!("/groups/{lab}/users/token"), None).await;
    created(&join(r, "bob", &token).await);
    let bob_in_lab = format!("/groups/{lab}/users/bob/privileges");
    let alice_in_lab = format!("/groups/{lab}/users/alice/privileges");

    // A plain member reads the group and their own privileges, not another's (that needs
    // `group_view_privileges`).
    assert_eq!(get(r, &format!("/groups/{lab}"), Some("bob")).await.status.as_u16(), 200);
    assert_eq!(privileges(r, &bob_in_lab, "bob").await, json!(["group_view"]));
    let eff = format!("/groups/{lab}/effective_users/bob/privileges");
    assert_eq!(privileges(r, &eff, "bob").await, json!(["group_view"]));
    expect_error(&get(r, &alice_in_lab, Some("bob")).await, 403, "forbidden");
    expect_error(&get(r, &bob_in_lab, Some("carol")).await, 403, "forbidden");

    // `{"grant", "revoke"}`: 204; a privilege in both is granted.
    let body = json!({"grant": ["group_add_user", "group_view_privileges", "group_update"],
                      "revoke": ["group_view", "group_update"]});
    let reply = patch(r, &bob_in_lab, "alice", body).await;
    assert_eq!((reply.status.as_u16(), reply.body.clone()), (204, Value::Null));
    assert_eq!(
        privileges(r, &bob_in_lab, "alice").await,
        json!(["group_add_user", "group_update", "group_view_privileges"])
    );
    // Without `group_view` bob is still a member: he reads the group; he now invites, and
    // reads others' privileges.
    assert_eq!(get(r, &format!("/groups/{lab}"), Some("bob")).await.status.as_u16(), 200);
    expect_error(&get(r, &format!("/groups/{lab}/users"), Some("bob")).await, 403, "forbidden");
    assert_eq!(privileges(r, &alice_in_lab, "bob").await, json!(ADMIN_2002));
    legacy_invite(r, "bob", &format!("/groups/{lab}/users/token"), None).await;

    // 17.06's names are 400 `badValueListNotAllowed`, with the key and the 21 allowed names.
    for key in ["grant", "revoke"] {
        let reply = patch(r, &bob_in_lab, "alice", json!({ key: ["group_invite_user"] })).await;
        let error = expect_error(&reply, 400, "badValueListNotAllowed");
        assert_eq!(error["details"], json!({"key": key, "allowed": ADMIN_2002}));
    }
    let reply = patch(r, &bob_in_lab, "alice", json!({"operation": "set", "privileges": []})).await;
    let error = expect_error(&reply, 400, "missingAtLeastOneValue");
    assert_eq!(error["details"], json!({"keys": ["grant", "revoke"]}));
    let reply = patch(r, &bob_in_lab, "alice", json!({"grant": "group_view"})).await;
    expect_error(&reply, 400, "badValueListOfStrings");
    let reply = send(r, Method::PATCH, &bob_in_lab, Some("alice"), None, None).await;
    expect_error(&reply, 400, "missingAtLeastOneValue");
    // Refused bodies changed nothing.
    assert_eq!(
        privileges(r, &bob_in_lab, "alice").await,
        json!(["group_add_user", "group_update", "group_view_privileges"])
    );
    // The checks before the body: 403 for a member without `group_set_privileges`, 404.
    let grant_view = json!({"grant": ["group_view"]});
    expect_error(&patch(r, &alice_in_lab, "bob", grant_view.clone()).await, 403, "forbidden");
    let nobody = format!("/groups/{lab}/users/carol/privileges");
    expect_error(&patch(r, &nobody, "alice", grant_view.clone()).await, 404, "notFound");

    // A membership stored under 17.06 is listed in 20.02's names and keeps its meaning:
    // revoking `group_add_user` takes its 17.06 `group_invite_user` away.
    let group = onezone_tokens::group::GroupId::new(lab.as_str()).unwrap();
    let carol = onezone_tokens::group::UserId::new("carol").unwrap();
    let manager = onezone_tokens::group::PrivilegeSet::manager();
    blocking(|| s.app.store.write(|tx| tx.insert_membership(&group, &carol, manager))).unwrap();
    let carol_in_lab = format!("/groups/{lab}/users/carol/privileges");
    assert_eq!(
        privileges(r, &carol_in_lab, "alice").await,
        json!([
            "group_add_child",
            "group_add_parent",
            "group_add_user",
            "group_remove_child",
            "group_remove_user",
            "group_view"
        ])
    );
    legacy_invite(r, "carol", &format!("/groups/{lab}/users/token"), None).await;
    let reply = patch(r, &carol_in_lab, "alice", json!({"revoke": ["group_add_user"]})).await;
    assert_eq!(reply.status.as_u16(), 204, "{}", reply.body);
    let reply = post(r, &format!("/groups/{lab}/users/token"), Some("carol"), None).await;
    expect_error(&reply, 403, "forbidden");

    // A child group's privileges, the same way.
    let team = create_group_2002(r, "carol", json!({"name": "Team"})).await;
    let token = legacy_invite(r, "alice", &format!("/groups/{lab}/children/token"), None).await;
    let reply = post(
        r,
        &format!("/groups/{team}/parents/join"),
        Some("carol"),
        Some(&json!({"token": token}).to_string()),
    )
    .await;
    created(&reply);
    let team_in_lab = format!("/groups/{lab}/children/{team}/privileges");
    let reply = patch(r, &team_in_lab, "alice", json!({"grant": ["group_add_child"]})).await;
    assert_eq!(reply.status.as_u16(), 204, "{}", reply.body);
    assert_eq!(
        privileges(r, &team_in_lab, "alice").await,
        json!(["group_add_child", "group_view"])
    );
    let reply = patch(r, &team_in_lab, "alice", json!({"revoke": ["group_invite_group"]})).await;
    expect_error(&reply, 400, "badValueListNotAllowed");
    // Effective privileges come through the child, in 20.02's names.
    let carol_eff = format!("/groups/{lab}/effective_users/carol/privileges");
    assert_eq!(
        privileges(r, &carol_eff, "alice").await,
        json!([
            "group_add_child",
            "group_add_parent",
            "group_remove_child",
            "group_remove_user",
            "group_view"
        ])
    );
}
