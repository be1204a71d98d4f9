//! `onezone-server`: the reference server. See `--help`.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use onezone_server::{Api, App, Config, Database, Durability, Limits, serve};
use serde::Deserialize;

const USAGE: &str = "\
onezone-server: the Onezone group-invite REST API (base path /api/v3/onezone) over HTTP with
basic authentication; all state in a SQLite file (one server) or a PostgreSQL database (any
number of servers).

USAGE:
  onezone-server [OPTIONS]
  onezone-server populate --db FILE|URL --owner NAME [--groups N] [--members M] [--master-key FILE]

OPTIONS:
  --api 17.06|20.02      the Onezone REST line to speak (default 17.06, the seed's): 20.02
                         answers errors as {\"error\": {\"id\", \"description\",
                         \"details\"}}, takes access tokens as credentials (X-Auth-Token,
                         Authorization: Bearer, Macaroon; basic auth still works) and
                         serves the token routes (/user/tokens/named, /user/tokens/temporary,
                         /tokens/named/{id}, /tokens/examine, /tokens/confine,
                         /tokens/verify_*_token)
  --db FILE|URL          a SQLite file, created if missing (default onezone.db), or a
                         PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/NAME (the
                         schema is created if missing; prefer PGPASSWORD or --config to a
                         password on the command line)
  --user NAME:PASSWORD   create the user, or set its password (repeatable); users created
                         earlier stay in the database
  --config FILE          a JSON file: {\"api\": ..., \"db\": ..., \"bind\": ..., \"port\": ..., \"domain\": ...,
                         \"durability\": ..., \"users\": {\"alice\": \"secret\", ...},
                         \"admins\": [...], \"master_key\": FILE, \"max_groups_per_user\": N,
                         \"max_open_invites_per_user\": N, and the LIMITS below, e.g.
                         \"header_timeout\": 10}; options given on the command line win,
                         users and admins add up. Prefer it to --user: a command
                         line is visible to other users of the machine.
  --bind IP              the address to listen on (default 127.0.0.1)
  --port N               the port (default 8080; 0 picks a free one)
  --domain NAME          the Onezone domain written into tokens (default localhost)
  --durability MODE      SQLite only. full (default): each commit is on disk before the
                         answer; normal: a commit survives a crash of the server, not a
                         power loss
  --admin NAME           NAME holds Onezone's oz_tokens_manage: it may list, revoke and
                         delete anyone's named tokens (repeatable)
  --master-key FILE      the master key every invite token's secret is derived from, so the
                         database holds no secret (created, mode 0600, on first start;
                         default DB.key beside a SQLite file, onezone.key for PostgreSQL;
                         ONEZONE_MASTER_KEY=<base64> overrides it). Keep it apart from the
                         database, and give every server of one database the same key.
  --max-groups-per-user N          groups a user may create (default 1000; 429 above; 0:
                                   no quota)
  --max-open-invites-per-user N    invite tokens a user may have open (default 1000; 429;
                                   0: no quota)

LIMITS (each also a --config key: header_timeout, body_timeout, max_connections, ...; a count
of 0 disables its limit):
  --header-timeout SECS  time to send a request's headers, also between kept-alive requests;
                         the connection is closed after it (default 10)
  --body-timeout SECS    time to send a request's body once its headers are in: 408 and the
                         connection closed after it (default 30)
  --max-connections N    open connections at most; more wait to be accepted (default 2000)
  --login-failures-per-user N
                         failed logins of one user in a window before its logins answer 429,
                         except from addresses with no failure of their own (default 10)
  --login-failures-per-address N
                         failed logins from one address (IPv6: one /64) in a window before its
                         logins answer 429 (default 50)
  --login-window SECS    the failure counters' window, from its first failure (default 300);
                         the counters are per process
  --login-queue N        password checks that may wait for an Argon2 worker (one per core);
                         a login past them answers 503 at once (default 32)

  -h, --help             this text
  -V, --version          the version

The first line on stdout is `listening on http://IP:PORT`. One line per request goes to stderr
(method, path, status, time); tokens, passwords, headers and bodies are never logged.

populate adds N groups (default 1000) owned by NAME, each with M plain members of its own
(default 10; users member-<group>-<i>), and prints their ids, one a line. With SQLite the server
must not be running on the same file; with PostgreSQL it may.
";

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    api: Option<String>,
    db: Option<String>,
    bind: Option<IpAddr>,
    port: Option<u16>,
    domain: Option<String>,
    durability: Option<String>,
    #[serde(default)]
    users: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    admins: Vec<String>,
    master_key: Option<PathBuf>,
    max_groups_per_user: Option<u64>,
    max_open_invites_per_user: Option<u64>,
    header_timeout: Option<f64>,
    body_timeout: Option<f64>,
    max_connections: Option<usize>,
    login_failures_per_user: Option<u32>,
    login_failures_per_address: Option<u32>,
    login_window: Option<f64>,
    login_queue: Option<usize>,
}

/// The limits given on the command line or in the config file (seconds as numbers).
#[derive(Default)]
struct LimitOptions {
    header_timeout: Option<f64>,
    body_timeout: Option<f64>,
    max_connections: Option<usize>,
    login_failures_per_user: Option<u32>,
    login_failures_per_address: Option<u32>,
    login_window: Option<f64>,
    login_queue: Option<usize>,
}

impl LimitOptions {
    /// `self` over `file` over the defaults.
    fn resolve(self, file: LimitOptions) -> Result<Limits, String> {
        let mut limits = Limits::default();
        let seconds = |name: &str, value: Option<f64>, default: Duration| match value {
            None => Ok(default),
            Some(s) => Duration::try_from_secs_f64(s)
                .map_err(|_| format!("{name}: not a number of seconds: {s}")),
        };
        limits.header_timeout = seconds(
            "header_timeout",
            self.header_timeout.or(file.header_timeout),
            limits.header_timeout,
        )?;
        limits.body_timeout =
            seconds("body_timeout", self.body_timeout.or(file.body_timeout), limits.body_timeout)?;
        limits.login_window =
            seconds("login_window", self.login_window.or(file.login_window), limits.login_window)?;
        limits.max_connections =
            self.max_connections.or(file.max_connections).unwrap_or(limits.max_connections);
        limits.login_failures_per_user = self
            .login_failures_per_user
            .or(file.login_failures_per_user)
            .unwrap_or(limits.login_failures_per_user);
        limits.login_failures_per_address = self
            .login_failures_per_address
            .or(file.login_failures_per_address)
            .unwrap_or(limits.login_failures_per_address);
        limits.login_queue = self.login_queue.or(file.login_queue).unwrap_or(limits.login_queue);
        Ok(limits)
    }
}

struct Options {
    api: Option<Api>,
    db: Option<String>,
    bind: Option<IpAddr>,
    port: Option<u16>,
    domain: Option<String>,
    durability: Option<Durability>,
    users: Vec<(String, String)>,
    config: Option<PathBuf>,
    admins: Vec<String>,
    master_key: Option<PathBuf>,
    max_groups_per_user: Option<u64>,
    max_open_invites_per_user: Option<u64>,
    limits: LimitOptions,
}

enum Command {
    Serve(Options),
    Populate { db: Database, owner: String, groups: usize, members: usize, key: Option<PathBuf> },
    Print(String),
}

fn durability(text: &str) -> Result<Durability, String> {
    match text {
        "full" => Ok(Durability::Full),
        "normal" => Ok(Durability::Normal),
        other => Err(format!("--durability: expected full or normal, got {other:?}")),
    }
}

fn number<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{name}: not a valid number: {text:?}"))
}

fn parse_args(args: Vec<std::ffi::OsString>) -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut populate = false;
    let mut options = Options {
        api: None,
        db: None,
        bind: None,
        port: None,
        domain: None,
        durability: None,
        users: Vec::new(),
        config: None,
        admins: Vec::new(),
        master_key: None,
        max_groups_per_user: None,
        max_open_invites_per_user: None,
        limits: LimitOptions::default(),
    };
    let (mut owner, mut groups, mut members) = (None, 1000usize, 10usize);
    let mut first = true;
    let fail = |e: lexopt::Error| e.to_string();
    // The value of the option just read, as text.
    macro_rules! value {
        () => {
            parser.value().map_err(fail)?.string().map_err(fail)
        };
    }
    while let Some(arg) = parser.next().map_err(fail)? {
        // The option's name, for messages.
        let name = match &arg {
            Long(long) => format!("--{long}"),
            Short(short) => format!("-{short}"),
            Value(_) => String::new(),
        };
        match arg {
            Value(v) if first && v == "populate" => populate = true,
            Short('h') | Long("help") => return Ok(Command::Print(USAGE.to_owned())),
            Short('V') | Long("version") => {
                return Ok(Command::Print(format!(
                    "onezone-server {}\n",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            Long("db") => options.db = Some(value!()?),
            Long("api") if !populate => options.api = Some(Api::parse(&value!()?)?),
            Long("master-key") => options.master_key = Some(PathBuf::from(value!()?)),
            Long("owner") if populate => owner = Some(value!()?),
            Long("groups") if populate => groups = number(&name, &value!()?)?,
            Long("members") if populate => members = number(&name, &value!()?)?,
            Long("user") if !populate => {
                let v = value!()?;
                let (user, password) =
                    v.split_once(':').ok_or_else(|| "--user: expected NAME:PASSWORD".to_owned())?;
                options.users.push((user.to_owned(), password.to_owned()));
            }
            Long("config") if !populate => options.config = Some(PathBuf::from(value!()?)),
            Long("bind") if !populate => {
                let v = value!()?;
                options.bind =
                    Some(v.parse().map_err(|_| format!("--bind: not an IP address: {v:?}"))?);
            }
            Long("port") if !populate => options.port = Some(number(&name, &value!()?)?),
            Long("domain") if !populate => options.domain = Some(value!()?),
            Long("durability") if !populate => options.durability = Some(durability(&value!()?)?),
            Long("admin") if !populate => options.admins.push(value!()?),
            Long("max-groups-per-user") if !populate => {
                options.max_groups_per_user = Some(number(&name, &value!()?)?);
            }
            Long("max-open-invites-per-user") if !populate => {
                options.max_open_invites_per_user = Some(number(&name, &value!()?)?);
            }
            Long("header-timeout") if !populate => {
                options.limits.header_timeout = Some(number(&name, &value!()?)?);
            }
            Long("body-timeout") if !populate => {
                options.limits.body_timeout = Some(number(&name, &value!()?)?);
            }
            Long("max-connections") if !populate => {
                options.limits.max_connections = Some(number(&name, &value!()?)?);
            }
            Long("login-failures-per-user") if !populate => {
                options.limits.login_failures_per_user = Some(number(&name, &value!()?)?);
            }
            Long("login-failures-per-address") if !populate => {
                options.limits.login_failures_per_address = Some(number(&name, &value!()?)?);
            }
            Long("login-window") if !populate => {
                options.limits.login_window = Some(number(&name, &value!()?)?);
            }
            Long("login-queue") if !populate => {
                options.limits.login_queue = Some(number(&name, &value!()?)?);
            }
            other => return Err(format!("{} (see --help)", other.unexpected())),
        }
        first = false;
    }
    if populate {
        let owner = owner.ok_or_else(|| "populate needs --owner NAME".to_owned())?;
        let db = options.db.ok_or_else(|| "populate needs --db FILE|URL".to_owned())?;
        let (db, key) = (Database::parse(&db), options.master_key);
        return Ok(Command::Populate { db, owner, groups, members, key });
    }
    Ok(Command::Serve(options))
}

/// The command line over the config file over the defaults.
fn resolve(options: Options) -> Result<(Config, SocketAddr), String> {
    let file = match &options.config {
        None => FileConfig::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    let db = options.db.or(file.db).unwrap_or_else(|| "onezone.db".to_owned());
    let mut config = Config::new(Database::parse(&db));
    config.api = match (options.api, file.api) {
        (Some(api), _) => api,
        (None, Some(text)) => Api::parse(&text)?,
        (None, None) => Api::default(),
    };
    if let Some(domain) = options.domain.or(file.domain) {
        config.domain = domain;
    }
    config.durability = match (options.durability, file.durability) {
        (Some(d), _) => d,
        (None, Some(text)) => durability(&text)?,
        (None, None) => Durability::Full,
    };
    let from_file = LimitOptions {
        header_timeout: file.header_timeout,
        body_timeout: file.body_timeout,
        max_connections: file.max_connections,
        login_failures_per_user: file.login_failures_per_user,
        login_failures_per_address: file.login_failures_per_address,
        login_window: file.login_window,
        login_queue: file.login_queue,
    };
    config.server_limits = options.limits.resolve(from_file)?;
    config.users = file.users.into_iter().collect();
    config.admins = file.admins;
    config.admins.extend(options.admins);
    config.master_key_file = options.master_key.or(file.master_key);
    if let Some(n) = options.max_groups_per_user.or(file.max_groups_per_user) {
        config.quotas.groups_per_user = n;
    }
    if let Some(n) = options.max_open_invites_per_user.or(file.max_open_invites_per_user) {
        config.quotas.open_invites_per_user = n;
    }
    config.users.extend(options.users);
    let bind = options.bind.or(file.bind).unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let port = options.port.or(file.port).unwrap_or(8080);
    Ok((config, SocketAddr::new(bind, port)))
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    eprintln!("shutting down");
}

fn main() -> ExitCode {
    onezone_server::init_log();
    let command = match parse_args(std::env::args_os().skip(1).collect()) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Print(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Command::Populate { db, owner, groups, members, key } => {
            let mut config = Config::new(db);
            config.master_key_file = key;
            let result =
                App::open(&config).and_then(|app| app.populate(&owner, groups, members, "member"));
            match result {
                Ok(ids) => {
                    let mut out = std::io::stdout().lock();
                    for id in ids {
                        let _ = writeln!(out, "{id}");
                    }
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("error: {message}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve(options) => match run(options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

fn run(options: Options) -> Result<(), String> {
    let (config, addr) = resolve(options)?;
    // Opened before the runtime starts: the database clients block (requests then use them on
    // blocking threads).
    let app = App::open(&config)?;
    let users = app.user_count().map_err(|e| format!("{}: {e}", config.db))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    // The last reference to the app is dropped here, after the runtime: a PostgreSQL client
    // cannot be dropped inside it.
    let keep = std::sync::Arc::clone(&app);
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on http://{bound}");
            let _ = out.flush();
        }
        eprintln!(
            "onezone-server {}: Onezone {} API, database {}, {users} user(s), domain {}",
            env!("CARGO_PKG_VERSION"),
            match config.api {
                Api::V1706 => "17.06",
                Api::V2002 => "20.02",
            },
            config.db,
            config.domain
        );
        serve(app, listener, shutdown_signal()).await.map_err(|e| format!("server: {e}"))
    });
    drop(runtime);
    drop(keep);
    served
}
