//! The reference server of `onezone-tokens`: the Onezone group-invite REST API over HTTP, with
//! basic authentication and all state in one SQLite file.
//!
//! - [`api`]: the routes; [`api::router`] builds the whole service.
//! - [`store`]: the database and its one-transaction-per-request discipline.
//! - [`auth`]: users, Argon2id password hashes, basic authentication.
//! - [`error`]: the `{"error": "..."}` answers.
//!
//! The binary (`src/main.rs`) reads the command line and calls [`App::open`] and [`serve`].

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod error;
pub mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use argon2::Params;
use onezone_tokens::group::{GroupId, GroupType, PrivilegeSet, UserId};
use onezone_tokens::invite::IssuePolicy;

pub use store::Durability;

/// What the server is started with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database file (created if missing).
    pub db: PathBuf,
    /// The Onezone domain, written as the location of the tokens.
    pub domain: String,
    /// Users to create (or whose password to set) at start-up: name and password.
    pub users: Vec<(String, String)>,
    /// How durable each commit is.
    pub durability: Durability,
    /// The Argon2id cost of the password hashes made at start-up.
    pub password_params: Params,
}

impl Config {
    /// The defaults for this database file: domain `localhost`, no new user, full durability,
    /// Argon2id's default cost.
    pub fn new(db: impl Into<PathBuf>) -> Self {
        Config {
            db: db.into(),
            domain: "localhost".to_owned(),
            users: Vec::new(),
            durability: Durability::Full,
            password_params: auth::default_params(),
        }
    }
}

/// The server's state: the database, the users who may log in, how tokens are issued.
pub struct App {
    /// The database.
    pub store: store::Store,
    /// The users and their checked credentials.
    pub users: Arc<auth::Users>,
    /// How invite tokens are issued.
    pub policy: IssuePolicy,
}

impl App {
    /// Opens the database, stores the configured users' password hashes, and loads every user.
    ///
    /// # Errors
    /// A message for a person: the database cannot be opened or is in use, a user name is not a
    /// valid user id, a password is empty.
    pub fn open(config: &Config) -> Result<Arc<App>, String> {
        let store = store::Store::open(&config.db, config.durability).map_err(|e| e.to_string())?;
        for (name, password) in &config.users {
            UserId::new(name.as_str()).map_err(|e| format!("user {name:?}: {e}"))?;
            if password.is_empty() {
                return Err(format!("user {name}: the password is empty"));
            }
            let hash = auth::hash_password(password, &config.password_params)?;
            store.set_user(name, &hash).map_err(|e| e.message().to_owned())?;
        }
        let hashes: HashMap<String, String> =
            store.users().map_err(|e| e.message().to_owned())?.into_iter().collect();
        let users = auth::Users::new(hashes, &config.password_params)?;
        Ok(Arc::new(App {
            store,
            users: Arc::new(users),
            policy: IssuePolicy::new(config.domain.clone()),
        }))
    }

    /// Adds `groups` groups owned by `owner` (who gets admin), each with `members` plain members
    /// of its own (users `<prefix>-<group>-<i>`), in one transaction: a known database for load
    /// tests. Returns the new group ids.
    ///
    /// # Errors
    /// A message if a name is invalid or the directory refuses (e.g. a limit).
    pub fn populate(
        &self,
        owner: &str,
        groups: usize,
        members: usize,
        prefix: &str,
    ) -> Result<Vec<GroupId>, String> {
        let owner = UserId::new(owner).map_err(|e| e.to_string())?;
        self.store
            .write(|tx| {
                let mut ids = Vec::with_capacity(groups);
                let refused = |e: onezone_tokens::group::DirectoryError| {
                    error::Failure::bad_request(e.to_string())
                };
                for i in 0..groups {
                    let id = api::random_group_id();
                    let name = format!("group {i}");
                    tx.change(|dir| dir.create_group(&owner, id.clone(), name, GroupType::Team))
                        .map_err(refused)?;
                    for m in 0..members {
                        let user = UserId::new(format!("{prefix}-{i}-{m}"))
                            .map_err(|e| error::Failure::bad_request(e.to_string()))?;
                        tx.change(|dir| dir.add_user(&id, &user, PrivilegeSet::member()))
                            .map_err(refused)?;
                    }
                    ids.push(id);
                }
                Ok(ids)
            })
            .map_err(|e| e.message().to_owned())
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
    let service = api::router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}
