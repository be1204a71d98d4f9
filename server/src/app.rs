//! The server's state and its set-up: the [`Config`] it starts with, the [`App`] every request
//! shares (the database, the password checks, the issuing policy; never a copy of the data).

use std::sync::Arc;

use argon2::Params;
use axum::http::HeaderMap;
use onezone_tokens::group::{DirectoryLimits, Group, GroupId, GroupType, PrivilegeSet, UserId};
use onezone_tokens::invite::IssuePolicy;

use crate::auth::{self, Credentials};
use crate::error::Error;
use crate::limits::{Limits, Logins};
use crate::store::{self, Database, Durability, StoreError};

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
    /// Timeouts, connections, failed logins and waiting password checks allowed.
    pub server_limits: Limits,
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
            server_limits: Limits::default(),
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
    /// The server's [`Limits`], and the per-process counters of failed logins.
    pub logins: Arc<Logins>,
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
                .map_err(|e: StoreError| format!("{}: {e}", config.db))?;
        }
        let users = auth::Users::new(&config.password_params)?;
        Ok(Arc::new(App {
            store,
            users: Arc::new(users),
            policy: IssuePolicy::new(config.domain.clone()),
            limits: DirectoryLimits::default(),
            logins: Arc::new(Logins::new(&config.server_limits)),
        }))
    }

    /// The number of users in the database.
    ///
    /// # Errors
    /// If the database fails.
    pub fn user_count(&self) -> Result<u64, StoreError> {
        self.store.write(|tx| tx.user_count())
    }

    /// What the request's `Authorization` header proves (the password hash is read from the
    /// database, so every instance knows every user).
    ///
    /// # Errors
    /// 503 or 500 if the database fails.
    pub async fn credentials(self: &Arc<Self>, headers: &HeaderMap) -> Result<Credentials, Error> {
        let Ok(found) = auth::basic_credentials(headers) else { return Ok(Credentials::Invalid) };
        let Some((user, password)) = found else { return Ok(Credentials::Absent) };
        let app = Arc::clone(self);
        let name = user.clone();
        let hash = tokio::task::spawn_blocking(move || app.store.write(|tx| tx.user_hash(&name)))
            .await
            .map_err(|e| Error::internal(format!("a request failed: {e}")))??;
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
        let written = self.store.write(|tx| -> Result<Vec<GroupId>, PopulateError> {
            let mut ids = Vec::with_capacity(groups);
            for i in 0..groups {
                let group = Group::new(random_group_id(), format!("group {i}"), GroupType::Team)
                    .map_err(|e| e.to_string())?;
                if !tx.insert_group(&group)? {
                    return Err(PopulateError("a group id collided; run again".to_owned()));
                }
                tx.insert_membership(&group.id, &owner, PrivilegeSet::admin())?;
                for m in 0..members {
                    let user =
                        UserId::new(format!("{prefix}-{i}-{m}")).map_err(|e| e.to_string())?;
                    tx.insert_membership(&group.id, &user, PrivilegeSet::member())?;
                }
                ids.push(group.id);
            }
            Ok(ids)
        });
        written.map_err(|e| e.0)
    }
}

/// A failure of [`App::populate`], as a message.
struct PopulateError(String);

impl From<StoreError> for PopulateError {
    fn from(e: StoreError) -> Self {
        PopulateError(e.to_string())
    }
}

impl From<String> for PopulateError {
    fn from(e: String) -> Self {
        PopulateError(e)
    }
}

/// The length of a generated group id.
const GROUP_ID_LEN: usize = 32;

/// A fresh random group id: 32 ASCII letters and digits (190 bits).
pub fn random_group_id() -> GroupId {
    use rand::{RngExt, distr::Alphanumeric};
    let mut rng = rand::rand_core::UnwrapErr(rand::rngs::SysRng);
    let id: String =
        (&mut rng).sample_iter(Alphanumeric).take(GROUP_ID_LEN).map(char::from).collect();
    match GroupId::new(id) {
        Ok(id) => id,
        Err(_) => unreachable!("32 ASCII letters and digits are a valid id"),
    }
}
