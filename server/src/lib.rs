//! The reference server of `onezone-tokens`: the Onezone group-invite REST API over HTTP, with
//! basic authentication, its state in normalized tables of SQLite (one file, the default) or
//! PostgreSQL (shared by any number of server processes).
//!
//! - [`routes`]: the routes, one file per resource; [`routes::router`] builds the whole service.
//! - [`store`]: the database, its schema and its one-transaction-per-request discipline.
//! - [`auth`]: Argon2id password hashes and the [`auth::Caller`] extractor.
//! - [`error`]: the one error type every failure becomes, and the `{"error": "..."}` answers.
//!
//! The binary (`src/main.rs`) reads the command line and calls [`App::open`] and [`serve`].

#![forbid(unsafe_code)]

pub mod auth;
pub mod error;
pub mod routes;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use argon2::Params;
use axum::http::HeaderMap;
use onezone_tokens::group::{DirectoryLimits, Group, GroupId, GroupType, PrivilegeSet, UserId};
use onezone_tokens::invite::IssuePolicy;

pub use store::{Database, Durability};

use auth::Credentials;
use error::Failure;

/// What the server is started with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database: a SQLite file (created if missing) or a PostgreSQL URL.
    pub db: Database,
    /// The Onezone domain, written as the location of the tokens.
    pub domain: String,
    /// Users to create (or whose password to set) at start-up: name and password.
    pub users: Vec<(String, String)>,
    /// How durable each SQLite commit is (PostgreSQL commits durably).
    pub durability: Durability,
    /// The Argon2id cost of the password hashes made at start-up.
    pub password_params: Params,
}

impl Config {
    /// The defaults for this database: domain `localhost`, no new user, full durability,
    /// Argon2id's default cost.
    pub fn new(db: Database) -> Self {
        Config {
            db,
            domain: "localhost".to_owned(),
            users: Vec::new(),
            durability: Durability::Full,
            password_params: auth::default_params(),
        }
    }
}

/// The server's state: the database, the password checks, how tokens are issued. Nothing of
/// the data is held in memory: every request reads what it needs from the database.
pub struct App {
    /// The database.
    pub store: store::Store,
    /// The password checks.
    pub users: Arc<auth::Users>,
    /// How invite tokens are issued.
    pub policy: IssuePolicy,
    /// The bounds of the group graph (its nesting depth bounds every recursive query).
    pub limits: DirectoryLimits,
}

impl App {
    /// Opens the database (creating or migrating its schema) and stores the configured users'
    /// password hashes.
    ///
    /// # Errors
    /// One line for a person: the database cannot be opened or reached (named without its
    /// password), a user name is not a valid user id, a password is empty.
    pub fn open(config: &Config) -> Result<Arc<App>, String> {
        let store = store::Store::open(&config.db, config.durability)?;
        for (name, password) in &config.users {
            UserId::new(name.as_str()).map_err(|e| format!("user {name:?}: {e}"))?;
            if password.is_empty() {
                return Err(format!("user {name}: the password is empty"));
            }
            let hash = auth::hash_password(password, &config.password_params)?;
            store
                .write(|tx| tx.set_user(name, &hash))
                .map_err(|e: store::StoreError| format!("{}: {e}", config.db))?;
        }
        let users = auth::Users::new(&config.password_params)?;
        Ok(Arc::new(App {
            store,
            users: Arc::new(users),
            policy: IssuePolicy::new(config.domain.clone()),
            limits: DirectoryLimits::default(),
        }))
    }

    /// The number of users in the database.
    ///
    /// # Errors
    /// If the database fails.
    pub fn user_count(&self) -> Result<u64, store::StoreError> {
        self.store.write(|tx| tx.user_count())
    }

    /// What the request's `Authorization` header proves (the password hash is read from the
    /// database, so every instance knows every user).
    ///
    /// # Errors
    /// 503 or 500 if the database fails.
    pub async fn credentials(
        self: &Arc<Self>,
        headers: &HeaderMap,
    ) -> Result<Credentials, Failure> {
        let Ok(found) = auth::basic_credentials(headers) else { return Ok(Credentials::Invalid) };
        let Some((user, password)) = found else { return Ok(Credentials::Absent) };
        let app = Arc::clone(self);
        let name = user.clone();
        let hash = tokio::task::spawn_blocking(move || app.store.write(|tx| tx.user_hash(&name)))
            .await
            .map_err(|e| Failure::internal(format!("a request failed: {e}")))??;
        Ok(match self.users.check(&user, &password, hash).await {
            Some(id) => Credentials::Valid(id),
            None => Credentials::Invalid,
        })
    }

    /// Adds `groups` groups owned by `owner` (who gets admin), each with `members` plain members
    /// of its own (users `<prefix>-<group>-<i>`), in one transaction: a known database for load
    /// tests. Returns the new group ids.
    ///
    /// # Errors
    /// A message if a name is invalid or the database fails.
    pub fn populate(
        &self,
        owner: &str,
        groups: usize,
        members: usize,
        prefix: &str,
    ) -> Result<Vec<GroupId>, String> {
        let owner = UserId::new(owner).map_err(|e| e.to_string())?;
        self.store.write(|tx| {
            let mut ids = Vec::with_capacity(groups);
            for i in 0..groups {
                let group =
                    Group::new(routes::random_group_id(), format!("group {i}"), GroupType::Team)
                        .map_err(|e| e.to_string())?;
                if !tx.insert_group(&group).map_err(|e| e.to_string())? {
                    return Err("a group id collided; run again".to_owned());
                }
                tx.insert_membership(&group.id, &owner, PrivilegeSet::admin())
                    .map_err(|e| e.to_string())?;
                for m in 0..members {
                    let user =
                        UserId::new(format!("{prefix}-{i}-{m}")).map_err(|e| e.to_string())?;
                    tx.insert_membership(&group.id, &user, PrivilegeSet::member())
                        .map_err(|e| e.to_string())?;
                }
                ids.push(group.id);
            }
            Ok(ids)
        })
    }
}

impl From<store::StoreError> for String {
    fn from(e: store::StoreError) -> String {
        e.to_string()
    }
}

/// Serves the API on `listener` until `shutdown` completes, with each connection's peer address
/// available to the handlers (for `ip` caveats).
///
/// # Errors
/// If accepting connections fails.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = routes::router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}
