//! The Onezone token layer: what a macaroon means. Identifiers (who issued a token and what it
//! is for), typed caveats (in their exact string and JSON forms), where secrets come from, and
//! verification in a request context. It uses only the public interface of
//! [`crate::macaroon`].
//!
//! # Identifiers
//!
//! Token identifiers: what the identifier of a token's macaroon says about the token.
//!
//! Onezone (20.02 and later) writes "version 2" identifiers of five `/`-separated parts:
//!
//! ```text
//! 2/<persistence>/<subject>/<type>/<id>
//! 2/nmd/usr-invitation-sender/ujg:GroupId:/1234567890example-id1234567890e
//! ```
//!
//! | part | forms |
//! |---|---|
//! | persistence | `nmd` (named: Onezone stores a secret per token) or `tmp-<generation>` (temporary: one shared secret per subject) |
//! | subject | `usr-<id>`, `grp-<id>`, `prv-<id>` or `nobody` |
//! | type | `act` (access), `act:<sessionId>` (access bound to a session), `idn` (identity) or an invite `<code>:<targetId>:<params>` |
//! | id | the token id |
//!
//! An identifier without `/` is a legacy (17.06) token: an opaque random id such as
//! `8HfHARHgklqBkZVI4l6MBTvSSvt98ppp6948s8Q7SOk`.
//!
//! ```
//! use onezone_tokens::token::{
//!     InviteKind, Persistence, Subject, TokenIdentifier, TokenType,
//! };
//!
//! let text = "2/nmd/usr-invitation-sender/ujg:GroupId:/1234567890example-id1234567890e";
//! let parsed = TokenIdentifier::parse(text)?;
//! let TokenIdentifier::V2(v2) = &parsed else { panic!("not a version 2 identifier") };
//! assert_eq!(v2.persistence, Persistence::Named);
//! assert_eq!(v2.subject, Subject::User("invitation-sender".into()));
//! assert_eq!(
//!     v2.token_type,
//!     TokenType::Invite { kind: InviteKind::UserJoinGroup, target: "GroupId".into(), params: "".into() }
//! );
//! assert_eq!(parsed.to_string(), text); // byte for byte
//! # Ok::<(), onezone_tokens::token::IdentifierError>(())
//! ```
//!
//! A token lends its identifier: [`UnverifiedToken::identifier`] and
//! [`VerifiedToken::identifier`] answer a `TokenIdentifier<&str>`, its fields slices of the
//! token's bytes (nothing copied); [`TokenIdentifier::parse_borrowed`] reads one from any text
//! the same way, and [`into_owned`](TokenIdentifier::into_owned) makes the owned
//! `TokenIdentifier` (`TokenIdentifier<String>`).
//!
//! ```
//! use onezone_tokens::token::{Subject, TokenIdentifier};
//! let text = "2/nmd/usr-alice/act/tok1";
//! let lent = TokenIdentifier::parse_borrowed(text)?;
//! let v2 = lent.into_v2().expect("version 2");
//! assert_eq!((v2.subject, v2.id), (Subject::User("alice"), "tok1"));
//! let owned: TokenIdentifier = lent.into_owned();
//! assert_eq!(owned.as_borrowed(), lent);
//! # Ok::<(), onezone_tokens::token::IdentifierError>(())
//! ```
//!
//! ## Strictness
//!
//! The reader accepts exactly the texts the writer produces, so a parsed identifier always
//! formats back to the same bytes, and each value has one text:
//!
//! - **Ids** (legacy identifiers, subject ids, session ids, invite targets, token ids) are
//!   non-empty and use only ASCII letters, digits, `-` and `_`. That is the alphabet of the ids
//!   Onezone generates (hex and base64url), and it keeps the separators `/` and `:`, spaces,
//!   control characters and non-ASCII text out. Invite parameters use the same alphabet but may
//!   be empty; they are kept as an opaque string.
//! - **Numbers** (the version, the generation) are plain decimal: no sign, no leading zeros
//!   (`tmp-007` is rejected; `tmp-7` is its only text), and the generation fits a `u64`.
//!
//! Onezone's own reader is laxer in a few corners that Onezone never writes: it reads numbers
//! with `binary_to_integer` (signs and leading zeros pass), takes any bytes as ids, and treats an
//! identifier containing `/` whose first part is not a number as a legacy id. All of these are
//! rejected here. The 20.02 writer only puts `usr-` and `prv-` subjects into version 2
//! identifiers; `grp-` and `nobody` are read and written for completeness.
//!
//! ## Building identifiers
//!
//! The fields are public, so a value can hold ids the format cannot carry (say a user id
//! containing `/`, which would shift the other parts of the text). [`Display`](core::fmt::Display)
//! writes fields verbatim; when the fields do not come from [`TokenIdentifier::parse`], check
//! them first with [`IdentifierV2::new`] or a `validate` method. Serializing with serde checks
//! them automatically.
//!
//! # Caveats
//!
//! Typed first-party caveats of Onezone tokens, as Onezone 20.02 writes and checks them.
//!
//! Every caveat has two forms, and [`Caveat`] reads and writes both:
//!
//! | string (inside the macaroon) | JSON (Onezone REST API) |
//! |---|---|
//! | `time < 1496140144` | `{"type":"time","validUntil":1496140144}` |
//! | `ip = 11.101.11.234/32\|10.0.0.0/8` | `{"type":"ip","whitelist":["11.101.11.234/32","10.0.0.0/8"]}` |
//! | `asn = 112\|322` | `{"type":"asn","whitelist":[112,322]}` |
//! | `geo.country = DE\|PT` / `geo.country != DE\|PT` | `{"type":"geo.country","filter":"whitelist"/"blacklist","list":["DE","PT"]}` |
//! | `geo.region = Africa\|EU` / `geo.region != …` | `{"type":"geo.region","filter":…,"list":["Africa","EU"]}` |
//! | `consumer = usr-<id>\|grp-<id>\|prv-<id>` | `{"type":"consumer","whitelist":[…]}` |
//! | `service = ozw-onezone\|opw-<id>` | `{"type":"service","whitelist":[…]}` |
//! | `interface = rest` | `{"type":"interface","interface":"rest"}` |
//! | `api = ozw/get/user.*.*:*\|…` | `{"type":"api","whitelist":[…]}` |
//! | `data.readonly` | `{"type":"data.readonly"}` |
//! | `data.path = <base64 path>\|…` | `{"type":"data.path","whitelist":[<base64 path>,…]}` |
//! | `data.objectid = <id>\|…` | `{"type":"data.objectid","whitelist":[…]}` |
//! | `authorization = none` | `{"type":"authorizationNone"}` |
//!
//! ```
//! use onezone_tokens::token::{Caveat, CaveatContext, CaveatFailure};
//!
//! let caveat = Caveat::parse("time < 1496140144")?;
//! assert_eq!(caveat, Caveat::Time { valid_until: 1_496_140_144 });
//! assert_eq!(caveat.to_string(), "time < 1496140144"); // byte for byte
//! assert_eq!(
//!     serde_json::to_string(&caveat).unwrap(),
//!     r#"{"type":"time","validUntil":1496140144}"#
//! );
//!
//! let failure = caveat.check(&CaveatContext::at(1_496_140_144)).unwrap_err();
//! assert!(matches!(failure, CaveatFailure::Expired { valid_until: 1_496_140_144, .. }));
//! assert_eq!(
//!     failure.to_string(),
//!     "unverified time caveat: this token has expired at 2017-05-30T10:29:04Z"
//! );
//! # Ok::<(), onezone_tokens::token::CaveatError>(())
//! ```
//!
//! ## Strictness and round trips
//!
//! The reader accepts exactly the texts the writer produces, so `parse(s)?.to_string() == s` for
//! every string that parses, and JSON read then written gives the same JSON value. Anything else —
//! a number with leading zeros, an upper-case or uncompressed IPv6 address, padded-differently
//! base64, an empty list, an empty entry — is refused with a [`CaveatError`] that says what and
//! where. A caveat that does not parse must be kept as raw text by the caller and is never
//! satisfied, which is always the safe side: a caveat can only restrict a token.
//!
//! Decisions that go beyond what Onezone writes down:
//!
//! * **IP masks** ([`IpMask`]) are stored as an address plus a prefix length, not as text. A mask
//!   may be written without `/<len>` (Onezone's own documentation shows `167.73.12.17`); that
//!   means a single host and is remembered, so the text round-trips. Host bits beyond the prefix
//!   (`11.101.11.234/24`) are accepted and kept, and ignored when matching — as Onezone does.
//!   Only the canonical spelling of an address is accepted (the one [`core::net::IpAddr`]
//!   prints: RFC 5952 for IPv6), so storing it parsed loses nothing. IPv6 is supported here;
//!   see the note on [`IpMask`].
//! * **`data.path`** holds base64 in both forms, exactly as Onezone writes it (standard alphabet,
//!   padded). [`DataPath`] keeps the decoded path and its `Display` shows the path; only the
//!   caveat forms use base64.
//! * **Geo and identity lists** are validated: countries are two upper-case letters, regions one
//!   of the eight Onezone names, consumers `usr-`/`grp-`/`prv-` and services `ozw-`/`ozp-`/
//!   `opw-`/`opp-` followed by a non-empty id without `|` or white space.
//!
//! ## Checking
//!
//! [`Caveat::check`] verifies one caveat against a [`CaveatContext`]. A caveat that needs a piece
//! of context that was not given fails with [`CaveatFailure::MissingContext`]; nothing passes by
//! default. Failures print in words a person understands, in the style of Onezone's own
//! `unverified ... caveat: ...` messages.

mod authenticate;
pub(crate) mod caveat;
mod describe;
pub(crate) mod identifier;
mod issue;
mod kind;
mod onezone_error;
mod onezone_json;
mod secrets;
mod verify;

pub use authenticate::{AuthError, Authenticated, Authenticator, CredentialHeaders};
pub use caveat::{
    ApiCall, ApiMatchspec, Caveat, CaveatContext, CaveatError, CaveatFailure, CaveatKind, Consumer,
    ConsumerKind, CountryCode, CrudOperation, DataPath, GeoRegion, Gri, GriPattern, Interface,
    IpMask, ListFilter, NonEmpty, ObjectId, Service, ServiceKind,
};
pub use describe::{CaveatDescription, DischargeMatch, TokenDescription};
pub use identifier::{
    IdPart, IdProblem, IdentifierError, IdentifierV2, InviteKind, Persistence, Subject,
    TokenIdentifier, TokenType,
};
pub use issue::{IssueError, IssuedToken, issue_named_token, issue_temporary_token};
pub use kind::TokenKind;
pub use onezone_json::{confine, examine_json};
pub use secrets::{DerivedSecrets, MemorySecrets, TokenKey, TokenSecrets};
pub use verify::{
    DEFAULT_MAX_TEMPORARY_TTL, TokenCaveat, TokenError, UnverifiedToken, VerifiedToken, Verifier,
    earliest_expiry, mint, mint_as, mint_within,
};
