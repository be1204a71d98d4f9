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
