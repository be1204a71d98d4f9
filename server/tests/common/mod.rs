//! The harness of the server's in-process tests: a fresh database per test (SQLite, or
//! PostgreSQL when `ONEZONE_TEST_POSTGRES` names one), the app on it, and requests sent to its
//! router. Each test file uses part of it.

#![allow(dead_code, unused_imports)]

pub use std::path::PathBuf;
pub use std::sync::Arc;
pub use std::sync::atomic::{AtomicUsize, Ordering};

pub use axum::Router;
pub use axum::body::Body;
pub use axum::http::{Method, Request, StatusCode, header};
pub use base64::Engine;
pub use onezone_server::{App, Clock, Config, Database, routes};
pub use onezone_tokens::macaroon::Secret;
pub use onezone_tokens::token::{Caveat, TokenCaveat, UnverifiedToken, mint};
pub use serde_json::{Value, json};
pub use tower::ServiceExt;

pub const PASSWORD: &str = "secret";

/// Runs `f` on a thread of its own: the sync PostgreSQL client runs a runtime of its own, which
/// must not start (or be dropped) inside a test's async context.
pub fn blocking<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

/// A fresh database, removed at the end, and a directory of its own for files (the SQLite
/// file, the master key).
pub struct TempDb {
    pub dir: PathBuf,
    pub postgres: Option<PgDb>,
}

/// A PostgreSQL database, created through `admin` (the database of `ONEZONE_TEST_POSTGRES`).
pub struct PgDb {
    pub admin: String,
    pub name: String,
    pub url: String,
}

impl TempDb {
    /// On PostgreSQL if `ONEZONE_TEST_POSTGRES` is set, else SQLite.
    pub fn new(name: &str) -> TempDb {
        let mut db = TempDb::sqlite(name);
        if let Ok(admin) = std::env::var("ONEZONE_TEST_POSTGRES")
            && !admin.is_empty()
        {
            let name = db.dir.file_name().unwrap().to_str().unwrap().replace('-', "_");
            let (base, _) = admin.rsplit_once('/').expect("ONEZONE_TEST_POSTGRES names a database");
            let url = format!("{base}/{name}");
            blocking(|| {
                let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
                client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            });
            db.postgres = Some(PgDb { admin, name, url });
        }
        db
    }

    /// On SQLite, whatever the environment.
    pub fn sqlite(name: &str) -> TempDb {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "onezone_server_test_{}_{}_{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDb { dir, postgres: None }
    }

    pub fn database(&self) -> Database {
        match &self.postgres {
            Some(pg) => Database::Postgres(pg.url.clone()),
            None => Database::Sqlite(self.dir.join("onezone.db")),
        }
    }

    /// The SQLite file; `None` on PostgreSQL.
    pub fn file(&self) -> Option<PathBuf> {
        self.postgres.is_none().then(|| self.dir.join("onezone.db"))
    }

    pub fn path(&self) -> PathBuf {
        self.file().expect("a SQLite database")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(pg) = &self.postgres {
            blocking(|| {
                if let Ok(mut client) = postgres::Client::connect(&pg.admin, postgres::NoTls) {
                    let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name);
                    let _ = client.batch_execute(&drop);
                }
            });
        }
    }
}

pub fn config(db: &TempDb, users: &[&str]) -> Config {
    let mut config = Config::new(db.database());
    config.domain = "onezone.test".to_owned();
    config.password_params = argon2::Params::new(64, 1, 1, None).unwrap();
    config.users = users.iter().map(|u| ((*u).to_owned(), PASSWORD.to_owned())).collect();
    // Beside the database, as on SQLite (on PostgreSQL the default is the working directory).
    config.master_key_file = Some(db.dir.join("onezone.db.key"));
    config
}

pub struct Server {
    pub app: Arc<App>,
    pub router: Router,
}

impl Server {
    pub fn start(db: &TempDb, users: &[&str]) -> Server {
        Server::start_with(config(db, users))
    }

    pub fn start_with(config: Config) -> Server {
        let app = blocking(|| App::open(&config).unwrap());
        Server { router: routes::router(Arc::clone(&app)), app }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The sync PostgreSQL client must not be dropped in an async context: the app (and
        // its pool) goes to a thread of its own, dropped there once no request holds it. A
        // SQLite app is dropped here, at once, so that the next server may take the file.
        drop(std::mem::take(&mut self.router));
        release(&self.app);
    }
}

/// Lets go of `app` as the last holder on a thread of its own if it is on PostgreSQL: the sync
/// client must not be dropped in an async context.
pub fn release(app: &Arc<App>) {
    if matches!(app.store, onezone_server::store::Store::Postgres(_)) {
        let app = Arc::clone(app);
        std::thread::spawn(move || {
            while Arc::strong_count(&app) > 1 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
    }
}

/// The stored record of a token, as the database holds it (no secret derived in).
pub fn stored_record(s: &Server, token: &str) -> onezone_tokens::invite::InviteRecord {
    let id = onezone_tokens::invite::InviteToken::parse(token).unwrap().token_id().to_owned();
    blocking(|| s.app.store.write(|tx| tx.invite(&id)))
        .map_err(|e: onezone_server::store::StoreError| e)
        .unwrap()
        .unwrap()
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

pub fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// Sends a request; `body` is sent as JSON unless `content_type` says otherwise.
pub async fn send(
    router: &Router,
    method: Method,
    path: &str,
    user: Option<&str>,
    body: Option<&str>,
    content_type: Option<&str>,
) -> Reply {
    let credentials = user.map(|user| (user, PASSWORD));
    send_as(router, method, path, credentials, body, content_type).await
}

/// [`send`] with these credentials (user and password).
pub async fn send_as(
    router: &Router,
    method: Method,
    path: &str,
    credentials: Option<(&str, &str)>,
    body: Option<&str>,
    content_type: Option<&str>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(format!("{}{path}", routes::BASE));
    if let Some((user, password)) = credentials {
        request = request.header(header::AUTHORIZATION, basic(user, password));
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, content_type.unwrap_or("application/json"));
    }
    let request = request.body(Body::from(body.unwrap_or("").to_owned())).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let (location, content_type) = {
        let text = |name| {
            let value = response.headers().get(name);
            value.map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        (text(header::LOCATION), text(header::CONTENT_TYPE))
    };
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    Reply { status, location, content_type, body }
}

pub async fn get(router: &Router, path: &str, user: Option<&str>) -> Reply {
    send(router, Method::GET, path, user, None, None).await
}

pub async fn post(router: &Router, path: &str, user: Option<&str>, body: Option<&str>) -> Reply {
    send(router, Method::POST, path, user, body, None).await
}

#[track_caller]
pub fn expect(reply: &Reply, status: u16) {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.body);
    if status >= 400 {
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        let error = reply.body["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty(), "{status} without an error message: {}", reply.body);
        assert_eq!(reply.body.as_object().map(|o| o.len()), Some(1), "{}", reply.body);
    }
}

pub async fn create_group(router: &Router, user: &str, name: &str) -> String {
    let body = json!({"name": name, "type": "team"}).to_string();
    let reply = post(router, "/user/groups", Some(user), Some(&body)).await;
    expect(&reply, 201);
    let id = reply.body["groupId"].as_str().unwrap().to_owned();
    assert_eq!(reply.location.as_deref(), Some(format!("/groups/{id}").as_str()));
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    id
}

pub async fn invite(router: &Router, user: &str, group: &str, body: Option<&str>) -> String {
    let reply = post(router, &format!("/groups/{group}/users/token"), Some(user), body).await;
    expect(&reply, 200);
    assert_eq!(reply.body.as_object().unwrap().len(), 1);
    reply.body["token"].as_str().unwrap().to_owned()
}

pub async fn join(router: &Router, user: &str, token: &str) -> Reply {
    post(router, "/user/groups/join", Some(user), Some(&json!({"token": token}).to_string())).await
}

pub fn users(reply: &Reply) -> Vec<String> {
    serde_json::from_value(reply.body["users"].clone()).unwrap()
}
