//! Onezone tokens: a macaroon whose identifier and caveats mean something. Parsing gives an
//! [`UnverifiedToken`]; only [`Verifier::verify`] turns it into a [`VerifiedToken`].

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::macaroon::{
    self, Encoding, Format, Limit, Limits, Macaroon, MacaroonBytes, RawCaveat, Secret,
};

use crate::text::Quoted;

use super::caveat::{self, Caveat, CaveatContext, CaveatError, CaveatFailure};
use super::identifier::{IdentifierError, Persistence, Span, TokenIdentifier, read_v2_spans};
use super::kind::TokenKind;
use super::secrets::TokenSecrets;

/// Onezone's default maximum lifetime of a temporary token, in seconds (one week).
pub const DEFAULT_MAX_TEMPORARY_TTL: u64 = 604_800;

/// Why a token was refused. Each variant says why in words for a person (`Display`) and can be
/// matched by code. [`TokenError::InvalidSignature`] is deliberately opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The text is not a macaroon in any supported format.
    Malformed(macaroon::Error),
    /// The macaroon's identifier is not an Onezone identifier.
    Identifier(IdentifierError),
    /// No secret is known for this token (unknown token id or subject).
    UnknownToken,
    /// The signature does not match: the token was altered or forged.
    InvalidSignature,
    /// The token carries a third-party caveat, which Onezone tokens never do. The macaroon engine
    /// can verify third-party caveats with discharges ([`Macaroon::verify_with_discharges`]), but
    /// Onezone never issues them, so this layer takes no discharges and refuses such a token
    /// (after its signature is found authentic).
    ThirdPartyCaveat,
    /// The token was revoked (named: on the revocation list; temporary: an older generation).
    Revoked,
    /// A named token's identifier names another subject than the one stored with its record
    /// ([`TokenSecrets::named_subject`]), or no subject is stored for a legacy token that must
    /// have one: Onezone's `tokenSubjectInvalid`.
    SubjectInvalid,
    /// A temporary token claims a generation newer than the subject's current one.
    FutureGeneration {
        /// The generation in the token.
        token: u64,
        /// The subject's current generation.
        current: u64,
    },
    /// A caveat is not one of Onezone's caveats (kept as raw text, never satisfied).
    UnknownCaveat {
        /// The caveat as written in the token.
        caveat: String,
        /// Why it did not parse.
        error: CaveatError,
    },
    /// A caveat of a kind this type of token may not carry ([`TokenKind::accepts`]: invite
    /// tokens accept only time, ip, asn, geo.country, geo.region and consumer).
    CaveatNotAllowed {
        /// The caveat as written in the token.
        caveat: String,
        /// The token type that refuses it.
        token_type: &'static str,
    },
    /// A temporary token without a time caveat, or one reaching past the maximum lifetime.
    TemporaryLifetime {
        /// The latest allowed expiry (Unix seconds).
        max_valid_until: u64,
        /// The token's earliest expiry, if it has one.
        valid_until: Option<u64>,
    },
    /// A temporary token to be minted has no time caveat, so every verifier would refuse it
    /// ([`TokenError::TemporaryLifetime`]); [`issue_temporary_token`](super::issue_temporary_token)
    /// also checks the lifetime.
    TimeCaveatRequired,
    /// The token to be minted would exceed the parsing [`Limits`] (by default, those of
    /// [`UnverifiedToken::parse`]), so no reader would accept it: too many caveats, one field too
    /// long, or too long a text.
    ExceedsLimit {
        /// Which limit.
        limit: Limit,
        /// The limit's maximum.
        max: usize,
        /// What the token would have.
        found: usize,
    },
    /// A caveat does not hold in the verification context.
    CaveatFailed {
        /// The caveat as written in the token.
        caveat: String,
        /// Why it does not hold.
        failure: CaveatFailure,
    },
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed(e) => write!(f, "the token cannot be read: {e}"),
            TokenError::Identifier(e) => write!(f, "the token identifier is not valid: {e}"),
            // One message for both: a client must not learn which token ids exist.
            TokenError::UnknownToken | TokenError::InvalidSignature => {
                f.write_str("the token is not valid")
            }
            TokenError::ThirdPartyCaveat => {
                f.write_str("the token carries a third-party caveat, which is not supported")
            }
            TokenError::Revoked => f.write_str("the token has been revoked"),
            TokenError::SubjectInvalid => f.write_str(
                "the token's subject is invalid (does not exist or is different than expected)",
            ),
            TokenError::FutureGeneration { token, current } => write!(
                f,
                "the token is not valid: its generation {token} is newer than the current {current}"
            ),
            TokenError::UnknownCaveat { caveat, error } => {
                write!(f, "unknown caveat `{}`: {error}", Quoted::short(caveat))
            }
            TokenError::CaveatNotAllowed { caveat, token_type } => write!(
                f,
                "the caveat `{}` is not allowed in {token_type} tokens",
                Quoted::short(caveat)
            ),
            TokenError::TemporaryLifetime { max_valid_until, valid_until: None } => write!(
                f,
                "a temporary token must carry a time caveat (expiring by {max_valid_until} at the latest)"
            ),
            TokenError::TemporaryLifetime { max_valid_until, valid_until: Some(v) } => write!(
                f,
                "the temporary token lives too long: it expires at {v}, the maximum is {max_valid_until}"
            ),
            TokenError::TimeCaveatRequired => {
                f.write_str("a temporary token must carry a time caveat")
            }
            TokenError::ExceedsLimit { limit, max, found } => {
                let (name, unit) = match limit {
                    Limit::CaveatCount => ("caveat count", "caveats"),
                    Limit::FieldLength => ("field length", "bytes in one field"),
                    _ => ("token length", "characters"),
                };
                write!(
                    f,
                    "the token would exceed the {name} limit: {found} {unit}, more than the \
                     maximum of {max}"
                )
            }
            TokenError::CaveatFailed { failure, .. } => write!(f, "{failure}"),
        }
    }
}

impl core::error::Error for TokenError {}

impl From<macaroon::Error> for TokenError {
    fn from(e: macaroon::Error) -> Self {
        match e {
            macaroon::Error::InvalidSignature => TokenError::InvalidSignature,
            // The token layer verifies with no discharges (Onezone tokens never carry third-party
            // caveats), so an authentic token with a third-party caveat lacks its discharge.
            macaroon::Error::DischargeMissing { .. } => TokenError::ThirdPartyCaveat,
            other => TokenError::Malformed(other),
        }
    }
}

impl From<IdentifierError> for TokenError {
    fn from(e: IdentifierError) -> Self {
        TokenError::Identifier(e)
    }
}

/// A caveat as carried by a token: parsed if Onezone knows it, else its raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCaveat {
    /// One of Onezone's caveats.
    Known(Caveat),
    /// Anything else (never satisfied), with why it did not parse.
    Unknown {
        /// The caveat's text (lossy UTF-8).
        text: String,
        /// Why it is not an Onezone caveat.
        error: CaveatError,
    },
}

impl TokenCaveat {
    pub(crate) fn read(predicate: &[u8]) -> Self {
        match parse_text(core::str::from_utf8(predicate)) {
            Ok(caveat) => TokenCaveat::Known(caveat),
            Err(error) => TokenCaveat::Unknown {
                text: String::from_utf8_lossy(predicate).into_owned(),
                error,
            },
        }
    }
}

/// A caveat's bytes read as `text`, parsed: no Onezone caveat has bytes that are not UTF-8.
/// Inlined: called as a function, it cost the verifier ~40 instructions a token (callgrind).
#[inline(always)]
fn parse_text(text: Result<&str, core::str::Utf8Error>) -> Result<Caveat, CaveatError> {
    text.map_err(|_| CaveatError::Unrecognized).and_then(Caveat::parse)
}

/// A token read off the wire. Nothing in it is trusted until [`Verifier::verify`] says so.
///
/// It keeps the token's decoded bytes in one allocation (shared with its clones and with the
/// [`VerifiedToken`] made from it: neither copies them) and where its identifier's fields lie in
/// them, and lends the identifier from those bytes; it reads the bytes in place
/// ([`macaroon::MacaroonView`]) when it is verified.
pub struct UnverifiedToken {
    macaroon: MacaroonBytes,
    /// The identifier as parsed, each field the span of the identifier's text it lies in.
    shape: TokenIdentifier<Span>,
    format: Format,
    escaped: bool,
}

impl Clone for UnverifiedToken {
    /// Shares the bytes; the rest is copied (the derived clone took each identifier field in
    /// turn: 80 instructions a verification, callgrind).
    fn clone(&self) -> Self {
        let UnverifiedToken { macaroon, shape, format, escaped } = self;
        UnverifiedToken {
            macaroon: macaroon.clone(),
            shape: *shape,
            format: *format,
            escaped: *escaped,
        }
    }
}

impl fmt::Debug for UnverifiedToken {
    /// The identifier it lends (not where its fields lie), and the macaroon, its signature
    /// redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnverifiedToken")
            .field("identifier", &self.identifier())
            .field("format", &self.format)
            .field("escaped", &self.escaped)
            .field("macaroon", &self.macaroon)
            .finish()
    }
}

impl UnverifiedToken {
    /// Keeps the macaroon `view` reads (copied into one allocation) once its identifier has
    /// parsed as Onezone's.
    fn keep(view: &macaroon::MacaroonView<'_>, format: Format) -> Result<Self, TokenError> {
        let text = view.identifier();
        // A well-formed version 2 identifier is read in one pass over its bytes, straight into
        // where its fields lie (it is all ASCII: no UTF-8 check); anything else is read as text.
        let shape = match read_v2_spans(text) {
            Some(v2) => TokenIdentifier::V2(v2),
            None => {
                let identifier = TokenIdentifier::parse_bytes_borrowed(text)?;
                // Each field is a slice of `text`: its span is its distance from the start,
                // the same in the copy.
                let start = text.as_ptr() as usize;
                // (An offset past 32 bits takes the fallback, but only an identifier past
                // 4 GiB has one, and its bytes are refused below.)
                identifier.map(&mut |field: &str| {
                    let offset = (field.as_ptr() as usize).wrapping_sub(start);
                    Span::new(offset, offset.wrapping_add(field.len())).unwrap_or_default()
                })
            }
        };
        let escaped = view.escaped();
        // Matched, not `map_err`: the bytes are kept where `try_to_bytes` wrote them (through
        // `map_err` they were copied back at other widths: a stall, `perf`).
        let macaroon = match view.try_to_bytes() {
            Ok(macaroon) => macaroon,
            Err(error) => return Err(TokenError::Malformed(error)),
        };
        Ok(UnverifiedToken { macaroon, shape, format, escaped })
    }
}

impl UnverifiedToken {
    /// Reads a token in any text form (see [`macaroon::decode_text`]) within the default limits.
    ///
    /// What it says can be read before verifying, to find its secret and record; none of it is
    /// trusted until [`Verifier::verify`] succeeds.
    ///
    /// ```
    /// use onezone_tokens::token::{Persistence, TokenError, UnverifiedToken};
    ///
    /// // Onezone's compatibility vector: a named user-joins-group invite token.
    /// let token = UnverifiedToken::parse(
    ///     "MDAyMGxvY2F00aW9uIGRvbWFpbi5leGFtcGxlLmNvbQowMDU4aWRlbnRpZmllciAyL25tZC91c3ItaW52aXRhdGlvbi1zZW5kZXIvdWpnOkdyb3VwSWQ6LzEyMzQ1Njc4OTBleGFtcGxlLWlkMTIzNDU2Nzg5MGUKMDAyZnNpZ25hdHVyZSAZ9fnn2KhoiG2TYBxVhRllfTxiFK7wpdMQoJQaJNo4sQo",
    /// )?;
    /// assert_eq!(token.identifier().to_string(), "2/nmd/usr-invitation-sender/ujg:GroupId:/1234567890example-id1234567890e");
    /// let v2 = token.identifier().into_v2().expect("a version-2 identifier");
    /// assert_eq!((v2.persistence, v2.id), (Persistence::Named, "1234567890example-id1234567890e"));
    ///
    /// // Not a macaroon, or not an Onezone identifier: refused before any secret is looked up.
    /// assert!(matches!(UnverifiedToken::parse("MDAxNmxvY2F00aW9uIHJlZlF"), Err(TokenError::Malformed(_))));
    /// # Ok::<(), TokenError>(())
    /// ```
    ///
    /// # Errors
    /// [`TokenError::Malformed`] if it is no macaroon; [`TokenError::Identifier`] if its
    /// identifier is not Onezone's.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        Self::parse_with(text, &Limits::default())
    }

    /// Reads a token within `limits`.
    ///
    /// # Errors
    /// As [`UnverifiedToken::parse`].
    pub fn parse_with(text: &str, limits: &Limits) -> Result<Self, TokenError> {
        // Decoded once (on the stack), parsed once, and the bytes kept in one allocation. The
        // token is written where it is returned from, not handed back through each layer of
        // `with_token` (a copy of the whole token at each, `perf`). The placeholder is never
        // returned: `with_token` answers `Ok` only with what the closure made, so after
        // calling it.
        let mut kept = Err(TokenError::Malformed(macaroon::Error::Empty));
        macaroon::with_token(text, limits, |view| kept = Self::keep(&view, view.format()))
            .map_err(TokenError::Malformed)?;
        kept
    }

    /// Wraps an already parsed macaroon.
    ///
    /// # Errors
    /// [`TokenError::Identifier`] if its identifier is not Onezone's.
    pub fn from_macaroon(
        macaroon: Macaroon<'static>,
        format: Format,
        escaped: bool,
    ) -> Result<Self, TokenError> {
        Self::keep(&macaroon::MacaroonView::of(&macaroon, format).with_escaped(escaped), format)
    }

    /// The parsed identifier (unverified), its fields lent from the token's bytes (no copy;
    /// [`TokenIdentifier::into_owned`] makes an owned one).
    pub fn identifier(&self) -> TokenIdentifier<&str> {
        // The identifier parsed as UTF-8 when the token was read, and the spans are its
        // fields': the fallbacks (an empty text, empty fields) are never taken.
        let text = core::str::from_utf8(self.macaroon.view().identifier()).unwrap_or_default();
        self.shape.map(&mut |span| span.of(text))
    }

    /// The underlying macaroon, borrowing its fields from the token's bytes.
    pub fn macaroon(&self) -> Macaroon<'_> {
        self.macaroon.view().to_macaroon()
    }

    /// The format the token was read in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the text was Onezone-escaped.
    pub fn escaped(&self) -> bool {
        self.escaped
    }

    /// The caveats, parsed where Onezone knows them (unverified).
    pub fn caveats(&self) -> Vec<TokenCaveat> {
        self.macaroon.view().caveats().map(|c| TokenCaveat::read(c.id())).collect()
    }
}

/// A token whose signature, revocation state and every caveat were checked. Only
/// [`Verifier::verify`] makes one.
///
/// It shares the token's bytes with the [`UnverifiedToken`] it was verified from (no copy);
/// two verified tokens are equal when their identifiers, caveats and locations are.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    token: UnverifiedToken,
    /// The earliest `time` caveat.
    valid_until: Option<u64>,
    /// The location, when it is not UTF-8: read lossily once (else it is read from the bytes).
    lossy_location: Option<String>,
}

impl PartialEq for VerifiedToken {
    fn eq(&self, other: &Self) -> bool {
        self.identifier() == other.identifier()
            && self.caveats() == other.caveats()
            && self.location() == other.location()
    }
}

impl Eq for VerifiedToken {}

impl VerifiedToken {
    /// The identifier: who issued the token and what it is for, lent from the token's bytes
    /// ([`TokenIdentifier::into_owned`] makes an owned one).
    pub fn identifier(&self) -> TokenIdentifier<&str> {
        self.token.identifier()
    }

    /// The caveats, all of which held in the verification context, read from the token's
    /// bytes (verifying checks each as it reads it and keeps none: a caller that wants them
    /// pays for the list).
    pub fn caveats(&self) -> Vec<Caveat> {
        let known = |caveat: RawCaveat<'_>| match TokenCaveat::read(caveat.id()) {
            TokenCaveat::Known(caveat) => Some(caveat),
            // Verified: every caveat is known.
            TokenCaveat::Unknown { .. } => None,
        };
        self.token.macaroon.view().caveats().filter_map(known).collect()
    }

    /// The Onezone domain the token names as its location (not signed).
    pub fn location(&self) -> Option<&str> {
        match &self.lossy_location {
            Some(lossy) => Some(lossy),
            None => {
                self.token.macaroon.view().location().and_then(|l| core::str::from_utf8(l).ok())
            }
        }
    }

    /// The earliest `time` caveat, if any: when the token stops being valid.
    pub fn valid_until(&self) -> Option<u64> {
        self.valid_until
    }
}

/// When a token with these caveats stops being valid: its earliest `time` caveat, if any
/// (Unix seconds). What [`VerifiedToken::valid_until`] answers, for caveats read elsewhere.
///
/// ```
/// use onezone_tokens::token::{Caveat, earliest_expiry};
/// let caveats = [Caveat::Time { valid_until: 20 }, "interface = rest".parse()?, Caveat::Time { valid_until: 10 }];
/// assert_eq!(earliest_expiry(&caveats), Some(10));
/// assert_eq!(earliest_expiry(&caveats[1..2]), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn earliest_expiry(caveats: &[Caveat]) -> Option<u64> {
    caveats
        .iter()
        .filter_map(|c| match c {
            Caveat::Time { valid_until } => Some(*valid_until),
            _ => None,
        })
        .min()
}

/// Checks tokens against a secret store and a request context.
///
/// It checks what any token must satisfy, whatever it is used for; it does not decide what a
/// token may be used for. Authenticating a request (access tokens only, not bound to a session,
/// the subject of a legacy token) is [`Authenticator`](super::Authenticator)'s decision;
/// joining with an invite is the invite layer's.
///
/// ```
/// use onezone_tokens::macaroon::Secret;
/// use onezone_tokens::token::{
///     Caveat, CaveatContext, MemorySecrets, TokenError, TokenIdentifier, UnverifiedToken,
///     Verifier, mint,
/// };
///
/// let id = TokenIdentifier::parse("2/nmd/usr-alice/ujg:group1:/tok1")?;
/// let text = mint(&Secret::new(&b"per-token secret"[..]), "onezone.example.org", &id,
///     &[Caveat::Time { valid_until: 1_900_000_000 }])?;
///
/// let mut secrets = MemorySecrets::new();
/// secrets.insert_named("tok1", Secret::new(&b"per-token secret"[..]));
/// let token = UnverifiedToken::parse(&text)?;
/// let ctx = CaveatContext { now: 1_800_000_000, ..Default::default() };
/// let verified = Verifier::new(&secrets).verify(&token, &ctx)?;
/// assert_eq!(verified.valid_until(), Some(1_900_000_000));
///
/// let later = CaveatContext { now: 1_900_000_000, ..Default::default() };
/// let expired = Verifier::new(&secrets).verify(&token, &later).unwrap_err();
/// assert!(expired.to_string().contains("expired"), "{expired}");
/// # Ok::<(), TokenError>(())
/// ```
pub struct Verifier<'s, S: TokenSecrets + ?Sized> {
    secrets: &'s S,
    max_temporary_ttl: u64,
}

impl<'s, S: TokenSecrets + ?Sized> Verifier<'s, S> {
    /// A verifier over this secret store, with Onezone's default maximum temporary-token lifetime.
    pub fn new(secrets: &'s S) -> Self {
        Verifier { secrets, max_temporary_ttl: DEFAULT_MAX_TEMPORARY_TTL }
    }

    /// Sets the maximum lifetime (seconds) a temporary token's time caveat may reach from now.
    pub fn with_max_temporary_ttl(mut self, seconds: u64) -> Self {
        self.max_temporary_ttl = seconds;
        self
    }

    /// Verifies a token: the secret named by its identifier, a temporary token's generation,
    /// the signature (constant time), revocation, a named token's stored subject
    /// ([`TokenSecrets::named_subject`]), which caveats its [`TokenKind`] allows, and every
    /// caveat in `ctx`.
    ///
    /// Onezone tokens never carry third-party caveats: an authentic token with one is refused with
    /// [`TokenError::ThirdPartyCaveat`] (no discharge is taken here; the engine's
    /// [`Macaroon::verify_with_discharges`] is for other macaroons).
    ///
    /// # Errors
    /// A [`TokenError`] saying why; nothing about the caveats is reported before the signature
    /// is known to be authentic.
    pub fn verify(
        &self,
        token: &UnverifiedToken,
        ctx: &CaveatContext,
    ) -> Result<VerifiedToken, TokenError> {
        // The identifier's fields are read off the bytes as they are needed: a named token's
        // id, a temporary token's subject, a named token's subject only if one is stored. The
        // fields (identifier, caveats, location) are read as text once.
        let shape = &token.shape;
        let view = token.macaroon.view();
        let text = view.fields_text();
        let identifier = view.identifier();
        // The identifier parsed as UTF-8 and its fields lie between characters: the fallback
        // (an empty field) is never taken.
        let field = |span: Span| text.get(span.of_bytes(identifier)).unwrap_or_default();
        // The key as the store hands it: lent if it keeps derived keys, else derived here. It
        // is looked at where the store wrote it, never moved (a move copied the whole
        // `TokenKey`, a derived key's room included, and read the store's fresh writes back at
        // other widths: a stall, `perf`).
        let (mut generation, mut revocable_id) = (None, None);
        let found = match shape {
            TokenIdentifier::V2(v2) => match v2.persistence {
                Persistence::Named => {
                    let id = field(v2.id);
                    revocable_id = Some(id);
                    self.secrets.named_key(id)
                }
                Persistence::Temporary { generation: claimed } => {
                    let subject = v2.subject.map(&mut |span| field(span)).into_owned();
                    self.secrets.temporary_key(&subject).map(|(key, current)| {
                        generation = Some((claimed, current));
                        key
                    })
                }
                #[allow(unreachable_patterns)] // `Persistence` is non-exhaustive
                _ => None,
            },
            TokenIdentifier::Legacy(span) => {
                let id = field(*span);
                revocable_id = Some(id);
                self.secrets.legacy_key(id)
            }
            #[allow(unreachable_patterns)] // `TokenIdentifier` is non-exhaustive
            _ => None,
        };
        let Some(key) = &found else { return Err(TokenError::UnknownToken) };

        // A temporary token of another generation was signed with another secret: compare the
        // generations first, so that a rotated one reads as revoked (as oz-worker 20.02.20
        // `token_auth.erl` `verify_token/2` answers), not as a bad signature.
        if let Some((claimed, current)) = generation {
            if claimed < current {
                return Err(TokenError::Revoked);
            }
            if claimed > current {
                return Err(TokenError::FutureGeneration { token: claimed, current });
            }
        }

        // Authenticate, in place, reading and checking the typed caveats in the same walk over
        // the bytes (the reader accepts every caveat, so only the signature decides here);
        // nothing read is reported before the signature is found authentic, and then in this
        // order: a caveat the token's kind does not allow, a caveat Onezone does not know, a
        // temporary token's lifetime, the first caveat that does not hold. Reading stops at the
        // first caveat Onezone does not know. Each caveat is dropped once read: nothing is
        // kept but the earliest expiry ([`VerifiedToken::caveats`] reads them again).
        let kind = TokenKind::of(shape);
        let mut read = Read::default();
        let mut checker = |raw: &[u8]| {
            if read.unknown.is_none() {
                let text = text.get(raw);
                // The caveats every token carries, checked where they lie (no `Caveat` built):
                // the same answer when they hold, and nothing said otherwise.
                if let Some(holds) = text.ok().and_then(|text| caveat::holds(text, ctx)) {
                    let allowed = kind.accepts(holds.kind, ctx.identity_only);
                    read.known(allowed, holds.valid_until);
                    return true;
                }
                // A caveat is looked at where `Caveat::parse` wrote it (moving it out copied
                // the whole result back at other widths: a stall, `perf`); an error is moved.
                match parse_text(text) {
                    Ok(ref caveat) => {
                        let allowed = kind.accepts(caveat.kind(), ctx.identity_only);
                        let valid_until = match caveat {
                            &Caveat::Time { valid_until } => Some(valid_until),
                            _ => None,
                        };
                        let index = read.known(allowed, valid_until);
                        if read.failed.is_none()
                            && let Err(failure) = caveat.check(ctx)
                        {
                            read.failed = Some((index, failure));
                        }
                    }
                    Err(error) => read.unknown = Some((read.count, error)),
                }
            }
            true
        };
        view.verify(key, &mut checker)?;
        drop(found);
        // Authentic: everything below may be reported to the caller.
        if revocable_id.is_some_and(|id| self.secrets.is_revoked(id)) {
            return Err(TokenError::Revoked);
        }
        // The subject stored with a named token's record must be the one its identifier names.
        if let TokenIdentifier::V2(v2) = shape
            && v2.persistence == Persistence::Named
            && let Some(id) = revocable_id
            && self.secrets.named_subject(id).is_some_and(|stored| {
                stored.as_borrowed() != v2.subject.map(&mut |span| field(span))
            })
        {
            return Err(TokenError::SubjectInvalid);
        }

        // The caveats as written, read again only to report one (an Onezone token has no
        // third-party caveat, so the first-party ones are all of them, in order).
        let written = |index: usize| {
            let raw = view.caveats().nth(index);
            raw.map(|raw| String::from_utf8_lossy(raw.id()).into_owned()).unwrap_or_default()
        };
        if let Some(index) = read.not_allowed {
            return Err(TokenError::CaveatNotAllowed {
                caveat: written(index),
                token_type: kind.name(),
            });
        }
        if let Some((index, error)) = read.unknown {
            return Err(TokenError::UnknownCaveat { caveat: written(index), error });
        }
        let valid_until = read.valid_until;
        if generation.is_some() {
            let max_valid_until = ctx.now.saturating_add(self.max_temporary_ttl);
            if valid_until.is_none_or(|v| v > max_valid_until) {
                return Err(TokenError::TemporaryLifetime { max_valid_until, valid_until });
            }
        }
        if let Some((index, failure)) = read.failed {
            return Err(TokenError::CaveatFailed { caveat: written(index), failure });
        }

        let lossy_location = view
            .location()
            .filter(|l| text.get(l).is_err())
            .map(|l| String::from_utf8_lossy(l).into_owned());
        Ok(VerifiedToken { token: token.clone(), valid_until, lossy_location })
    }
}

/// What the walk over a token's caveats found ([`Verifier::verify`]).
#[derive(Default)]
struct Read {
    /// How many caveats were read.
    count: usize,
    /// The index of the first caveat the token's kind does not allow.
    not_allowed: Option<usize>,
    /// The index of the first caveat Onezone does not know, and why (reading stops there;
    /// its text is read only once the signature is found authentic, to report it).
    unknown: Option<(usize, CaveatError)>,
    /// The earliest `time` caveat.
    valid_until: Option<u64>,
    /// The index of the first caveat that does not hold, and why.
    failed: Option<(usize, CaveatFailure)>,
}

impl Read {
    /// Counts a caveat Onezone knows, which the token's kind allows or not and which expires
    /// at `valid_until` if it is a `time` caveat; its index.
    #[inline(always)]
    fn known(&mut self, allowed: bool, valid_until: Option<u64>) -> usize {
        let index = self.count;
        if !allowed && self.not_allowed.is_none() {
            self.not_allowed = Some(index);
        }
        if let Some(v) = valid_until {
            self.valid_until = Some(self.valid_until.map_or(v, |earliest| earliest.min(v)));
        }
        self.count += 1;
        index
    }
}

/// Mints a token as Onezone does: location = the Onezone domain, the identifier, the caveats in
/// order, serialized as V1 in the escaped text form.
///
/// It never produces a token it would refuse: the caveats must be ones the identifier's
/// [`TokenKind`] accepts ([`TokenKind::mints`]; a legacy identifier is a named access token), a
/// temporary token needs a time caveat, and the token must fit the default parsing [`Limits`]
/// (those of [`UnverifiedToken::parse`]). See [`mint_within`] for other limits.
///
/// ```
/// use onezone_tokens::macaroon::Secret;
/// use onezone_tokens::token::{Caveat, TokenError, TokenIdentifier, mint};
/// let id = TokenIdentifier::parse("2/nmd/usr-a/ujg:g:/t")?;
/// let secret = Secret::new(&b"secret"[..]);
/// let err = mint(&secret, "onezone.example.org", &id, &[Caveat::DataReadonly]).unwrap_err();
/// assert_eq!(err.to_string(), "the caveat `data.readonly` is not allowed in invite tokens");
/// let many = vec![Caveat::Time { valid_until: 1_900_000_000 }; 300];
/// let err = mint(&secret, "onezone.example.org", &id, &many).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "the token would exceed the caveat count limit: 300 caveats, more than the maximum of 256"
/// );
/// # Ok::<(), TokenError>(())
/// ```
///
/// # Errors
/// [`TokenError::Identifier`] if the identifier would not parse back;
/// [`TokenError::CaveatNotAllowed`] for a caveat its type refuses;
/// [`TokenError::TimeCaveatRequired`] for a temporary token without a time caveat;
/// [`TokenError::ExceedsLimit`] if the token would not fit the limits; [`TokenError::Malformed`]
/// if a field does not fit the format.
pub fn mint<S: AsRef<str>>(
    secret: &Secret,
    domain: &str,
    identifier: &TokenIdentifier<S>,
    caveats: &[Caveat],
) -> Result<String, TokenError> {
    mint_as(secret, domain, identifier, caveats, Format::V1, Encoding::Escaped)
}

/// Mints a token in a chosen format and text encoding (see [`mint`]), within the default
/// parsing [`Limits`].
///
/// # Errors
/// As [`mint`].
pub fn mint_as<S: AsRef<str>>(
    secret: &Secret,
    domain: &str,
    identifier: &TokenIdentifier<S>,
    caveats: &[Caveat],
    format: Format,
    encoding: Encoding,
) -> Result<String, TokenError> {
    mint_within(secret, domain, identifier, caveats, format, encoding, &Limits::default())
}

/// Mints a token (see [`mint`]) that readers parsing within `limits` accept: a server that
/// parses with stricter [`Limits`] than the default mints with the same ones.
///
/// # Errors
/// As [`mint`].
pub fn mint_within<S: AsRef<str>>(
    secret: &Secret,
    domain: &str,
    identifier: &TokenIdentifier<S>,
    caveats: &[Caveat],
    format: Format,
    encoding: Encoding,
    limits: &Limits,
) -> Result<String, TokenError> {
    identifier.validate().map_err(TokenError::Identifier)?;
    if let TokenIdentifier::V2(v2) = identifier
        && matches!(v2.persistence, Persistence::Temporary { .. })
        && !caveats.iter().any(|c| matches!(c, Caveat::Time { .. }))
    {
        return Err(TokenError::TimeCaveatRequired);
    }
    let kind = TokenKind::of(identifier);
    if let Some(caveat) = caveats.iter().find(|c| !kind.mints(c.kind())) {
        return Err(TokenError::CaveatNotAllowed {
            caveat: caveat.to_string(),
            token_type: kind.name(),
        });
    }
    within(Limit::CaveatCount, limits.max_caveats, caveats.len())?;
    let id_text = identifier.to_string();
    within(Limit::FieldLength, limits.max_field_len, domain.len())?;
    within(Limit::FieldLength, limits.max_field_len, id_text.len())?;
    let key = secret.derive_key();
    let mut m = Macaroon::new(&key, id_text.into_bytes()).with_location(domain.as_bytes());
    for caveat in caveats {
        let text = caveat.to_string();
        within(Limit::FieldLength, limits.max_field_len, text.len())?;
        m.add_first_party_caveat(text.into_bytes());
    }
    let text = m.serialize(format, encoding).map_err(TokenError::Malformed)?;
    // The readers count characters of the text form; every encoding writes ASCII, one byte each.
    within(Limit::TokenLength, limits.max_token_len, text.len())?;
    Ok(text)
}

fn within(limit: Limit, max: usize, found: usize) -> Result<(), TokenError> {
    if found > max { Err(TokenError::ExceedsLimit { limit, max, found }) } else { Ok(()) }
}
