//! Issuing named and temporary tokens of every type as decisions: what Onezone 20.02 checks
//! before it creates one (oz-worker 20.02.20 `src/logic/token_logic_plugin.erl`
//! `create_named_token` / `create_temporary_token`; ctool `tokens.erl` `construct/3`), so that a
//! token issued is one the verifier accepts.

use alloc::format;
use alloc::string::String;
use core::fmt;

use rand_core::CryptoRng;
use serde_json::json;

use super::caveat::Caveat;
use super::identifier::{IdentifierV2, Persistence, Subject, TokenIdentifier, TokenType};
use super::verify::{TokenError, mint};
use crate::macaroon::Secret;
use crate::onezone_error::{OnezoneError, Refusal};

/// Random bytes of a token id (hex, 32 characters: the length of Onezone's generated keys).
const TOKEN_ID_BYTES: usize = 16;

/// A token issued: its identifier (the id, for the caller's record) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "the token must be stored (named) and returned"]
pub struct IssuedToken {
    /// The identifier, with the new token id.
    pub identifier: TokenIdentifier,
    /// The serialized token.
    pub token: String,
}

/// Why a token is not issued.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssueError {
    /// Version 2 tokens are issued for users and Oneproviders only (ctool `tokens.erl`
    /// `construct/3`: `tokenSubjectInvalid`).
    SubjectInvalid,
    /// A temporary token needs a time caveat reaching no further than the maximum lifetime
    /// (`tokenTimeCaveatRequired`, with `maxTtl`).
    TimeCaveatRequired {
        /// The maximum lifetime, in seconds.
        max_ttl: u64,
    },
    /// The token cannot be minted: a caveat its type refuses, or the parsing limits.
    Token(TokenError),
}

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueError::SubjectInvalid => {
                f.write_str("tokens are issued for users and Oneproviders only")
            }
            IssueError::TimeCaveatRequired { max_ttl } => write!(
                f,
                "a temporary token needs a time caveat with a lifetime of at most {max_ttl} s"
            ),
            IssueError::Token(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for IssueError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            IssueError::Token(e) => Some(e),
            _ => None,
        }
    }
}

impl Refusal for IssueError {
    /// 400, `Invalid request: ..`.
    fn onezone_1706(&self) -> (u16, String) {
        (400, format!("Invalid request: {self}"))
    }

    /// `tokenSubjectInvalid`, `tokenTimeCaveatRequired` with `maxTtl`, or the token's error.
    fn onezone_2002(&self) -> OnezoneError {
        match self {
            IssueError::SubjectInvalid => TokenError::SubjectInvalid.onezone_error(),
            IssueError::TimeCaveatRequired { max_ttl } => OnezoneError::new(
                "tokenTimeCaveatRequired",
                400,
                format!("You must specify a time caveat with maximum TTL of {max_ttl} seconds."),
            )
            .with_details(json!({ "maxTtl": max_ttl })),
            IssueError::Token(e) => e.onezone_error(),
        }
    }
}

fn check_subject(subject: &Subject) -> Result<(), IssueError> {
    match subject {
        Subject::User(_) | Subject::Provider(_) => Ok(()),
        _ => Err(IssueError::SubjectInvalid),
    }
}

fn new_id<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; TOKEN_ID_BYTES];
    rng.fill_bytes(&mut bytes);
    base16ct::lower::encode_string(&bytes)
}

fn issue(
    persistence: Persistence,
    subject: Subject,
    token_type: TokenType,
    id: String,
    secret: &Secret,
    domain: &str,
    caveats: &[Caveat],
) -> Result<IssuedToken, IssueError> {
    let identifier = IdentifierV2::new(persistence, subject, token_type, id)
        .map_err(|e| IssueError::Token(TokenError::Identifier(e)))?;
    let identifier = TokenIdentifier::V2(identifier);
    let token = mint(secret, domain, &identifier, caveats).map_err(IssueError::Token)?;
    Ok(IssuedToken { identifier, token })
}

/// Issues a named token (`2/nmd/...`) of any type for `subject` with a fresh random id; its
/// secret is `secret(id)` (a fresh random one the caller stores, or
/// [`DerivedSecrets::named`](super::DerivedSecrets::named)). The caller stores the record: the
/// id, the secret, the subject and type.
///
/// # Errors
/// [`IssueError::SubjectInvalid`] for a group or `nobody`; [`IssueError::Token`] for a caveat the
/// type refuses or a token past the limits.
pub fn issue_named_token<R: CryptoRng + ?Sized>(
    domain: &str,
    subject: Subject,
    token_type: TokenType,
    caveats: &[Caveat],
    secret: impl FnOnce(&str) -> Secret,
    rng: &mut R,
) -> Result<IssuedToken, IssueError> {
    check_subject(&subject)?;
    let id = new_id(rng);
    let secret = secret(&id);
    issue(Persistence::Named, subject, token_type, id, &secret, domain, caveats)
}

/// Issues a temporary token (`2/tmp-<generation>/...`) of any type for `subject`, under the
/// subject's shared secret and current generation, after Onezone's check: a `time` caveat whose
/// earliest expiry is after `now` and at most `max_ttl` seconds away (oz-worker 20.02.20
/// `token_logic_plugin.erl` `create_temporary_token`; the shipped configuration's maximum is
/// 2592000 s, the code's fallback [`DEFAULT_MAX_TEMPORARY_TTL`](super::DEFAULT_MAX_TEMPORARY_TTL)).
/// The verifier checks the same with its own maximum, so give both the same.
///
/// ```
/// use onezone_tokens::macaroon::Secret;
/// use onezone_tokens::onezone_error::Refusal;
/// use onezone_tokens::token::{Caveat, IssueError, Subject, TokenType, issue_temporary_token};
///
/// let shared = Secret::new(&b"alice's temporary-token secret"[..]);
/// let (now, max_ttl) = (1_800_000_000, 604_800);
/// let alice = Subject::User("alice".into());
/// let access = TokenType::Access { session: None };
/// let refused = issue_temporary_token("oz.example.org", alice.clone(), access.clone(), &[],
///     &shared, 3, now, max_ttl, &mut rand::rng()).unwrap_err();
/// assert_eq!(refused, IssueError::TimeCaveatRequired { max_ttl });
/// assert_eq!(refused.onezone_2002().id(), "tokenTimeCaveatRequired");
///
/// let hour = [Caveat::Time { valid_until: now + 3600 }];
/// let issued = issue_temporary_token("oz.example.org", alice, access, &hour, &shared, 3, now,
///     max_ttl, &mut rand::rng())?;
/// assert!(issued.identifier.to_string().starts_with("2/tmp-3/usr-alice/act/"));
/// # Ok::<(), IssueError>(())
/// ```
///
/// # Errors
/// [`IssueError::TimeCaveatRequired`] without a fitting time caveat, else as
/// [`issue_named_token`].
#[allow(clippy::too_many_arguments)] // the facts of one decision, each needed
pub fn issue_temporary_token<R: CryptoRng + ?Sized>(
    domain: &str,
    subject: Subject,
    token_type: TokenType,
    caveats: &[Caveat],
    shared_secret: &Secret,
    generation: u64,
    now: u64,
    max_ttl: u64,
    rng: &mut R,
) -> Result<IssuedToken, IssueError> {
    check_subject(&subject)?;
    let expiry = caveats
        .iter()
        .filter_map(|c| match c {
            Caveat::Time { valid_until } => Some(*valid_until),
            _ => None,
        })
        .min();
    if expiry.is_none_or(|v| v <= now || v > now.saturating_add(max_ttl)) {
        return Err(IssueError::TimeCaveatRequired { max_ttl });
    }
    let persistence = Persistence::Temporary { generation };
    issue(persistence, subject, token_type, new_id(rng), shared_secret, domain, caveats)
}
