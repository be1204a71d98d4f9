//! The token CLI: inspect, verify and mint tokens from the command line.
//!
//! Run with `cargo run --example token -- <command> ...` (`--help` for the usage). Other tools
//! script against it, so its output is a contract:
//!
//! - `inspect TOKEN` prints one JSON object describing any macaroon (Onezone's or not), the
//!   library's `TokenDescription` (the reference server's `POST /tokens/examine` body); exit 0.
//! - `verify ... TOKEN` prints `{"valid": true, ...}` and exits 0, or
//!   `{"valid": false, "reason": "..."}` and exits 1 (an unreadable token is an invalid token).
//! - `mint ...` prints the token on one line; exit 0.
//!
//! Malformed input (an unknown command or option, a missing or bad value, an unreadable token
//! given to `inspect`, a caveat Onezone does not know given to `mint`) exits 2 with one line on
//! stderr starting `error:`. Every JSON object is written on one line.

use std::ffi::OsString;
use std::io::Write as _;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::SystemTime;

use onezone_tokens::macaroon::{
    Encoding, Error as MacaroonError, Format, Limits, Macaroon, RootKey, Secret, decode_text,
};
use onezone_tokens::token::{
    ApiCall, Caveat, CaveatContext, CaveatError, Consumer, CountryCode, DischargeMatch, GeoRegion,
    Interface, Persistence, Service, Subject, TokenDescription, TokenError, TokenIdentifier,
    TokenSecrets, UnverifiedToken, Verifier, mint_as,
};
use onezone_tokens::unix_seconds;
use serde_json::json;

const USAGE: &str = "\
usage: token <command> [options]

commands:
  inspect [--discharge TOKEN]... [--secret TEXT | --secret-hex HEX] TOKEN
      Print what the token says as one JSON object, the shape of the reference server's
      POST /tokens/examine (the library's TokenDescription): format, escaped, location,
      identifier, identifierFields (null if not an Onezone identifier), caveats, signature
      (hex) and verified (false). Each caveat is {caveat, json} (json: Onezone's JSON form, or
      null with an \"error\" for a first-party caveat Onezone does not know); a third-party
      caveat also has verificationId (base64url) and location. Any macaroon in any format; no
      secret needed. With --discharge tokens (any format), a third-party caveat's
      \"discharge\" is {\"index\": N, \"bound\": ...} for the discharge whose identifier is the
      caveat id (else null), where bound is true or false with the root secret (then
      \"reason\" says why not) and null without (binding cannot be checked without a key).

  verify (--secret TEXT | --secret-hex HEX) [--now UNIX] [--signature-only]
         [--discharge TOKEN]...
         [--ip ADDR] [--asn N] [--country CC] [--region R]...
         [--consumer usr-ID|grp-ID|prv-ID] [--interface rest|graphsync|oneclient]
         [--service ozw-ID|ozp-ID|opw-ID|opp-ID] [--api SERVICE/OPERATION/GRI] TOKEN
      Check the token with its own root secret in the given request context (--now defaults
      to the current time; --api names the operation for `api` caveats, e.g.
      ozw/create/group.g1.users:private). Prints {\"valid\": true, ...} and exits 0, or
      {\"valid\": false, \"reason\": \"...\"} and exits 1. --signature-only checks the signature
      chain alone (the only way to verify a macaroon whose identifier is not Onezone's), and
      with --discharge the discharges' chains and bindings too. --discharge (repeatable, any
      format) gives the bound discharges of third-party caveats: the macaroon is then checked
      with them by the engine, every first-party caveat of all of them as an Onezone caveat in
      the context (Onezone's own tokens never carry third-party caveats).

  mint (--secret TEXT | --secret-hex HEX) --identifier ID [--location L]
       [--caveat CAVEAT]... [--format v1|v2|v2json] [--encoding escaped|base64url] [--raw]
      Print a new token (default: V1, escaped, no location). With an Onezone identifier every
      caveat must be an Onezone caveat unless --raw is given; other identifiers take the
      caveats as raw text.

exit status: 0 success, 1 invalid token (verify), 2 malformed input (message on stderr)";

/// Why the command line cannot be carried out: exit 2 with one `error:` line.
struct UsageError(String);

impl UsageError {
    fn new(message: impl Into<String>) -> Self {
        UsageError(message.into())
    }
}

/// What a successful run prints, and its exit status.
enum Outcome {
    /// Print this line on stdout and exit with this status.
    Print(String, u8),
    /// Print the usage on stdout and exit 0.
    Help,
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let result = args
        .into_iter()
        .map(|arg| {
            arg.into_string().map_err(|arg| {
                UsageError::new(format!("argument {} is not valid UTF-8", arg.to_string_lossy()))
            })
        })
        .collect::<Result<Vec<String>, UsageError>>()
        .and_then(|args| run(&args));
    match result {
        Ok(Outcome::Print(line, code)) => {
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                return ExitCode::from(2);
            }
            ExitCode::from(code)
        }
        Ok(Outcome::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(UsageError(message)) => {
            eprintln!("error: {}", one_line(&message));
            ExitCode::from(2)
        }
    }
}

/// Escapes control characters so that a message quoting user input stays on one line.
fn one_line(message: &str) -> String {
    let mut line = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}

fn run(args: &[String]) -> Result<Outcome, UsageError> {
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => return Ok(Outcome::Help),
    };
    match command {
        "-h" | "--help" | "help" => Ok(Outcome::Help),
        "inspect" => inspect(rest),
        "verify" => verify(rest),
        "mint" => mint(rest),
        other if other.starts_with('-') => Err(UsageError::new(format!(
            "expected a command (inspect, verify or mint) before the option `{other}`"
        ))),
        other => Err(UsageError::new(format!(
            "unknown command `{other}` (expected inspect, verify or mint; see --help)"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// Argument parsing
// ---------------------------------------------------------------------------------------------

/// The options and positional arguments of one command.
struct Args {
    command: &'static str,
    /// Options with a value, in order: (name, value).
    values: Vec<(&'static str, String)>,
    /// Options without a value that were given.
    switches: Vec<&'static str>,
    positionals: Vec<String>,
}

/// Splits `args` into options and positional arguments (with `lexopt`). `valued` options take a
/// value (as the next argument, even one starting with `-`, or after `=`); `switches` take none.
/// `--` ends the options.
fn parse_args(
    command: &'static str,
    args: &[String],
    valued: &[&'static str],
    switches: &[&'static str],
) -> Result<Result<Args, Outcome>, UsageError> {
    use lexopt::Arg::{Long, Short, Value};
    let mut parsed =
        Args { command, values: Vec::new(), switches: Vec::new(), positionals: Vec::new() };
    let mut parser = lexopt::Parser::from_args(args.iter().cloned());
    while let Some(arg) = parser.next().map_err(|e| UsageError::new(e.to_string()))? {
        let name = match arg {
            Short('h') | Long("help") => return Ok(Err(Outcome::Help)),
            Value(value) => {
                parsed.positionals.push(utf8(value)?);
                continue;
            }
            Long(name) => format!("--{name}"),
            Short(c) => format!("-{c}"),
        };
        if let Some(&name) = valued.iter().find(|&&v| v == name) {
            let value = parser.value().map_err(|_| {
                UsageError::new(format!("option `{name}` of `{command}` needs a value"))
            })?;
            parsed.values.push((name, utf8(value)?));
        } else if let Some(&name) = switches.iter().find(|&&s| s == name) {
            if parser.optional_value().is_some() {
                return Err(UsageError::new(format!(
                    "option `{name}` of `{command}` takes no value"
                )));
            }
            if parsed.switches.contains(&name) {
                return Err(UsageError::new(format!("option `{name}` is given twice")));
            }
            parsed.switches.push(name);
        } else {
            return Err(UsageError::new(format!(
                "unknown option `{name}` for `{command}` (see --help)"
            )));
        }
    }
    Ok(Ok(parsed))
}

/// An argument as UTF-8 text (`main` has checked them all already).
fn utf8(value: std::ffi::OsString) -> Result<String, UsageError> {
    value.into_string().map_err(|value| {
        UsageError::new(format!("argument {} is not valid UTF-8", value.to_string_lossy()))
    })
}

impl Args {
    /// The value of an option that may be given at most once.
    fn single(&self, name: &str) -> Result<Option<&str>, UsageError> {
        let mut found = self.values.iter().filter(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(UsageError::new(format!("option `{name}` is given twice")));
        }
        Ok(first)
    }

    /// Every value of a repeatable option, in order.
    fn all(&self, name: &str) -> Vec<&str> {
        self.values.iter().filter(|(n, _)| *n == name).map(|(_, v)| v.as_str()).collect()
    }

    fn switch(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    /// The one positional argument, the token.
    fn token(&self) -> Result<&str, UsageError> {
        match self.positionals.as_slice() {
            [token] => Ok(token),
            [] => Err(UsageError::new(format!("`{}` needs a TOKEN argument", self.command))),
            [_, extra, ..] => Err(UsageError::new(format!(
                "unexpected argument `{}` for `{}` (only one TOKEN is taken)",
                snippet(extra),
                self.command
            ))),
        }
    }

    fn no_positionals(&self) -> Result<(), UsageError> {
        match self.positionals.first() {
            None => Ok(()),
            Some(extra) => Err(UsageError::new(format!(
                "unexpected argument `{}` for `{}`",
                snippet(extra),
                self.command
            ))),
        }
    }

    /// The root secret: exactly one of `--secret` (text) and `--secret-hex`.
    fn secret(&self) -> Result<Secret, UsageError> {
        match (self.single("--secret")?, self.single("--secret-hex")?) {
            (Some(text), None) => Ok(Secret::new(text.as_bytes())),
            (None, Some(hex)) => decode_hex(hex).map(Secret::new),
            (Some(_), Some(_)) => {
                Err(UsageError::new("give the secret once: either --secret or --secret-hex"))
            }
            (None, None) => Err(UsageError::new(format!(
                "`{}` needs the secret: --secret TEXT or --secret-hex HEX",
                self.command
            ))),
        }
    }

    /// An option's value parsed with `parse`, naming the option in the error.
    fn parsed<T, E: std::fmt::Display>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, UsageError> {
        self.single(name)?
            .map(|value| {
                parse(value).map_err(|e| {
                    UsageError::new(format!("invalid value `{}` for `{name}`: {e}", snippet(value)))
                })
            })
            .transpose()
    }
}

/// What is wrong with a value, without the caveat wording of [`CaveatError`]'s `Display`.
fn problem(error: &CaveatError) -> String {
    match error {
        CaveatError::InvalidValue { problem, .. } | CaveatError::InvalidEntry { problem, .. } => {
            (*problem).to_owned()
        }
        other => other.to_string(),
    }
}

/// At most 64 characters of user input, for messages.
fn snippet(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A plain decimal number: digits only (no sign, no spaces).
fn parse_number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected a non-negative decimal number".into());
    }
    text.parse().map_err(|_| "the number is too large".into())
}

fn decode_hex(text: &str) -> Result<Vec<u8>, UsageError> {
    hex::decode(text).map_err(|e| {
        let problem = match e {
            hex::FromHexError::OddLength => "an odd number of hex digits",
            _ => "not hexadecimal",
        };
        UsageError::new(format!("invalid value `{}` for `--secret-hex`: {problem}", snippet(text)))
    })
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The Onezone caveat a first-party caveat id is, if it is one.
fn onezone_caveat(id: &[u8]) -> Option<Caveat> {
    std::str::from_utf8(id).ok().and_then(|text| Caveat::parse(text).ok())
}

// ---------------------------------------------------------------------------------------------
// inspect
// ---------------------------------------------------------------------------------------------

fn inspect(args: &[String]) -> Result<Outcome, UsageError> {
    let args = match parse_args("inspect", args, &["--discharge", "--secret", "--secret-hex"], &[])?
    {
        Ok(args) => args,
        Err(help) => return Ok(help),
    };
    let text = args.token()?;
    let limits = Limits::default();
    let unreadable = |e| UsageError::new(format!("the token cannot be read: {e}"));
    let decoded = decode_text(text, &limits).map_err(unreadable)?;
    let m = decoded.macaroon(&limits).map_err(unreadable)?;
    let discharges = read_discharges(&args, &limits).map_err(UsageError::new)?;
    let key = match (args.single("--secret")?, args.single("--secret-hex")?) {
        (None, None) => None,
        _ => Some(RootKey::derive(args.secret()?.expose())),
    };

    // The library's description (the reference server's `POST /tokens/examine` body), plus, for
    // each third-party caveat, which --discharge discharges it (null: none) and whether it is bound.
    let mut out = TokenDescription::of_macaroon(&m, decoded.format(), decoded.escaped());
    for (index, (c, described)) in m.caveats().iter().zip(&mut out.caveats).enumerate() {
        if c.is_first_party() {
            continue;
        }
        let found = discharges.iter().position(|d| d.identifier() == c.id());
        described.discharge = Some(found.map(|j| match (&key, discharges.get(j)) {
            (Some(key), Some(d)) => match m.check_discharge(key, index, d) {
                Ok(()) => DischargeMatch::new(j, Some(true), None),
                Err(e) => DischargeMatch::new(j, Some(false), Some(e.to_string())),
            },
            _ => DischargeMatch::new(j, None, None),
        }));
    }
    let out = serde_json::to_string(&out)
        .map_err(|e| UsageError::new(format!("cannot write the description as JSON: {e}")))?;
    Ok(Outcome::Print(out, 0))
}

/// The `--discharge` tokens, parsed (any format), or why one cannot be read.
fn read_discharges(args: &Args, limits: &Limits) -> Result<Vec<Macaroon<'static>>, String> {
    args.all("--discharge")
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            Macaroon::deserialize_with(text, limits)
                .map_err(|e| format!("discharge {i} cannot be read: {e}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------

/// A secret store holding one secret: the root secret of the token being verified, whatever id
/// or subject it names, at the token's own generation.
struct OneSecret {
    secret: Secret,
    generation: u64,
}

impl OneSecret {
    fn copy(&self) -> Secret {
        Secret::new(self.secret.expose())
    }
}

impl TokenSecrets for OneSecret {
    fn named_secret(&self, _token_id: &str) -> Option<Secret> {
        Some(self.copy())
    }

    fn temporary_secret(&self, _subject: &Subject) -> Option<(Secret, u64)> {
        Some((self.copy(), self.generation))
    }

    fn legacy_secret(&self, _identifier: &str) -> Option<Secret> {
        Some(self.copy())
    }
}

fn invalid(error: &TokenError) -> Outcome {
    // The library says only "not valid" to clients; here the secret was given on the command
    // line, so the reason is the signature.
    let reason = match error {
        TokenError::InvalidSignature => {
            "the token is not valid: its signature does not match the secret".to_owned()
        }
        other => other.to_string(),
    };
    Outcome::Print(json!({ "valid": false, "reason": reason, "code": error.code() }).to_string(), 1)
}

fn context(args: &Args) -> Result<CaveatContext, UsageError> {
    let now = match args.parsed("--now", parse_number::<u64>)? {
        Some(now) => now,
        None => match unix_seconds(SystemTime::now()) {
            0 => return Err(UsageError::new("the system clock is before 1970; give --now")),
            now => now,
        },
    };
    let regions = args
        .all("--region")
        .into_iter()
        .map(|r| {
            r.parse::<GeoRegion>().map_err(|e| {
                UsageError::new(format!(
                    "invalid value `{}` for `--region`: {}",
                    snippet(r),
                    problem(&e)
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CaveatContext {
        now,
        ip: args.parsed("--ip", str::parse::<IpAddr>)?,
        asn: args.parsed("--asn", parse_number::<u32>)?,
        country: args
            .parsed("--country", |v| v.parse::<CountryCode>().map_err(|e| problem(&e)))?
            .map(|c| c.as_str().to_owned()),
        regions,
        consumer: args.parsed("--consumer", |v| v.parse::<Consumer>().map_err(|e| problem(&e)))?,
        interface: args
            .parsed("--interface", |v| v.parse::<Interface>().map_err(|e| problem(&e)))?,
        service: args.parsed("--service", |v| v.parse::<Service>().map_err(|e| problem(&e)))?,
        api_call: args.parsed("--api", |v| v.parse::<ApiCall>().map_err(|e| problem(&e)))?,
        ..CaveatContext::default()
    })
}

fn verify(args: &[String]) -> Result<Outcome, UsageError> {
    const VALUED: &[&str] = &[
        "--secret",
        "--secret-hex",
        "--now",
        "--ip",
        "--asn",
        "--country",
        "--region",
        "--consumer",
        "--interface",
        "--service",
        "--api",
        "--discharge",
    ];
    let args = match parse_args("verify", args, VALUED, &["--signature-only"])? {
        Ok(args) => args,
        Err(help) => return Ok(help),
    };
    let secret = args.secret()?;
    let ctx = context(&args)?;
    let text = args.token()?;
    let discharges = match read_discharges(&args, &Limits::default()) {
        Ok(discharges) => discharges,
        Err(reason) => {
            return Ok(Outcome::Print(json!({ "valid": false, "reason": reason }).to_string(), 1));
        }
    };

    if args.switch("--signature-only") || !discharges.is_empty() {
        let checker = (!args.switch("--signature-only")).then_some(&ctx);
        return Ok(verify_with_engine(text, &secret, &discharges, checker));
    }
    let token = match UnverifiedToken::parse(text) {
        Ok(token) => token,
        Err(e) => return Ok(invalid(&e)),
    };
    let generation = match token.identifier().as_v2().map(|v2| v2.persistence) {
        Some(Persistence::Temporary { generation }) => generation,
        _ => 0,
    };
    let secrets = OneSecret { secret, generation };
    match Verifier::new(&secrets).verify(&token, &ctx) {
        Ok(verified) => {
            let caveats: Vec<String> = verified.caveats().iter().map(Caveat::to_string).collect();
            let out = json!({
                "valid": true,
                "signature_only": false,
                "identifier_fields": verified.identifier().fields_json(),
                "caveats": caveats,
                "valid_until": verified.valid_until(),
            });
            Ok(Outcome::Print(out.to_string(), 0))
        }
        Err(e) => Ok(invalid(&e)),
    }
}

/// `verify --signature-only` (the HMAC chains and bindings alone, for any macaroon), and
/// `verify --discharge`: the same with every first-party caveat checked as an Onezone caveat in
/// `ctx`.
fn verify_with_engine(
    text: &str,
    secret: &Secret,
    discharges: &[Macaroon<'_>],
    ctx: Option<&CaveatContext>,
) -> Outcome {
    let limits = Limits::default();
    let decoded = match decode_text(text, &limits) {
        Ok(decoded) => decoded,
        Err(e) => return invalid(&TokenError::Malformed(e)),
    };
    let m = match decoded.macaroon(&limits) {
        Ok(m) => m,
        Err(e) => return invalid(&TokenError::Malformed(e)),
    };
    let key = RootKey::derive(secret.expose());
    let verified = match ctx {
        None => m.verify_signature_with_discharges(&key, discharges, &limits),
        Some(ctx) => {
            let mut checker =
                |predicate: &[u8]| onezone_caveat(predicate).is_some_and(|c| c.check(ctx).is_ok());
            m.verify_with_discharges(&key, &mut checker, discharges, &limits)
        }
    };
    match verified {
        Ok(()) => {}
        // The opaque failure keeps the token layer's wording.
        Err(e @ MacaroonError::InvalidSignature) => return invalid(&TokenError::from(e)),
        Err(e) => {
            return Outcome::Print(
                json!({ "valid": false, "reason": e.to_string() }).to_string(),
                1,
            );
        }
    }
    let caveats: Vec<String> = m.caveats().iter().map(|c| lossy(c.id())).collect();
    let valid_until = m
        .caveats()
        .iter()
        .filter_map(|c| match onezone_caveat(c.id()) {
            Some(Caveat::Time { valid_until }) => Some(valid_until),
            _ => None,
        })
        .min();
    let identifier_fields =
        TokenIdentifier::parse_bytes(m.identifier()).ok().map(|id| id.fields_json());
    let out = json!({
        "valid": true,
        "signature_only": ctx.is_none(),
        "discharges": discharges.len(),
        "identifier_fields": identifier_fields,
        "caveats": caveats,
        "valid_until": valid_until,
    });
    Outcome::Print(out.to_string(), 0)
}

// ---------------------------------------------------------------------------------------------
// mint
// ---------------------------------------------------------------------------------------------

fn mint(args: &[String]) -> Result<Outcome, UsageError> {
    const VALUED: &[&str] = &[
        "--secret",
        "--secret-hex",
        "--identifier",
        "--location",
        "--caveat",
        "--format",
        "--encoding",
    ];
    let args = match parse_args("mint", args, VALUED, &["--raw"])? {
        Ok(args) => args,
        Err(help) => return Ok(help),
    };
    args.no_positionals()?;
    let secret = args.secret()?;
    let identifier = args
        .single("--identifier")?
        .ok_or_else(|| UsageError::new("`mint` needs --identifier ID"))?;
    let location = args.single("--location")?.unwrap_or("");
    let format = args
        .parsed("--format", |f| match f {
            "v1" => Ok(Format::V1),
            "v2" => Ok(Format::V2),
            "v2json" => Ok(Format::V2Json),
            _ => Err("expected v1, v2 or v2json"),
        })?
        .unwrap_or(Format::V1);
    let encoding = args
        .parsed("--encoding", |e| match e {
            "escaped" => Ok(Encoding::Escaped),
            "base64url" => Ok(Encoding::Base64Url),
            _ => Err("expected escaped or base64url"),
        })?
        .unwrap_or(Encoding::Escaped);
    let caveats = args.all("--caveat");

    let token = match TokenIdentifier::parse(identifier) {
        Ok(id) if !args.switch("--raw") => {
            let caveats = caveats
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    Caveat::parse(text).map_err(|e| {
                        let (n, text) = (i + 1, snippet(text));
                        UsageError::new(match e {
                            CaveatError::Unrecognized => format!(
                                "caveat {n} `{text}` is not an Onezone caveat (the identifier is \
                                 Onezone's; give --raw to add it anyway)"
                            ),
                            e => format!("caveat {n} `{text}` is not a valid Onezone caveat: {e}"),
                        })
                    })
                })
                .collect::<Result<Vec<Caveat>, UsageError>>()?;
            mint_as(&secret, location, &id, &caveats, format, encoding)
                .map_err(|e| UsageError::new(format!("cannot mint the token: {e}")))?
        }
        _ => {
            // Raw caveats, but the same promise as `mint_as`: never a token the readers refuse.
            let limits = Limits::default();
            let too_many = |what: &str, found: usize, max: usize| {
                UsageError::new(format!(
                    "cannot mint the token: it would exceed the {what} limit: {found} is more \
                     than the maximum of {max}"
                ))
            };
            if caveats.len() > limits.max_caveats {
                return Err(too_many("caveat count", caveats.len(), limits.max_caveats));
            }
            let longest = caveats.iter().map(|c| c.len()).chain([identifier.len(), location.len()]);
            if let Some(len) = longest.max().filter(|&len| len > limits.max_field_len) {
                return Err(too_many("field length", len, limits.max_field_len));
            }
            let key = RootKey::derive(secret.expose());
            let mut m =
                Macaroon::new(&key, identifier.as_bytes()).with_location(location.as_bytes());
            for caveat in caveats {
                m.add_first_party_caveat(caveat.as_bytes());
            }
            let text = m
                .serialize(format, encoding)
                .map_err(|e| UsageError::new(format!("cannot mint the token: {e}")))?;
            if text.len() > limits.max_token_len {
                return Err(too_many("token length", text.len(), limits.max_token_len));
            }
            text
        }
    };
    Ok(Outcome::Print(token, 0))
}
