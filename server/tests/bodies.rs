//! Request bodies as Onezone reads them (issue 16, defects 1-5 and 12): every body is a JSON
//! object, never an array read by position nor a scalar; refusals are 400s that name the key
//! and never a Rust type; a usage limit past the store's BIGINT is a 400, not a 500; every body
//! route answers 415 to a body not declared JSON; a shared master-key file is refused.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use onezone_server::{App, Config, Database, routes};
use onezone_tokens::invite::InviteToken;
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "secret";

/// A fresh directory, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "onezone-server-bodies-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(dir: &TempDir) -> Config {
    let mut config = Config::new(Database::Sqlite(dir.0.join("onezone.db")));
    config.domain = "onezone.test".to_owned();
    config.password_params = argon2::Params::new(64, 1, 1, None).unwrap();
    config.users =
        ["alice", "bob"].iter().map(|u| ((*u).to_owned(), PASSWORD.to_owned())).collect();
    config
}

struct Reply {
    status: StatusCode,
    body: Value,
}

impl Reply {
    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

/// Sends `body` (if any) with this content type.
async fn send(
    router: &Router,
    method: Method,
    path: &str,
    user: Option<&str>,
    body: Option<&str>,
    content_type: &str,
) -> Reply {
    let mut request = Request::builder().method(method).uri(format!("{}{path}", routes::BASE));
    if let Some(user) = user {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PASSWORD}"));
        request = request.header(header::AUTHORIZATION, format!("Basic {encoded}"));
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let request = request.body(Body::from(body.unwrap_or("").to_owned())).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    Reply { status, body }
}

async fn json(router: &Router, method: Method, path: &str, user: &str, body: &str) -> Reply {
    send(router, method, path, Some(user), Some(body), "application/json").await
}

#[track_caller]
fn expect(reply: &Reply, status: u16) {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.body);
}

/// The names of the Rust types behind the bodies, none of which a message may show.
const RUST_NAMES: [&str; 12] = [
    "struct",
    "enum",
    "GroupInviteTokenRequest",
    "JoinRequest",
    "CreateGroup",
    "ExamineRequest",
    "PrivilegeChange",
    "NamedTokenUpdate",
    "CaveatJson",
    "UsageLimit",
    "Fields",
    "u64",
];

#[track_caller]
fn refused_without_rust_names(reply: &Reply, what: &str) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{what}: {}", reply.body);
    let error = reply.error();
    assert!(error.starts_with("Invalid request: "), "{what}: {error}");
    for name in RUST_NAMES {
        assert!(!error.contains(name), "{what}: the message names {name}: {error}");
    }
}

/// A server with alice's group `g` and group `c`, `c` a child of `g`, bob a member of `g`, and
/// an unused invite token of `g` (with its id).
struct World {
    router: Router,
    g: String,
    c: String,
    token: String,
    token_id: String,
    _dir: TempDir,
}

async fn world(name: &str) -> World {
    let dir = TempDir::new(name);
    let router = routes::router(App::open(&config(&dir)).unwrap());
    let r = &router;
    let mut groups = Vec::new();
    for name in ["G", "C"] {
        let body = json!({ "name": name }).to_string();
        let reply = json(r, Method::POST, "/user/groups", "alice", &body).await;
        expect(&reply, 201);
        groups.push(reply.body["groupId"].as_str().unwrap().to_owned());
    }
    let (g, c) = (groups[0].clone(), groups[1].clone());
    let token_of = |reply: Reply| {
        expect(&reply, 200);
        reply.body["token"].as_str().unwrap().to_owned()
    };
    let to_bob =
        token_of(json(r, Method::POST, &format!("/groups/{g}/users/token"), "alice", "{}").await);
    let body = json!({ "token": to_bob }).to_string();
    expect(&json(r, Method::POST, "/user/groups/join", "bob", &body).await, 201);
    let to_c = token_of(
        json(r, Method::POST, &format!("/groups/{g}/children/token"), "alice", "{}").await,
    );
    let body = json!({ "token": to_c }).to_string();
    expect(&json(r, Method::POST, &format!("/groups/{c}/parents/join"), "alice", &body).await, 201);
    let token =
        token_of(json(r, Method::POST, &format!("/groups/{g}/users/token"), "alice", "{}").await);
    let token_id = InviteToken::parse(&token).unwrap().token_id().to_owned();
    World { router, g, c, token, token_id, _dir: dir }
}

/// Every route with a body, as (method, path, user).
fn body_routes(w: &World) -> Vec<(Method, String, Option<&'static str>)> {
    let (g, c, id) = (&w.g, &w.c, &w.token_id);
    vec![
        (Method::POST, "/user/groups".to_owned(), Some("alice")),
        (Method::POST, format!("/groups/{g}/users/token"), Some("alice")),
        (Method::POST, format!("/groups/{g}/children/token"), Some("alice")),
        (Method::POST, "/user/groups/join".to_owned(), Some("bob")),
        (Method::POST, format!("/groups/{c}/parents/join"), Some("alice")),
        (Method::PATCH, format!("/groups/{g}/users/bob/privileges"), Some("alice")),
        (Method::PATCH, format!("/groups/{g}/children/{c}/privileges"), Some("alice")),
        (Method::POST, "/tokens/examine".to_owned(), None),
        (Method::PATCH, format!("/tokens/named/{id}"), Some("alice")),
    ]
}

#[tokio::test]
async fn every_body_route_refuses_arrays_scalars_and_null_naming_no_rust_type() {
    let w = world("shapes").await;
    let r = &w.router;
    let token = &w.token;
    // Defect 1: `[[],5,[..]]` issued a 5-use token granting `group_update`; `["<token>"]`
    // joined. Defect 4: a lone form feed (not JSON white space) counted as no body.
    let bodies = [
        "[]".to_owned(),
        r#"[[],5,["group_view","group_update"]]"#.to_owned(),
        format!(r#"["{token}"]"#),
        r#"["x", "team"]"#.to_owned(),
        r#"["grant", ["group_update"]]"#.to_owned(),
        "[true]".to_owned(),
        "null".to_owned(),
        "5".to_owned(),
        "\"x\"".to_owned(),
        "true".to_owned(),
        "\u{c}".to_owned(),
    ];
    for (method, path, user) in body_routes(&w) {
        for body in &bodies {
            let reply = send(r, method.clone(), &path, user, Some(body), "application/json").await;
            refused_without_rust_names(&reply, &format!("{method} {path} {body:?}"));
        }
    }
    // Nothing of it was used: bob is still a plain member, the token still joins once.
    let reply = send(
        r,
        Method::GET,
        &format!("/groups/{}/users/bob/privileges", w.g),
        Some("alice"),
        None,
        "",
    )
    .await;
    assert_eq!(reply.body, json!({"privileges": ["group_view"]}));
    let reply =
        send(r, Method::GET, &format!("/tokens/named/{}", w.token_id), Some("alice"), None, "")
            .await;
    assert_eq!(
        (reply.body["usageCount"].as_u64(), reply.body["revoked"].as_bool()),
        (Some(0), Some(false))
    );
    // Caveats are objects too: `["time", N]` is not read by position.
    let path = format!("/groups/{}/users/token", w.g);
    let reply =
        json(r, Method::POST, &path, "alice", r#"{"caveats": [["time", 4102444800]]}"#).await;
    refused_without_rust_names(&reply, "a caveat as an array");
    assert!(reply.error().contains("`caveats`"), "{}", reply.error());
}

#[tokio::test]
async fn a_refused_value_names_its_key() {
    let w = world("keys").await;
    let r = &w.router;
    let (g, c, id) = (&w.g, &w.c, &w.token_id);
    let cases = [
        (Method::POST, "/user/groups".to_owned(), Some("alice"), r#"{"name": 5}"#, "name"),
        (
            Method::POST,
            "/user/groups".to_owned(),
            Some("alice"),
            r#"{"name": "N", "type": 1}"#,
            "type",
        ),
        (
            Method::POST,
            format!("/groups/{g}/users/token"),
            Some("alice"),
            r#"{"usageLimit": 0}"#,
            "usageLimit",
        ),
        (
            Method::POST,
            format!("/groups/{g}/users/token"),
            Some("alice"),
            r#"{"privileges": "group_view"}"#,
            "privileges",
        ),
        (
            Method::POST,
            format!("/groups/{g}/users/token"),
            Some("alice"),
            r#"{"caveats": [{"type": "time", "validUntil": "x"}]}"#,
            "caveats",
        ),
        (Method::POST, "/user/groups/join".to_owned(), Some("bob"), r#"{"token": 5}"#, "token"),
        (
            Method::POST,
            format!("/groups/{c}/parents/join"),
            Some("alice"),
            r#"{"token": null}"#,
            "token",
        ),
        (
            Method::PATCH,
            format!("/groups/{g}/users/bob/privileges"),
            Some("alice"),
            r#"{"operation": 1, "privileges": []}"#,
            "operation",
        ),
        (
            Method::PATCH,
            format!("/groups/{g}/children/{c}/privileges"),
            Some("alice"),
            r#"{"privileges": {}}"#,
            "privileges",
        ),
        (Method::POST, "/tokens/examine".to_owned(), None, r#"{"token": []}"#, "token"),
        (
            Method::PATCH,
            format!("/tokens/named/{id}"),
            Some("alice"),
            r#"{"revoked": "yes"}"#,
            "revoked",
        ),
        // A missing key is named as well.
        (Method::POST, "/user/groups/join".to_owned(), Some("bob"), r#"{}"#, "token"),
        (
            Method::PATCH,
            format!("/groups/{g}/users/bob/privileges"),
            Some("alice"),
            r#"{"operation": "set"}"#,
            "privileges",
        ),
    ];
    for (method, path, user, body, key) in cases {
        let reply = send(r, method.clone(), &path, user, Some(body), "application/json").await;
        let what = format!("{method} {path} {body}");
        refused_without_rust_names(&reply, &what);
        assert!(reply.error().contains(&format!("`{key}`")), "{what}: {}", reply.error());
    }
    // Unknown keys are ignored, as Onezone ignores them.
    let reply =
        json(r, Method::POST, &format!("/groups/{g}/users/token"), "alice", r#"{"colour": [1]}"#)
            .await;
    expect(&reply, 200);
}

#[tokio::test]
async fn a_usage_limit_past_the_stores_bigint_is_a_400_naming_it() {
    let w = world("limit").await;
    let r = &w.router;
    let path = format!("/groups/{}/users/token", w.g);
    // Defect 3: 2^63 .. 2^64-1 passed the library and failed in the store, a 500.
    for limit in ["9223372036854775808", "18446744073709551615", "18446744073709551616", "1e19"] {
        let body = format!(r#"{{"usageLimit": {limit}}}"#);
        let reply = json(r, Method::POST, &path, "alice", &body).await;
        refused_without_rust_names(&reply, &body);
        assert!(reply.error().contains("`usageLimit`"), "{}", reply.error());
        assert!(reply.error().contains("9223372036854775807"), "{}", reply.error());
    }
    // The largest the store keeps is issued and read back.
    let reply =
        json(r, Method::POST, &path, "alice", r#"{"usageLimit": 9223372036854775807}"#).await;
    expect(&reply, 200);
    let id =
        InviteToken::parse(reply.body["token"].as_str().unwrap()).unwrap().token_id().to_owned();
    let reply = send(r, Method::GET, &format!("/tokens/named/{id}"), Some("alice"), None, "").await;
    assert_eq!(reply.body["usageLimit"].as_u64(), Some(i64::MAX as u64));
}

#[tokio::test]
async fn every_body_route_answers_415_to_a_body_not_declared_json_after_403() {
    let w = world("media").await;
    let r = &w.router;
    for (method, path, user) in body_routes(&w) {
        let reply = send(r, method.clone(), &path, user, Some("{}"), "text/plain").await;
        expect(&reply, 415);
        assert_eq!(reply.body.as_object().map(|o| o.len()), Some(1), "{method} {path}");
    }
    // Defect 5: the named-token PATCH revoked the token whatever the Content-Type.
    let path = format!("/tokens/named/{}", w.token_id);
    let revoke = r#"{"revoked": true}"#;
    expect(&send(r, Method::PATCH, &path, Some("alice"), Some(revoke), "text/plain").await, 415);
    let reply = send(r, Method::GET, &path, Some("alice"), None, "").await;
    assert_eq!(reply.body["revoked"], json!(false));
    // 404, 401 and 403 come first.
    expect(
        &send(r, Method::PATCH, "/tokens/named/none", Some("alice"), Some(revoke), "text/plain")
            .await,
        404,
    );
    expect(&send(r, Method::PATCH, &path, None, Some(revoke), "text/plain").await, 401);
    expect(&send(r, Method::PATCH, &path, Some("bob"), Some(revoke), "text/plain").await, 403);
    let issue = format!("/groups/{}/users/token", w.g);
    expect(&send(r, Method::POST, &issue, Some("bob"), Some("{"), "text/plain").await, 403);
    // 415 before 400: a body that is not declared JSON is not read.
    expect(&send(r, Method::POST, &issue, Some("alice"), Some("["), "text/plain").await, 415);
    // Declared JSON, it takes effect.
    expect(
        &send(
            r,
            Method::PATCH,
            &path,
            Some("alice"),
            Some(revoke),
            "application/json; charset=utf-8",
        )
        .await,
        204,
    );
    let reply = send(r, Method::GET, &path, Some("alice"), None, "").await;
    assert_eq!(reply.body["revoked"], json!(true));
}

#[cfg(unix)]
#[test]
fn a_master_key_file_others_may_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("key");
    let mut config = config(&dir);
    let key = dir.0.join("master.key");
    config.master_key_file = Some(key.clone());
    // The server's own file is its owner's only.
    drop(App::open(&config).unwrap());
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    // Defect 12: a key others may read was used without a word.
    for mode in [0o644, 0o604, 0o640, 0o620] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
        let refused = App::open(&config).err().unwrap_or_else(|| panic!("mode {mode:o} accepted"));
        assert!(refused.contains("chmod 600"), "{refused}");
        assert!(refused.contains(&format!("{mode:04o}")), "{refused}");
    }
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
    drop(App::open(&config).unwrap());
}
