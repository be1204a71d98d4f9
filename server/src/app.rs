//! The server's state and its set-up: the [`Config`] it starts with, the [`App`] every request
//! shares (the database, the password checks, the issuing policy; never a copy of the data).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use argon2::Params;
use axum::http::HeaderMap;
use onezone_tokens::group::{DirectoryLimits, Group, GroupId, GroupType, PrivilegeSet, UserId};
use onezone_tokens::invite::{AdminAccess, InviteRecord, IssuePolicy, SecretBytes};
use onezone_tokens::macaroon::Secret;
use onezone_tokens::onezone_error::ErrorShape;
use onezone_tokens::token::DerivedSecrets;
use zeroize::Zeroizing;

use crate::auth::{self, Credentials};
use crate::error::Error;
use crate::limits::{Limits, Logins};
use crate::store::{self, Database, Durability, StoreError};

/// Which Onezone REST line the server speaks: its credentials, error bodies, privilege names and
/// token routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Api {
    /// Onezone 17.06, the seed's API (the default): basic authentication, `{"error": "<text>"}`
    /// bodies, the 12 privilege names of 17.06.
    #[default]
    V1706,
    /// Onezone 20.02 (`--api 20.02`): access tokens as credentials (basic authentication kept
    /// for users with a password), `{"error": {"id", "description", "details"}}` bodies, the 21
    /// privilege names of 20.02, the token routes (SPEC section 8).
    V2002,
}

impl Api {
    /// Reads `17.06` or `20.02`.
    ///
    /// # Errors
    /// A message naming the accepted values.
    pub fn parse(text: &str) -> Result<Api, String> {
        match text {
            "17.06" => Ok(Api::V1706),
            "20.02" => Ok(Api::V2002),
            other => Err(format!("--api: expected 17.06 or 20.02, got {other:?}")),
        }
    }

    /// The shape of this line's error bodies.
    pub fn error_shape(self) -> ErrorShape {
        match self {
            Api::V1706 => ErrorShape::Onezone1706,
            Api::V2002 => ErrorShape::Onezone2002,
        }
    }
}

/// What the server is started with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The Onezone REST line spoken.
    pub api: Api,
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
    /// Users who hold Onezone's admin privilege `oz_tokens_manage`: they manage anyone's named
    /// tokens.
    pub admins: Vec<String>,
    /// The file of the master key every named token's secret is derived from (created, readable
    /// by its owner only, on first start). `None`: `<db>.key` beside a SQLite file, `onezone.key`
    /// in the working directory for PostgreSQL. `ONEZONE_MASTER_KEY` (base64) overrides it.
    pub master_key_file: Option<PathBuf>,
    /// Per-user quotas.
    pub quotas: Quotas,
    /// Timeouts, connections, failed logins and waiting password checks allowed.
    pub server_limits: Limits,
    /// The longest lifetime of a temporary token (seconds): 2,592,000 (30 days), Onezone
    /// 20.02's shipped `rel/files/app.config` (`max_temporary_token_ttl`).
    pub max_temporary_ttl: u64,
    /// What time it is for the server's decisions (tokens' expiry, open invites, when a token
    /// is issued): the system clock, or a fixed instant for tests of tokens minted at a known
    /// time.
    pub clock: Clock,
}

/// The server's clock: the library reads none, the server passes the time in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A fixed instant, Unix seconds: what a test of tokens minted at a known time runs at
    /// (a fixture's tokens expire; the test must not).
    Fixed(u64),
}

impl Clock {
    /// Now, in Unix seconds.
    pub fn now(self) -> u64 {
        match self {
            Clock::System => {
                SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
            }
            Clock::Fixed(at) => at,
        }
    }
}

/// Onezone 20.02's shipped maximum lifetime of temporary tokens: 30 days (oz-worker
/// release/20.02.20 `rel/files/app.config`; the code's fallback is 7 days).
pub const MAX_TEMPORARY_TTL: u64 = 30 * 24 * 3600;

/// Per-user quotas, answered with 429 when reached; 0 is no quota. Checking one reads at most
/// that many rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Groups a user may create. Default 1,000.
    pub groups_per_user: u64,
    /// Invite tokens a user may have open at once (not revoked, expired or used up). Default
    /// 1,000.
    pub open_invites_per_user: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas { groups_per_user: 1_000, open_invites_per_user: 1_000 }
    }
}

impl Config {
    /// The defaults for this database: domain `localhost`, no new user, full durability,
    /// Argon2id's default cost.
    pub fn new(db: Database) -> Self {
        Config {
            api: Api::default(),
            db,
            domain: "localhost".to_owned(),
            users: Vec::new(),
            durability: Durability::Full,
            password_params: auth::default_params(),
            admins: Vec::new(),
            master_key_file: None,
            quotas: Quotas::default(),
            server_limits: Limits::default(),
            max_temporary_ttl: MAX_TEMPORARY_TTL,
            clock: Clock::System,
        }
    }
}

/// The server's state: the database, the password checks, how tokens are issued. Nothing of
/// the data is held in memory: every request reads what it needs from the database.
pub struct App {
    /// The Onezone REST line spoken.
    pub api: Api,
    /// The Onezone domain (tokens' location, and the host of absolute `Location`s in 20.02).
    pub domain: String,
    /// The database.
    pub store: store::Store,
    /// The password checks.
    pub users: Arc<auth::Users>,
    /// How invite tokens are issued.
    pub policy: IssuePolicy,
    /// The bounds of the group graph (its nesting depth bounds every recursive query).
    pub limits: DirectoryLimits,
    /// Who holds `oz_tokens_manage`.
    pub admins: HashSet<UserId>,
    /// Per-user quotas.
    pub quotas: Quotas,
    /// The server's [`Limits`], and the per-process counters of failed logins.
    pub logins: Arc<Logins>,
    /// The secrets of named and temporary tokens, derived from the master key (the same key
    /// as the invite records').
    pub token_secrets: DerivedSecrets,
    /// The longest lifetime of a temporary token (seconds).
    pub max_temporary_ttl: u64,
    /// What time it is ([`Config::clock`]).
    pub clock: Clock,
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
        let master = master_key(config)?;
        let secrets = DerivedSecrets::new(&Secret::new(master.as_slice()));
        let token_secrets = DerivedSecrets::new(&Secret::new(master.as_slice()));
        let admins = config
            .admins
            .iter()
            .map(|name| UserId::new(name.as_str()).map_err(|e| format!("admin {name:?}: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Arc::new(App {
            api: config.api,
            domain: config.domain.clone(),
            store,
            users: Arc::new(users),
            policy: IssuePolicy::new(config.domain.clone()).with_derived_secrets(secrets),
            limits: DirectoryLimits::default(),
            admins,
            quotas: config.quotas,
            logins: Arc::new(Logins::new(&config.server_limits)),
            token_secrets,
            max_temporary_ttl: config.max_temporary_ttl,
            clock: config.clock,
        }))
    }

    /// `user`'s Onezone-admin standing.
    pub fn admin(&self, user: &UserId) -> AdminAccess {
        AdminAccess { oz_tokens_manage: self.admins.contains(user) }
    }

    /// A record as stored: without its secret, which is derived from the master key.
    pub fn stored(&self, record: &InviteRecord) -> InviteRecord {
        let mut stored = record.clone();
        stored.secret = SecretBytes::new(Vec::new());
        stored
    }

    /// A record as read, with its secret: derived from the master key, unless the record keeps
    /// its own (records of a migrated version-1 database).
    pub fn with_secret(&self, record: InviteRecord) -> InviteRecord {
        record.with_derived_secret(self.policy.derived_secrets())
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
                if !tx.insert_group(&group, Some(&owner))? {
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

/// The master key: `ONEZONE_MASTER_KEY` (base64), else the key file, created on first start.
fn master_key(config: &Config) -> Result<Zeroizing<Vec<u8>>, String> {
    use base64::Engine;
    let decode = |text: &str, from: &str| -> Result<Zeroizing<Vec<u8>>, String> {
        let text = text.trim().trim_end_matches('=');
        let engines = [
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        let key = engines
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or_else(|| format!("{from}: the master key is not base64"))?;
        if key.len() < 32 {
            return Err(format!("{from}: the master key is shorter than 32 bytes"));
        }
        Ok(Zeroizing::new(key))
    };
    if let Ok(text) = std::env::var("ONEZONE_MASTER_KEY") {
        return decode(&Zeroizing::new(text), "ONEZONE_MASTER_KEY");
    }
    let path = match (&config.master_key_file, &config.db) {
        (Some(path), _) => path.clone(),
        (None, Database::Sqlite(db)) => {
            let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
            name.push(".key");
            db.with_file_name(name)
        }
        (None, Database::Postgres(_)) => PathBuf::from("onezone.key"),
    };
    let shown = path.display().to_string();
    if !path.exists() {
        create_key_file(&path)
            .map_err(|e| format!("{shown}: cannot create the master key: {e}"))?;
    }
    refuse_shared_key_file(&path).map_err(|e| format!("{shown}: {e}"))?;
    let text = Zeroizing::new(
        std::fs::read_to_string(&path).map_err(|e| format!("{shown}: cannot read: {e}"))?,
    );
    decode(&text, &shown)
}

/// Refuses a key file that others than its owner may read or write (any of the mode bits
/// `0o077`), as ssh refuses such a private key: whoever reads the master key can mint every
/// named invite token. The server creates its key file `0600`; one made by hand with a loose
/// umask is refused, not used without a word.
fn refuse_shared_key_file(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?.mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "the master key file is accessible to other users (mode {:04o}); make it \
                 readable by its owner only (chmod 600), or pass the key in ONEZONE_MASTER_KEY",
                mode & 0o7777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes 32 random bytes (base64) to `path`, readable by its owner only, atomically: a server
/// starting at the same time reads either no file or the whole key, and the first one wins.
fn create_key_file(path: &Path) -> std::io::Result<()> {
    use base64::Engine;
    use rand::TryRng;
    use std::io::Write;
    let mut key = Zeroizing::new([0u8; 32]);
    rand::rngs::SysRng
        .try_fill_bytes(key.as_mut_slice())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(key.as_slice()));
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}
