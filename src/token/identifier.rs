//! Token identifiers (documented in [`crate::token`], which re-exports them).

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::text::Quoted;

/// The format of a version 2 identifier, for messages.
const V2_FORMAT: &str = "`2/<persistence>/<subject>/<type>/<id>`";

/// The parsed identifier of an Onezone token.
///
/// Parse with [`TokenIdentifier::parse`] (or [`str::parse`]); format with
/// [`Display`](fmt::Display). With serde, it is its text form (a JSON string); for a structured
/// view see [`TokenIdentifier::fields_json`].
///
/// Its id-like fields are `S`: owned [`String`]s by default, or `&str` lent from the text it
/// was read from ([`TokenIdentifier::parse_borrowed`], and what
/// [`UnverifiedToken::identifier`](super::UnverifiedToken::identifier) lends from a token's
/// bytes), which copies nothing. [`as_borrowed`](TokenIdentifier::as_borrowed) and
/// [`into_owned`](TokenIdentifier::into_owned) go between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenIdentifier<S = String> {
    /// A version 2 identifier, `2/<persistence>/<subject>/<type>/<id>`.
    V2(IdentifierV2<S>),
    /// A legacy (Onezone 17.06) identifier: an opaque random id, without `/`. Onezone reads it
    /// as a named access token.
    Legacy(S),
}

/// The five parts of a version 2 identifier (the version is implied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentifierV2<S = String> {
    /// Where the token's secret lives.
    pub persistence: Persistence,
    /// Who the token is for.
    pub subject: Subject<S>,
    /// What the token is for.
    pub token_type: TokenType<S>,
    /// The token id.
    pub id: S,
}

/// Where a token's secret lives: the `<persistence>` part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Persistence {
    /// `nmd`: Onezone stores a secret for this token alone, found by the token id; the token can
    /// be revoked on its own.
    Named,
    /// `tmp-<generation>`: the token uses its subject's shared secret for temporary tokens.
    /// Changing that secret (which increments the generation) revokes all of them at once.
    Temporary {
        /// The generation of the shared secret the token was issued with.
        generation: u64,
    },
}

/// Who a token is for: the `<subject>` part.
///
/// Formats as (and parses from) `usr-<id>`, `grp-<id>`, `prv-<id>` or `nobody`. The id is `S`,
/// as in [`TokenIdentifier`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Subject<S = String> {
    /// `usr-<id>`: a user.
    User(S),
    /// `grp-<id>`: a group.
    Group(S),
    /// `prv-<id>`: a Oneprovider.
    Provider(S),
    /// `nobody`: no subject (Onezone also writes its internal `root` subject this way).
    Nobody,
}

/// What a token is for: the `<type>` part. Its ids are `S`, as in [`TokenIdentifier`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType<S = String> {
    /// `act`, or `act:<sessionId>` when bound to a session: an access token, which authorizes
    /// its subject's requests.
    Access {
        /// The session the token is bound to, if any.
        session: Option<S>,
    },
    /// `idn`: an identity token, which proves who its subject is and nothing more.
    Identity,
    /// `<code>:<targetId>:<params>`: an invite token.
    Invite {
        /// Which kind of invitation.
        kind: InviteKind,
        /// The id of the entity invited into (the group, space, cluster, harvester...; for
        /// [`InviteKind::RegisterOneprovider`], the admin user).
        target: S,
        /// The invite's parameters, opaque and usually empty (Onezone 20.02 writes the support
        /// parameters of [`InviteKind::SupportSpace`] here, e.g. `ge`).
        params: S,
    },
}

/// The kind of an invite token: the `<code>` of an invite `<type>` part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum InviteKind {
    /// `ujg`: a user joins a group.
    UserJoinGroup,
    /// `gjg`: a group joins a group.
    GroupJoinGroup,
    /// `ujs`: a user joins a space.
    UserJoinSpace,
    /// `gjs`: a group joins a space.
    GroupJoinSpace,
    /// `ssp`: a Oneprovider supports a space.
    SupportSpace,
    /// `hjs`: a harvester joins a space.
    HarvesterJoinSpace,
    /// `rop`: register a Oneprovider (the target is the admin user).
    RegisterOneprovider,
    /// `ujc`: a user joins a cluster.
    UserJoinCluster,
    /// `gjc`: a group joins a cluster.
    GroupJoinCluster,
    /// `ujh`: a user joins a harvester.
    UserJoinHarvester,
    /// `gjh`: a group joins a harvester.
    GroupJoinHarvester,
    /// `sjh`: a space joins a harvester.
    SpaceJoinHarvester,
    /// `uji`: a user joins an automation inventory (Onezone 21.02; ctool release/21.02.2
    /// `src/auth/token_type.erl`).
    UserJoinAtmInventory,
    /// `gji`: a group joins an automation inventory (Onezone 21.02).
    GroupJoinAtmInventory,
}

/// Which id-like field of an identifier an [`IdentifierError::InvalidId`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdPart {
    /// A whole legacy identifier.
    Legacy,
    /// The id in a `usr-<id>` subject.
    UserId,
    /// The id in a `grp-<id>` subject.
    GroupId,
    /// The id in a `prv-<id>` subject.
    ProviderId,
    /// The session id in an `act:<sessionId>` type.
    SessionId,
    /// The target id in an invite type.
    InviteTarget,
    /// The parameters in an invite type (these may be empty).
    InviteParams,
    /// The token id, the last part.
    TokenId,
}

/// What is wrong with an id-like field (see [`IdentifierError::InvalidId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdProblem {
    /// The field is empty.
    Empty,
    /// The field contains a character outside ASCII letters, digits, `-` and `_`.
    InvalidCharacter {
        /// The first such character.
        character: char,
        /// Its byte offset in the field.
        offset: usize,
    },
}

/// Why a text is not a token identifier. The message names the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentifierError {
    /// The identifier is empty.
    Empty,
    /// The identifier bytes are not UTF-8 (only from [`TokenIdentifier::parse_bytes`]).
    NotUtf8 {
        /// The length of the valid UTF-8 prefix.
        valid_up_to: usize,
    },
    /// The identifier contains `/`, but its first part is not a plain decimal version number.
    MalformedVersion {
        /// The first part.
        found: String,
    },
    /// The identifier's version is a number other than 2.
    UnsupportedVersion {
        /// The first part.
        found: String,
    },
    /// A version 2 identifier does not have exactly five `/`-separated parts.
    PartCount {
        /// The number of parts found.
        found: usize,
    },
    /// The persistence part is neither `nmd` nor `tmp-<generation>`.
    Persistence {
        /// The persistence part.
        found: String,
    },
    /// The persistence part is `tmp-<generation>` with a generation that is not a plain decimal
    /// `u64` (empty, a sign, leading zeros, another character, or too large).
    Generation {
        /// The persistence part.
        found: String,
    },
    /// The subject part is not `usr-<id>`, `grp-<id>`, `prv-<id>` or `nobody`.
    Subject {
        /// The subject part.
        found: String,
    },
    /// The type part is not `act`, `act:<sessionId>`, `idn`, and has no `:` to be an invite.
    TokenType {
        /// The type part.
        found: String,
    },
    /// The type part looks like an invite (`<code>:...`) but the code is unknown.
    UnknownInviteCode {
        /// The code (the type part up to the first `:`).
        code: String,
    },
    /// An invite type part does not have exactly three `:`-separated fields
    /// (`<code>:<targetId>:<params>`).
    InviteFields {
        /// The type part.
        found: String,
        /// The number of fields found.
        fields: usize,
    },
    /// An id-like field is empty or contains a character outside ASCII letters, digits, `-`
    /// and `_`.
    InvalidId {
        /// Which field.
        part: IdPart,
        /// The field.
        found: String,
        /// What is wrong with it.
        problem: IdProblem,
    },
}

// ---------------------------------------------------------------------------------------------
// Parsing

impl TokenIdentifier {
    /// Parses an identifier: version 2 if it contains `/`, legacy otherwise.
    ///
    /// Accepts exactly the texts [`Display`](fmt::Display) writes; see the
    /// [module documentation](crate::token#strictness) for the rules.
    pub fn parse(text: &str) -> Result<Self, IdentifierError> {
        TokenIdentifier::parse_borrowed(text).map(TokenIdentifier::into_owned)
    }

    /// Parses an identifier as found in a macaroon (bytes); it must be UTF-8.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, IdentifierError> {
        TokenIdentifier::parse_bytes_borrowed(bytes).map(TokenIdentifier::into_owned)
    }
}

impl<'a> TokenIdentifier<&'a str> {
    /// [`TokenIdentifier::parse`] without copying anything: every id-like field is lent from
    /// `text`. The same texts are accepted, with the same errors.
    ///
    /// ```
    /// use onezone_tokens::token::{IdentifierError, Subject, TokenIdentifier};
    /// let text = "2/nmd/usr-alice/ujg:group1:/tok1";
    /// let id = TokenIdentifier::parse_borrowed(text)?;
    /// assert_eq!(id.as_v2().map(|v2| v2.subject), Some(Subject::User("alice")));
    /// assert_eq!(id.into_owned(), TokenIdentifier::parse(text)?);
    /// # Ok::<(), IdentifierError>(())
    /// ```
    pub fn parse_borrowed(text: &'a str) -> Result<Self, IdentifierError> {
        // Every token verification reads an identifier: a well-formed version 2 one is read in
        // one pass; anything else (a legacy identifier, any error) takes the reading below,
        // which says what is wrong. Both accept the same texts (tested).
        match read_v2(text) {
            Some(v2) => Ok(TokenIdentifier::V2(v2)),
            None => read_parts(text),
        }
    }

    /// [`TokenIdentifier::parse_bytes`] without copying anything.
    pub fn parse_bytes_borrowed(bytes: &'a [u8]) -> Result<Self, IdentifierError> {
        match core::str::from_utf8(bytes) {
            Ok(text) => Self::parse_borrowed(text),
            Err(e) => Err(IdentifierError::NotUtf8 { valid_up_to: e.valid_up_to() }),
        }
    }
}

/// An identifier read part by part, each checked in turn: the first wrong one is the error.
fn read_parts(text: &str) -> Result<TokenIdentifier<&str>, IdentifierError> {
    if text.is_empty() {
        return Err(IdentifierError::Empty);
    }
    let Some((version, rest)) = text.split_once('/') else {
        check_id(IdPart::Legacy, text)?;
        return Ok(TokenIdentifier::Legacy(text));
    };
    check_version(version)?;
    let mut parts = rest.split('/');
    let (Some(persistence), Some(subject), Some(token_type), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdentifierError::PartCount { found: text.split('/').count() });
    };
    let persistence = persistence.parse()?;
    let subject = Subject::parse_borrowed(subject)?;
    let token_type = TokenType::parse_borrowed(token_type)?;
    check_id(IdPart::TokenId, id)?;
    Ok(TokenIdentifier::V2(IdentifierV2 { persistence, subject, token_type, id }))
}

impl<S: AsRef<str>> TokenIdentifier<S> {
    /// The identifier's version as Onezone numbers it: 1 for legacy identifiers, 2 otherwise.
    pub fn version(&self) -> u32 {
        match self {
            TokenIdentifier::V2(_) => 2,
            TokenIdentifier::Legacy(_) => 1,
        }
    }

    /// The token id: the last part of a version 2 identifier, or the whole legacy identifier.
    pub fn id(&self) -> &str {
        match self {
            TokenIdentifier::V2(v2) => v2.id.as_ref(),
            TokenIdentifier::Legacy(id) => id.as_ref(),
        }
    }

    /// The version 2 parts, if this is a version 2 identifier.
    pub fn as_v2(&self) -> Option<&IdentifierV2<S>> {
        match self {
            TokenIdentifier::V2(v2) => Some(v2),
            TokenIdentifier::Legacy(_) => None,
        }
    }

    /// The version 2 parts, if this is a version 2 identifier, by value (for a borrowed
    /// identifier, as [`UnverifiedToken::identifier`](super::UnverifiedToken::identifier)
    /// lends).
    pub fn into_v2(self) -> Option<IdentifierV2<S>> {
        match self {
            TokenIdentifier::V2(v2) => Some(v2),
            TokenIdentifier::Legacy(_) => None,
        }
    }

    /// Checks that every field can be written in the identifier format, i.e. that formatting
    /// this value and parsing the text gives it back. Values from [`TokenIdentifier::parse`]
    /// always pass.
    pub fn validate(&self) -> Result<(), IdentifierError> {
        match self {
            TokenIdentifier::V2(v2) => v2.validate(),
            TokenIdentifier::Legacy(id) => check_id(IdPart::Legacy, id.as_ref()),
        }
    }

    /// A structured view of the identifier, for display (e.g. by a token inspection tool).
    ///
    /// The shape is stable; field names are fixed and always present:
    ///
    /// ```json
    /// {
    ///   "version": 2,
    ///   "persistence": "named",
    ///   "subject": {"type": "user", "id": "invitation-sender"},
    ///   "type": {"invite": {"kind": "userJoinGroup", "code": "ujg", "target": "GroupId", "params": ""}},
    ///   "id": "1234567890example-id1234567890e"
    /// }
    /// ```
    ///
    /// - `version`: `2`, or `1` for a legacy identifier, whose view is only
    ///   `{"version": 1, "id": "<the identifier>"}`.
    /// - `persistence`: `"named"` or `{"temporary": {"generation": <number>}}`.
    /// - `subject`: `{"type": "user" | "group" | "oneprovider", "id": "<id>"}` or
    ///   `{"type": "nobody", "id": null}` (Onezone's own JSON words for subjects).
    /// - `type`: `{"access": {"session": null | "<sessionId>"}}`, `"identity"`, or
    ///   `{"invite": {"kind": <InviteKind::name>, "code": <InviteKind::code>, "target": "<id>",
    ///   "params": "<params>"}}`.
    /// - `id`: the token id.
    ///
    /// Values are reported as they are; this does not [`validate`](Self::validate).
    pub fn fields_json(&self) -> Value {
        match self {
            TokenIdentifier::V2(v2) => v2.fields_json(),
            TokenIdentifier::Legacy(id) => json!({ "version": 1, "id": id.as_ref() }),
        }
    }

    /// The same identifier, its fields lent from this one.
    pub fn as_borrowed(&self) -> TokenIdentifier<&str> {
        self.each_ref().map(&mut |s| s.as_ref())
    }
}

impl<S: Into<String>> TokenIdentifier<S> {
    /// The same identifier with owned fields: a borrowed field is copied, an owned one moved.
    pub fn into_owned(self) -> TokenIdentifier {
        self.map(&mut Into::into)
    }
}

impl<S> TokenIdentifier<S> {
    /// The same identifier with each id-like field passed through `f`, in text order.
    pub(crate) fn map<T>(self, f: &mut impl FnMut(S) -> T) -> TokenIdentifier<T> {
        match self {
            TokenIdentifier::V2(v2) => TokenIdentifier::V2(v2.map(f)),
            TokenIdentifier::Legacy(id) => TokenIdentifier::Legacy(f(id)),
        }
    }

    fn each_ref(&self) -> TokenIdentifier<&S> {
        match self {
            TokenIdentifier::V2(v2) => TokenIdentifier::V2(v2.each_ref()),
            TokenIdentifier::Legacy(id) => TokenIdentifier::Legacy(id),
        }
    }
}

impl FromStr for TokenIdentifier {
    type Err = IdentifierError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl IdentifierV2 {
    /// Builds a version 2 identifier, checking that every field can be written in the format
    /// (see [`IdentifierV2::validate`]).
    pub fn new(
        persistence: Persistence,
        subject: Subject,
        token_type: TokenType,
        id: impl Into<String>,
    ) -> Result<Self, IdentifierError> {
        let v2 = IdentifierV2 { persistence, subject, token_type, id: id.into() };
        v2.validate()?;
        Ok(v2)
    }
}

impl<S: AsRef<str>> IdentifierV2<S> {
    /// Checks that every field can be written in the identifier format: ids non-empty and made
    /// of ASCII letters, digits, `-` and `_` (invite parameters may be empty).
    pub fn validate(&self) -> Result<(), IdentifierError> {
        self.subject.validate()?;
        self.token_type.validate()?;
        check_id(IdPart::TokenId, self.id.as_ref())
    }

    /// The structured view described at [`TokenIdentifier::fields_json`].
    pub fn fields_json(&self) -> Value {
        json!({
            "version": 2,
            "persistence": self.persistence.fields_json(),
            "subject": self.subject.fields_json(),
            "type": self.token_type.fields_json(),
            "id": self.id.as_ref(),
        })
    }

    /// The same parts, their fields lent from these.
    pub fn as_borrowed(&self) -> IdentifierV2<&str> {
        self.each_ref().map(&mut |s| s.as_ref())
    }
}

impl<S: Into<String>> IdentifierV2<S> {
    /// The same parts with owned fields: a borrowed field is copied, an owned one moved.
    pub fn into_owned(self) -> IdentifierV2 {
        self.map(&mut Into::into)
    }
}

impl<S> IdentifierV2<S> {
    fn map<T>(self, f: &mut impl FnMut(S) -> T) -> IdentifierV2<T> {
        let IdentifierV2 { persistence, subject, token_type, id } = self;
        let (subject, token_type) = (subject.map(f), token_type.map(f));
        IdentifierV2 { persistence, subject, token_type, id: f(id) }
    }

    fn each_ref(&self) -> IdentifierV2<&S> {
        IdentifierV2 {
            persistence: self.persistence,
            subject: self.subject.each_ref(),
            token_type: self.token_type.each_ref(),
            id: &self.id,
        }
    }
}
/// A well-formed version 2 identifier read in one pass, or `None` for anything else (which
/// [`TokenIdentifier::parse_borrowed`] then reads part by part, to say what is wrong). It
/// accepts only what that reading accepts, with the same value.
///
/// The alphabet of the whole text is checked at once (a branch-free pass the compiler
/// vectorizes): id characters and the separators `/` and `:`. One more pass, eight bytes at a
/// time ([`separators`]), finds where the separators lie: the parts are the text between them,
/// told apart by their bytes (no string search or comparison call). A well-formed identifier
/// has four `/`, the type part's `:` between the third and the fourth (none for `act` and
/// `idn`, one for `act:<session>`, two for an invite), and no other separator, so every field
/// it holds is an id as soon as it is not empty.
fn read_v2(text: &str) -> Option<IdentifierV2<&str>> {
    // Every byte of an identifier read in one pass is ASCII: each span lies between
    // characters, and the fallback (an empty field) is never taken.
    let spans = read_v2_spans(text.as_bytes())?;
    Some(spans.map(&mut |span| span.of(text)))
}

/// Where a field lies in a text: its start and end byte offsets, in 32 bits (a token keeps up
/// to seven of them, and moves them with it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// `start..end`, if both fit in 32 bits.
    pub(crate) fn new(start: usize, end: usize) -> Option<Span> {
        Some(Span { start: u32::try_from(start).ok()?, end: u32::try_from(end).ok()? })
    }

    /// The bytes of `bytes` it spans (none if they are not there).
    pub(crate) fn of_bytes(self, bytes: &[u8]) -> &[u8] {
        bytes.get(self.start as usize..self.end as usize).unwrap_or_default()
    }

    /// The text of `text` it spans (none if it is not there or not between characters).
    pub(crate) fn of(self, text: &str) -> &str {
        text.get(self.start as usize..self.end as usize).unwrap_or_default()
    }
}

/// [`read_v2`] of the bytes of an identifier, each field where it lies in them: what a token
/// keeps, with no check that the bytes are UTF-8 (they are all ASCII if this answers).
#[inline] // its answer written where `keep` wants it, not copied there (`perf`)
pub(crate) fn read_v2_spans(bytes: &[u8]) -> Option<IdentifierV2<Span>> {
    let (at, count) = separators(bytes)?;
    let at = at.get(..count)?;
    // The separators: three `/`, then the type part's `:`, then the last `/`.
    let (&[version_end, persistence_end, subject_end], rest) = at.split_first_chunk()?;
    let (&type_end, colons) = rest.split_last()?;
    let is = |index: usize, separator: u8| bytes.get(index) == Some(&separator);
    let slashes = [version_end, persistence_end, subject_end, type_end];
    if !(slashes.iter().all(|&index| is(index, b'/'))
        && colons.iter().all(|&index| is(index, b':')))
    {
        return None;
    }
    // The parts: between two separators.
    let part = |start: usize, end: usize| bytes.get(start..end);
    // `start..end` as a field, if it is not empty.
    let field = |start: usize, end: usize| Span::new(start, end).filter(|_| start < end);
    let version = part(0, version_end)?;
    let persistence = part(version_end + 1, persistence_end)?;
    let subject_start = persistence_end + 1;
    let subject = part(subject_start, subject_end)?;
    let type_start = subject_end + 1;
    let token_type = part(type_start, type_end)?;
    let id = field(type_end + 1, bytes.len())?;
    if version != [b'2'] {
        return None;
    }
    // Byte by byte: a byte-string pattern is compared by a call to `memcmp`.
    let persistence = match persistence {
        [b'n', b'm', b'd'] => Persistence::Named,
        [b't', b'm', b'p', b'-', digits @ ..] => {
            let digits = core::str::from_utf8(digits).ok()?;
            Persistence::Temporary { generation: parse_canonical_u64(digits)? }
        }
        _ => return None,
    };
    let subject = match subject {
        [b'n', b'o', b'b', b'o', b'd', b'y'] => Subject::Nobody,
        [b'u', b's', b'r', b'-', ..] => Subject::User(field(subject_start + 4, subject_end)?),
        [b'g', b'r', b'p', b'-', ..] => Subject::Group(field(subject_start + 4, subject_end)?),
        [b'p', b'r', b'v', b'-', ..] => Subject::Provider(field(subject_start + 4, subject_end)?),
        _ => return None,
    };
    // The type part's `:`, each where the part says.
    let token_type = match (token_type, colons) {
        ([b'a', b'c', b't'], []) => TokenType::Access { session: None },
        ([b'i', b'd', b'n'], []) => TokenType::Identity,
        ([b'a', b'c', b't', b':', ..], [_]) => {
            TokenType::Access { session: Some(field(type_start + 4, type_end)?) }
        }
        ([a, b, c, b':', ..], &[_, params_start]) => {
            let kind = InviteKind::from_code_bytes([*a, *b, *c])?;
            // The target ends at the second `:`; the parameters may be empty.
            let target = field(type_start + 4, params_start)?;
            TokenType::Invite { kind, target, params: Span::new(params_start + 1, type_end)? }
        }
        _ => return None,
    };
    Some(IdentifierV2 { persistence, subject, token_type, id })
}

/// Where the separators (`/`, `:`) of `bytes` lie, in order, and how many there are, if every
/// byte is an id character or a separator: `None` if one is not, or if there are more
/// separators than a well-formed identifier has (six: an invite's).
///
/// The alphabet is checked at once ([`crate::id::all_id_bytes`], vector instructions); the
/// separators are then found eight bytes at a time: a separator is a zero byte of the word XOR
/// the separator repeated, found exactly (every byte is ASCII, so no carry crosses from one
/// byte into the next; and the last word is padded with zero bytes, which are ASCII too). (A bit mask built per block of sixteen, which the compiler does not
/// make vector instructions, cost more than half as much again.)
fn separators(bytes: &[u8]) -> Option<([usize; 6], usize)> {
    const LOW: u64 = u64::from_le_bytes([0x7f; 8]);
    const SLASHES: u64 = u64::from_le_bytes([b'/'; 8]);
    const COLONS: u64 = u64::from_le_bytes([b':'; 8]);
    if !crate::id::all_id_bytes::<true>(bytes) {
        return None;
    }
    // Every byte is ASCII: adding 0x7f to each byte sets its high bit unless it is zero, with
    // no carry into the next byte. The high bit of each byte that is `/` or `:`, and no other
    // bit:
    let marks = |word: u64| {
        !((word ^ SLASHES).wrapping_add(LOW) & (word ^ COLONS).wrapping_add(LOW)) & !LOW
    };
    let mut at = [0; 6];
    let mut count = 0;
    let mut word_at = |start: usize, word: u64| -> Option<()> {
        let mut found = marks(word);
        while found != 0 {
            *at.get_mut(count)? = start + (found.trailing_zeros() / 8) as usize;
            count += 1;
            found &= found - 1;
        }
        Some(())
    };
    let mut words = bytes.chunks_exact(8);
    let mut start = 0;
    for word in &mut words {
        // Always eight bytes.
        word_at(start, u64::from_le_bytes(word.try_into().ok()?))?;
        start += 8;
    }
    // The last bytes, padded with zero bytes (not separators): the last eight bytes shifted
    // past the ones already read, or for a shorter text its bytes one by one. (Copied into a
    // zeroed word, they took a call to `memcpy` and a stalled load: a tenth of the reading.)
    let rest = words.remainder();
    let tail = bytes.len().checked_sub(8).and_then(|start| bytes.get(start..));
    let last = match tail.and_then(|tail| <[u8; 8]>::try_from(tail).ok()) {
        Some(tail) if !rest.is_empty() => u64::from_le_bytes(tail) >> (64 - 8 * rest.len()),
        _ => rest.iter().rev().fold(0, |word, &b| word << 8 | u64::from(b)),
    };
    word_at(start, last)?;
    Some((at, count))
}

/// For the fuzz target (`crate::fuzzing::token`): the one-pass reading of `text` accepts only
/// what the reading part by part accepts, with the same value.
pub(crate) fn assert_readings_agree(text: &str) {
    if let Some(v2) = read_v2(text) {
        assert_eq!(read_parts(text), Ok(TokenIdentifier::V2(v2)), "the one-pass reading differs");
    }
}

/// Checks the version part of an identifier containing `/`.
fn check_version(version: &str) -> Result<(), IdentifierError> {
    if version == "2" {
        return Ok(());
    }
    let found = String::from(version);
    if parse_canonical_u64(version).is_some() {
        Err(IdentifierError::UnsupportedVersion { found })
    } else {
        Err(IdentifierError::MalformedVersion { found })
    }
}

/// A plain decimal `u64`: digits only, no sign, no leading zero (except `0` itself).
fn parse_canonical_u64(text: &str) -> Option<u64> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = text.len() > 1 && text.starts_with('0');
    if digits_only && !leading_zero { text.parse().ok() } else { None }
}

/// Checks an id-like field: the id alphabet, and non-empty except for invite parameters.
fn check_id(part: IdPart, text: &str) -> Result<(), IdentifierError> {
    let problem = if let Some((offset, character)) = crate::id::first_invalid(text) {
        IdProblem::InvalidCharacter { character, offset }
    } else if text.is_empty() && part != IdPart::InviteParams {
        IdProblem::Empty
    } else {
        return Ok(());
    };
    Err(IdentifierError::InvalidId { part, found: text.into(), problem })
}

// ---------------------------------------------------------------------------------------------
// Persistence

impl Persistence {
    fn fields_json(self) -> Value {
        match self {
            Persistence::Named => json!("named"),
            Persistence::Temporary { generation } => {
                json!({ "temporary": { "generation": generation } })
            }
        }
    }
}

impl fmt::Display for Persistence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Persistence::Named => f.write_str("nmd"),
            Persistence::Temporary { generation } => write!(f, "tmp-{generation}"),
        }
    }
}

impl FromStr for Persistence {
    type Err = IdentifierError;

    /// Parses a persistence part, `nmd` or `tmp-<generation>`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "nmd" {
            return Ok(Persistence::Named);
        }
        let Some(generation) = text.strip_prefix("tmp-") else {
            return Err(IdentifierError::Persistence { found: text.into() });
        };
        match parse_canonical_u64(generation) {
            Some(generation) => Ok(Persistence::Temporary { generation }),
            None => Err(IdentifierError::Generation { found: text.into() }),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Subject

impl<'a> Subject<&'a str> {
    /// [`str::parse`] into a [`Subject`] without copying: the id is lent from `text`.
    pub fn parse_borrowed(text: &'a str) -> Result<Self, IdentifierError> {
        if text == "nobody" {
            return Ok(Subject::Nobody);
        }
        let (part, id, build): (IdPart, &str, fn(&'a str) -> Self) =
            if let Some(id) = text.strip_prefix("usr-") {
                (IdPart::UserId, id, Subject::User)
            } else if let Some(id) = text.strip_prefix("grp-") {
                (IdPart::GroupId, id, Subject::Group)
            } else if let Some(id) = text.strip_prefix("prv-") {
                (IdPart::ProviderId, id, Subject::Provider)
            } else {
                return Err(IdentifierError::Subject { found: text.into() });
            };
        check_id(part, id)?;
        Ok(build(id))
    }
}

impl<S: AsRef<str>> Subject<S> {
    /// The subject's id, or `None` for [`Subject::Nobody`].
    pub fn id(&self) -> Option<&str> {
        match self {
            Subject::User(id) | Subject::Group(id) | Subject::Provider(id) => Some(id.as_ref()),
            Subject::Nobody => None,
        }
    }

    /// Checks that the subject can be written in the identifier format (its id non-empty and
    /// made of ASCII letters, digits, `-` and `_`).
    pub fn validate(&self) -> Result<(), IdentifierError> {
        match self {
            Subject::User(id) => check_id(IdPart::UserId, id.as_ref()),
            Subject::Group(id) => check_id(IdPart::GroupId, id.as_ref()),
            Subject::Provider(id) => check_id(IdPart::ProviderId, id.as_ref()),
            Subject::Nobody => Ok(()),
        }
    }

    /// The same subject, its id lent from this one.
    pub fn as_borrowed(&self) -> Subject<&str> {
        self.each_ref().map(&mut |s| s.as_ref())
    }

    fn fields_json(&self) -> Value {
        match self {
            Subject::User(id) => json!({ "type": "user", "id": id.as_ref() }),
            Subject::Group(id) => json!({ "type": "group", "id": id.as_ref() }),
            Subject::Provider(id) => json!({ "type": "oneprovider", "id": id.as_ref() }),
            Subject::Nobody => json!({ "type": "nobody", "id": null }),
        }
    }
}

impl<S: Into<String>> Subject<S> {
    /// The same subject with an owned id: a borrowed one is copied, an owned one moved.
    pub fn into_owned(self) -> Subject {
        self.map(&mut Into::into)
    }
}

impl<S> Subject<S> {
    pub(crate) fn map<T>(self, f: &mut impl FnMut(S) -> T) -> Subject<T> {
        match self {
            Subject::User(id) => Subject::User(f(id)),
            Subject::Group(id) => Subject::Group(f(id)),
            Subject::Provider(id) => Subject::Provider(f(id)),
            Subject::Nobody => Subject::Nobody,
        }
    }

    fn each_ref(&self) -> Subject<&S> {
        match self {
            Subject::User(id) => Subject::User(id),
            Subject::Group(id) => Subject::Group(id),
            Subject::Provider(id) => Subject::Provider(id),
            Subject::Nobody => Subject::Nobody,
        }
    }
}

impl<S: AsRef<str>> fmt::Display for Subject<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(id) => write!(f, "usr-{}", id.as_ref()),
            Subject::Group(id) => write!(f, "grp-{}", id.as_ref()),
            Subject::Provider(id) => write!(f, "prv-{}", id.as_ref()),
            Subject::Nobody => f.write_str("nobody"),
        }
    }
}

impl FromStr for Subject {
    type Err = IdentifierError;

    /// Parses a subject part: `usr-<id>`, `grp-<id>`, `prv-<id>` or `nobody`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Subject::parse_borrowed(text).map(Subject::into_owned)
    }
}

// ---------------------------------------------------------------------------------------------
// Token type

impl<'a> TokenType<&'a str> {
    /// [`str::parse`] into a [`TokenType`] without copying: the ids are lent from `text`.
    pub fn parse_borrowed(text: &'a str) -> Result<Self, IdentifierError> {
        match text {
            "act" => return Ok(TokenType::Access { session: None }),
            "idn" => return Ok(TokenType::Identity),
            _ => {}
        }
        if let Some(session) = text.strip_prefix("act:") {
            check_id(IdPart::SessionId, session)?;
            return Ok(TokenType::Access { session: Some(session) });
        }
        let (code, rest) = match text.split_once(':') {
            Some((code, rest)) => (code, Some(rest)),
            None => (text, None),
        };
        let Some(kind) = InviteKind::from_code(code) else {
            return Err(match rest {
                Some(_) => IdentifierError::UnknownInviteCode { code: code.into() },
                None => IdentifierError::TokenType { found: text.into() },
            });
        };
        let Some((target, params)) = rest.and_then(|rest| rest.split_once(':')) else {
            return Err(IdentifierError::InviteFields {
                found: text.into(),
                fields: text.split(':').count(),
            });
        };
        if params.contains(':') {
            return Err(IdentifierError::InviteFields {
                found: text.into(),
                fields: text.split(':').count(),
            });
        }
        check_id(IdPart::InviteTarget, target)?;
        check_id(IdPart::InviteParams, params)?;
        Ok(TokenType::Invite { kind, target, params })
    }
}

impl<S: AsRef<str>> TokenType<S> {
    /// Checks that the type can be written in the identifier format (ids non-empty and made of
    /// ASCII letters, digits, `-` and `_`; the parameters may be empty).
    pub fn validate(&self) -> Result<(), IdentifierError> {
        match self {
            TokenType::Access { session: Some(session) } => {
                check_id(IdPart::SessionId, session.as_ref())
            }
            TokenType::Access { session: None } | TokenType::Identity => Ok(()),
            TokenType::Invite { target, params, .. } => {
                check_id(IdPart::InviteTarget, target.as_ref())?;
                check_id(IdPart::InviteParams, params.as_ref())
            }
        }
    }

    /// The same type, its ids lent from this one.
    pub fn as_borrowed(&self) -> TokenType<&str> {
        self.each_ref().map(&mut |s| s.as_ref())
    }

    fn fields_json(&self) -> Value {
        match self {
            TokenType::Access { session } => {
                json!({ "access": { "session": session.as_ref().map(AsRef::as_ref) } })
            }
            TokenType::Identity => json!("identity"),
            TokenType::Invite { kind, target, params } => json!({
                "invite": {
                    "kind": kind.name(),
                    "code": kind.code(),
                    "target": target.as_ref(),
                    "params": params.as_ref(),
                }
            }),
        }
    }
}

impl<S: Into<String>> TokenType<S> {
    /// The same type with owned ids: a borrowed one is copied, an owned one moved.
    pub fn into_owned(self) -> TokenType {
        self.map(&mut Into::into)
    }
}

impl<S> TokenType<S> {
    fn map<T>(self, f: &mut impl FnMut(S) -> T) -> TokenType<T> {
        match self {
            TokenType::Access { session } => TokenType::Access { session: session.map(f) },
            TokenType::Identity => TokenType::Identity,
            TokenType::Invite { kind, target, params } => {
                let target = f(target);
                TokenType::Invite { kind, target, params: f(params) }
            }
        }
    }

    fn each_ref(&self) -> TokenType<&S> {
        match self {
            TokenType::Access { session } => TokenType::Access { session: session.as_ref() },
            TokenType::Identity => TokenType::Identity,
            TokenType::Invite { kind, target, params } => {
                TokenType::Invite { kind: *kind, target, params }
            }
        }
    }
}

impl<S: AsRef<str>> fmt::Display for TokenType<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenType::Access { session: None } => f.write_str("act"),
            TokenType::Access { session: Some(session) } => write!(f, "act:{}", session.as_ref()),
            TokenType::Identity => f.write_str("idn"),
            TokenType::Invite { kind, target, params } => {
                write!(f, "{}:{}:{}", kind.code(), target.as_ref(), params.as_ref())
            }
        }
    }
}

impl FromStr for TokenType {
    type Err = IdentifierError;

    /// Parses a type part: `act`, `act:<sessionId>`, `idn` or `<code>:<targetId>:<params>`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TokenType::parse_borrowed(text).map(TokenType::into_owned)
    }
}

impl InviteKind {
    /// Every invite kind, in Onezone's order.
    pub const ALL: &'static [InviteKind] = &[
        InviteKind::UserJoinGroup,
        InviteKind::GroupJoinGroup,
        InviteKind::UserJoinSpace,
        InviteKind::GroupJoinSpace,
        InviteKind::SupportSpace,
        InviteKind::HarvesterJoinSpace,
        InviteKind::RegisterOneprovider,
        InviteKind::UserJoinCluster,
        InviteKind::GroupJoinCluster,
        InviteKind::UserJoinHarvester,
        InviteKind::GroupJoinHarvester,
        InviteKind::SpaceJoinHarvester,
        InviteKind::UserJoinAtmInventory,
        InviteKind::GroupJoinAtmInventory,
    ];

    /// The three-letter code written in identifiers, e.g. `ujg`.
    pub fn code(self) -> &'static str {
        match self {
            InviteKind::UserJoinGroup => "ujg",
            InviteKind::GroupJoinGroup => "gjg",
            InviteKind::UserJoinSpace => "ujs",
            InviteKind::GroupJoinSpace => "gjs",
            InviteKind::SupportSpace => "ssp",
            InviteKind::HarvesterJoinSpace => "hjs",
            InviteKind::RegisterOneprovider => "rop",
            InviteKind::UserJoinCluster => "ujc",
            InviteKind::GroupJoinCluster => "gjc",
            InviteKind::UserJoinHarvester => "ujh",
            InviteKind::GroupJoinHarvester => "gjh",
            InviteKind::SpaceJoinHarvester => "sjh",
            InviteKind::UserJoinAtmInventory => "uji",
            InviteKind::GroupJoinAtmInventory => "gji",
        }
    }

    /// The kind with this code (exact, case-sensitive), if any.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.as_bytes() {
            &[a, b, c] => InviteKind::from_code_bytes([a, b, c]),
            _ => None,
        }
    }

    /// [`InviteKind::from_code`] of a three-byte code: read on every invite's verification, it
    /// compares three bytes (no scan of the kinds, no `memcmp` call).
    fn from_code_bytes(code: [u8; 3]) -> Option<Self> {
        Some(match &code {
            b"ujg" => InviteKind::UserJoinGroup,
            b"gjg" => InviteKind::GroupJoinGroup,
            b"ujs" => InviteKind::UserJoinSpace,
            b"gjs" => InviteKind::GroupJoinSpace,
            b"ssp" => InviteKind::SupportSpace,
            b"hjs" => InviteKind::HarvesterJoinSpace,
            b"rop" => InviteKind::RegisterOneprovider,
            b"ujc" => InviteKind::UserJoinCluster,
            b"gjc" => InviteKind::GroupJoinCluster,
            b"ujh" => InviteKind::UserJoinHarvester,
            b"gjh" => InviteKind::GroupJoinHarvester,
            b"sjh" => InviteKind::SpaceJoinHarvester,
            b"uji" => InviteKind::UserJoinAtmInventory,
            b"gji" => InviteKind::GroupJoinAtmInventory,
            _ => return None,
        })
    }

    /// The name Onezone uses for the kind in JSON, e.g. `userJoinGroup`.
    pub fn name(self) -> &'static str {
        match self {
            InviteKind::UserJoinGroup => "userJoinGroup",
            InviteKind::GroupJoinGroup => "groupJoinGroup",
            InviteKind::UserJoinSpace => "userJoinSpace",
            InviteKind::GroupJoinSpace => "groupJoinSpace",
            InviteKind::SupportSpace => "supportSpace",
            InviteKind::HarvesterJoinSpace => "harvesterJoinSpace",
            InviteKind::RegisterOneprovider => "registerOneprovider",
            InviteKind::UserJoinCluster => "userJoinCluster",
            InviteKind::GroupJoinCluster => "groupJoinCluster",
            InviteKind::UserJoinHarvester => "userJoinHarvester",
            InviteKind::GroupJoinHarvester => "groupJoinHarvester",
            InviteKind::SpaceJoinHarvester => "spaceJoinHarvester",
            InviteKind::UserJoinAtmInventory => "userJoinAtmInventory",
            InviteKind::GroupJoinAtmInventory => "groupJoinAtmInventory",
        }
    }

    /// The kind with this JSON name (exact, case-sensitive), e.g. `userJoinGroup`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        InviteKind::ALL.iter().copied().find(|kind| kind.name() == name)
    }

    /// The JSON key Onezone names the invite's target with in a token type
    /// (`{"inviteToken": {"inviteType": "userJoinGroup", "groupId": ..}}`): `groupId`,
    /// `spaceId`, `adminUserId`, `clusterId`, `harvesterId` or `atmInventoryId` (ctool
    /// release/21.02.2 `src/auth/token_type.erl` `invite_target_json_key`).
    pub fn target_key(self) -> &'static str {
        match self {
            InviteKind::UserJoinGroup | InviteKind::GroupJoinGroup => "groupId",
            InviteKind::UserJoinSpace
            | InviteKind::GroupJoinSpace
            | InviteKind::SupportSpace
            | InviteKind::HarvesterJoinSpace => "spaceId",
            InviteKind::RegisterOneprovider => "adminUserId",
            InviteKind::UserJoinCluster | InviteKind::GroupJoinCluster => "clusterId",
            InviteKind::UserJoinHarvester
            | InviteKind::GroupJoinHarvester
            | InviteKind::SpaceJoinHarvester => "harvesterId",
            InviteKind::UserJoinAtmInventory | InviteKind::GroupJoinAtmInventory => {
                "atmInventoryId"
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting and serde

impl<S: AsRef<str>> fmt::Display for IdentifierV2<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "2/{}/{}/{}/{}",
            self.persistence,
            self.subject,
            self.token_type,
            self.id.as_ref()
        )
    }
}

impl<S: AsRef<str>> fmt::Display for TokenIdentifier<S> {
    /// Writes the identifier text. For values from [`TokenIdentifier::parse`] this is the parsed
    /// text, byte for byte.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenIdentifier::V2(v2) => v2.fmt(f),
            TokenIdentifier::Legacy(id) => f.write_str(id.as_ref()),
        }
    }
}

impl<S: AsRef<str>> Serialize for TokenIdentifier<S> {
    /// Serializes as the identifier text, after [`validate`](TokenIdentifier::validate)
    /// (a value that would not read back is an error).
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        self.validate().map_err(ser::Error::custom)?;
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TokenIdentifier {
    /// Deserializes from the identifier text, with [`TokenIdentifier::parse`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdentifierVisitor;

        impl Visitor<'_> for IdentifierVisitor {
            type Value = TokenIdentifier;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Onezone token identifier string")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<TokenIdentifier, E> {
                TokenIdentifier::parse(text).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(IdentifierVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

impl fmt::Display for IdPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdPart::Legacy => "legacy identifier",
            IdPart::UserId => "user id in the subject part",
            IdPart::GroupId => "group id in the subject part",
            IdPart::ProviderId => "provider id in the subject part",
            IdPart::SessionId => "session id in the type part",
            IdPart::InviteTarget => "invite target id in the type part",
            IdPart::InviteParams => "invite parameters in the type part",
            IdPart::TokenId => "token id (the last part)",
        })
    }
}

impl fmt::Display for IdentifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentifierError::Empty => f.write_str("the identifier is empty"),
            IdentifierError::NotUtf8 { valid_up_to } => {
                write!(f, "the identifier is not UTF-8 text (invalid from byte {valid_up_to})")
            }
            IdentifierError::MalformedVersion { found } => write!(
                f,
                "the version part `{}` is not a version number: an identifier containing `/` \
                 is {V2_FORMAT} (a legacy identifier has no `/`)",
                Quoted::short(found)
            ),
            IdentifierError::UnsupportedVersion { found } => write!(
                f,
                "unsupported identifier version `{}` (supported: version 2, {V2_FORMAT}, and \
                 legacy identifiers without `/`)",
                Quoted::short(found)
            ),
            IdentifierError::PartCount { found } => {
                write!(f, "the identifier has {found} parts, expected 5 ({V2_FORMAT})")
            }
            IdentifierError::Persistence { found } => write!(
                f,
                "the persistence part `{}` is neither `nmd` nor `tmp-<generation>`",
                Quoted::short(found)
            ),
            IdentifierError::Generation { found } => write!(
                f,
                "the persistence part `{}` has an invalid generation: expected `tmp-` and a \
                 decimal number without sign or leading zeros, at most {}",
                Quoted::short(found),
                u64::MAX
            ),
            IdentifierError::Subject { found } => write!(
                f,
                "the subject part `{}` is not `usr-<id>`, `grp-<id>`, `prv-<id>` or `nobody`",
                Quoted::short(found)
            ),
            IdentifierError::TokenType { found } => write!(
                f,
                "the type part `{}` is not `act`, `act:<sessionId>`, `idn` or an invite \
                 `<code>:<targetId>:<params>`",
                Quoted::short(found)
            ),
            IdentifierError::UnknownInviteCode { code } => {
                write!(
                    f,
                    "unknown invite code `{}` in the type part (known codes:",
                    Quoted::short(code)
                )?;
                for kind in InviteKind::ALL {
                    write!(f, " {}", kind.code())?;
                }
                f.write_str(")")
            }
            IdentifierError::InviteFields { found, fields } => write!(
                f,
                "the invite type part `{}` has {fields} `:`-separated fields, expected 3 \
                 (`<code>:<targetId>:<params>`)",
                Quoted::short(found)
            ),
            IdentifierError::InvalidId { part, found, problem } => match problem {
                IdProblem::Empty => write!(f, "the {part} is empty"),
                IdProblem::InvalidCharacter { character, offset } => {
                    write!(
                        f,
                        "the {part} `{}` contains the character `{}` at byte {offset}; only ASCII \
                         letters, digits, `-` and `_` are allowed",
                        Quoted::short(found),
                        Quoted::short(character)
                    )
                }
            },
        }
    }
}

impl core::error::Error for IdentifierError {}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    const ONEZONE_UJG: &str =
        "2/nmd/usr-invitation-sender/ujg:GroupId:/1234567890example-id1234567890e";
    const ONEZONE_GJG: &str =
        "2/nmd/usr-invitation-sender/gjg:GroupId:/1234567890example-id1234567890e";

    /// A field's span is kept in 32 bits: one past them is none (the token refuses such an
    /// identifier before it is read), and each span reads its own bytes back.
    #[test]
    fn spans_are_32_bits() {
        let max = u32::MAX as usize;
        assert_eq!(Span::new(0, max).map(|s| (s.start, s.end)), Some((0, u32::MAX)));
        assert_eq!(Span::new(0, max + 1), None);
        assert_eq!(Span::new(max + 1, max + 1), None);
        let span = Span::new(2, 5).unwrap();
        assert_eq!((span.of("2/nmd/"), span.of_bytes(b"2/nmd/")), ("nmd", &b"nmd"[..]));
        // Not there, or not between characters: nothing.
        assert_eq!((span.of("2/n"), span.of_bytes(b"2/n")), ("", &b""[..]));
        assert_eq!(Span::new(1, 2).unwrap().of("é"), "");
    }

    fn v2(text: &str) -> IdentifierV2 {
        match TokenIdentifier::parse(text) {
            Ok(TokenIdentifier::V2(v2)) => v2,
            other => panic!("{text:?} parsed as {other:?}"),
        }
    }

    fn err(text: &str) -> IdentifierError {
        match TokenIdentifier::parse(text) {
            Err(e) => e,
            Ok(ok) => panic!("{text:?} parsed as {ok:?}"),
        }
    }

    /// Replaces the `index`th `/`-separated part of a valid identifier.
    fn with_part(index: usize, part: &str) -> String {
        let mut parts: Vec<&str> = ONEZONE_UJG.split('/').collect();
        parts[index] = part;
        parts.join("/")
    }

    #[test]
    fn onezone_examples_parse_and_format_back() {
        for (text, kind) in
            [(ONEZONE_UJG, InviteKind::UserJoinGroup), (ONEZONE_GJG, InviteKind::GroupJoinGroup)]
        {
            let parsed = v2(text);
            assert_eq!(
                parsed,
                IdentifierV2 {
                    persistence: Persistence::Named,
                    subject: Subject::User("invitation-sender".into()),
                    token_type: TokenType::Invite {
                        kind,
                        target: "GroupId".into(),
                        params: String::new()
                    },
                    id: "1234567890example-id1234567890e".into(),
                }
            );
            assert_eq!(parsed.to_string(), text);
            let ident = TokenIdentifier::parse(text).unwrap();
            assert_eq!(ident.to_string(), text);
            assert_eq!(ident.version(), 2);
            assert_eq!(ident.id(), "1234567890example-id1234567890e");
            assert_eq!(TokenIdentifier::parse_bytes(text.as_bytes()).unwrap(), ident);
        }
    }

    #[test]
    fn every_part_form_parses() {
        let t = v2("2/tmp-0/nobody/act/x");
        assert_eq!(t.persistence, Persistence::Temporary { generation: 0 });
        assert_eq!(t.subject, Subject::Nobody);
        assert_eq!(t.token_type, TokenType::Access { session: None });

        let t = v2("2/tmp-18446744073709551615/prv-P_1/act:sess-1/x");
        assert_eq!(t.persistence, Persistence::Temporary { generation: u64::MAX });
        assert_eq!(t.subject, Subject::Provider("P_1".into()));
        assert_eq!(t.token_type, TokenType::Access { session: Some("sess-1".into()) });

        let t = v2("2/nmd/grp-g/idn/x");
        assert_eq!(t.subject, Subject::Group("g".into()));
        assert_eq!(t.token_type, TokenType::Identity);

        let t = v2("2/nmd/usr-u/ssp:SpaceId:ge/x");
        assert_eq!(
            t.token_type,
            TokenType::Invite {
                kind: InviteKind::SupportSpace,
                target: "SpaceId".into(),
                params: "ge".into()
            }
        );
    }

    #[test]
    fn every_invite_code_round_trips() {
        assert_eq!(InviteKind::ALL.len(), 14);
        for &kind in InviteKind::ALL {
            assert_eq!(InviteKind::from_code(kind.code()), Some(kind));
            let text = format!("2/nmd/usr-u/{}:T:/id", kind.code());
            assert_eq!(TokenIdentifier::parse(&text).unwrap().to_string(), text);
        }
        let codes: Vec<&str> = InviteKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes,
            [
                "ujg", "gjg", "ujs", "gjs", "ssp", "hjs", "rop", "ujc", "gjc", "ujh", "gjh", "sjh",
                "uji", "gji"
            ]
        );
        // Names and target keys as ctool release/21.02.2 `src/auth/token_type.erl` writes them.
        let names: Vec<(&str, &str)> =
            InviteKind::ALL.iter().map(|k| (k.name(), k.target_key())).collect();
        assert_eq!(
            names,
            [
                ("userJoinGroup", "groupId"),
                ("groupJoinGroup", "groupId"),
                ("userJoinSpace", "spaceId"),
                ("groupJoinSpace", "spaceId"),
                ("supportSpace", "spaceId"),
                ("harvesterJoinSpace", "spaceId"),
                ("registerOneprovider", "adminUserId"),
                ("userJoinCluster", "clusterId"),
                ("groupJoinCluster", "clusterId"),
                ("userJoinHarvester", "harvesterId"),
                ("groupJoinHarvester", "harvesterId"),
                ("spaceJoinHarvester", "harvesterId"),
                ("userJoinAtmInventory", "atmInventoryId"),
                ("groupJoinAtmInventory", "atmInventoryId"),
            ]
        );
        for &kind in InviteKind::ALL {
            assert_eq!(InviteKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(InviteKind::from_name("UserJoinGroup"), None);
        let uji = TokenIdentifier::parse("2/nmd/usr-u/uji:inv1:/id").unwrap();
        assert_eq!(
            uji.as_v2().unwrap().token_type,
            TokenType::Invite {
                kind: InviteKind::UserJoinAtmInventory,
                target: "inv1".into(),
                params: "".into()
            }
        );
        assert_eq!(InviteKind::from_code("UJG"), None);
    }

    #[test]
    fn legacy_identifiers_are_recognised() {
        let legacy = "8HfHARHgklqBkZVI4l6MBTvSSvt98ppp6948s8Q7SOk";
        let parsed = TokenIdentifier::parse(legacy).unwrap();
        assert_eq!(parsed, TokenIdentifier::Legacy(legacy.into()));
        assert_eq!(parsed.to_string(), legacy);
        assert_eq!(parsed.version(), 1);
        assert_eq!(parsed.id(), legacy);
        assert_eq!(parsed.as_v2(), None);
        // No `/`: legacy, even if it looks like a number or a part.
        assert_eq!(TokenIdentifier::parse("2").unwrap(), TokenIdentifier::Legacy("2".into()));
        assert_eq!(TokenIdentifier::parse("nmd").unwrap(), TokenIdentifier::Legacy("nmd".into()));
        assert!(matches!(
            err("abc+def="),
            IdentifierError::InvalidId {
                part: IdPart::Legacy,
                problem: IdProblem::InvalidCharacter { character: '+', offset: 3 },
                ..
            }
        ));
    }

    #[test]
    fn each_wrong_part_gives_its_error() {
        use IdentifierError as E;
        assert_eq!(err(""), E::Empty);
        assert_eq!(TokenIdentifier::parse_bytes(b"2/nmd/\xff"), Err(E::NotUtf8 { valid_up_to: 6 }));

        // Version.
        assert_eq!(err(&with_part(0, "3")), E::UnsupportedVersion { found: "3".into() });
        assert_eq!(err("1/abc"), E::UnsupportedVersion { found: "1".into() });
        for bad in ["02", "+2", "v2", "", " 2"] {
            assert_eq!(
                err(&with_part(0, bad)),
                E::MalformedVersion { found: bad.into() },
                "{bad:?}"
            );
        }

        // Part count.
        assert_eq!(err("2/nmd/usr-u/act"), E::PartCount { found: 4 });
        assert_eq!(err(&format!("{ONEZONE_UJG}/extra")), E::PartCount { found: 6 });
        assert_eq!(err(&format!("{ONEZONE_UJG}/")), E::PartCount { found: 6 });
        assert_eq!(err("2/"), E::PartCount { found: 2 });

        // Persistence.
        for bad in ["xyz", "", "NMD", "tmp", "named"] {
            assert_eq!(err(&with_part(1, bad)), E::Persistence { found: bad.into() }, "{bad:?}");
        }
        for bad in
            ["tmp-", "tmp-007", "tmp-00", "tmp--1", "tmp-+1", "tmp-1a", "tmp-18446744073709551616"]
        {
            assert_eq!(err(&with_part(1, bad)), E::Generation { found: bad.into() }, "{bad:?}");
        }

        // Subject.
        for bad in ["xyz", "", "usr", "usr_u", "root", "Nobody", "nobody-x"] {
            assert_eq!(err(&with_part(2, bad)), E::Subject { found: bad.into() }, "{bad:?}");
        }
        assert_eq!(
            err(&with_part(2, "usr-")),
            E::InvalidId { part: IdPart::UserId, found: String::new(), problem: IdProblem::Empty }
        );
        assert_eq!(
            err(&with_part(2, "grp-a:b")),
            E::InvalidId {
                part: IdPart::GroupId,
                found: "a:b".into(),
                problem: IdProblem::InvalidCharacter { character: ':', offset: 1 }
            }
        );
        assert!(matches!(
            err(&with_part(2, "prv-")),
            E::InvalidId { part: IdPart::ProviderId, .. }
        ));

        // Type.
        for bad in ["", "xyz", "ACT", "act-s", "idnx"] {
            assert_eq!(err(&with_part(3, bad)), E::TokenType { found: bad.into() }, "{bad:?}");
        }
        assert_eq!(err(&with_part(3, "abc:GroupId:")), E::UnknownInviteCode { code: "abc".into() });
        assert_eq!(err(&with_part(3, "idn:x:")), E::UnknownInviteCode { code: "idn".into() });
        assert_eq!(err(&with_part(3, ":GroupId:")), E::UnknownInviteCode { code: String::new() });
        assert_eq!(err(&with_part(3, "ujg")), E::InviteFields { found: "ujg".into(), fields: 1 });
        assert_eq!(err(&with_part(3, "ujg:")), E::InviteFields { found: "ujg:".into(), fields: 2 });
        assert_eq!(
            err(&with_part(3, "ujg:GroupId")),
            E::InviteFields { found: "ujg:GroupId".into(), fields: 2 }
        );
        assert_eq!(
            err(&with_part(3, "ujg:G:p:q")),
            E::InviteFields { found: "ujg:G:p:q".into(), fields: 4 }
        );
        assert_eq!(
            err(&with_part(3, "ujg::")),
            E::InvalidId {
                part: IdPart::InviteTarget,
                found: String::new(),
                problem: IdProblem::Empty
            }
        );
        assert!(matches!(
            err(&with_part(3, "ujg:G:p.q")),
            E::InvalidId {
                part: IdPart::InviteParams,
                problem: IdProblem::InvalidCharacter { character: '.', .. },
                ..
            }
        ));
        assert_eq!(
            err(&with_part(3, "act:")),
            E::InvalidId {
                part: IdPart::SessionId,
                found: String::new(),
                problem: IdProblem::Empty
            }
        );
        assert!(matches!(
            err(&with_part(3, "act:a:b")),
            E::InvalidId {
                part: IdPart::SessionId,
                problem: IdProblem::InvalidCharacter { character: ':', offset: 1 },
                ..
            }
        ));

        // Token id.
        assert_eq!(
            err(&with_part(4, "")),
            E::InvalidId { part: IdPart::TokenId, found: String::new(), problem: IdProblem::Empty }
        );
        assert!(matches!(
            err(&with_part(4, "id\u{7}")),
            E::InvalidId {
                part: IdPart::TokenId,
                problem: IdProblem::InvalidCharacter { character: '\u{7}', offset: 2 },
                ..
            }
        ));
        assert!(matches!(
            err(&with_part(4, "idé")),
            E::InvalidId {
                part: IdPart::TokenId,
                problem: IdProblem::InvalidCharacter { character: 'é', offset: 2 },
                ..
            }
        ));
    }

    /// The one-pass reading has no length bound (an earlier one counted separators in a
    /// byte, up to 255 of them): a long valid identifier is read in one pass too.
    #[test]
    fn the_one_pass_reading_takes_long_texts() {
        let short = format!("2/nmd/nobody/act/{}", "a".repeat(238));
        let long = format!("{short}{}", "b".repeat(1000));
        for text in [&short, &long] {
            assert!(read_v2(text).is_some(), "{} bytes", text.len());
            let parsed = TokenIdentifier::parse(text).unwrap();
            assert_eq!(read_parts(text).map(TokenIdentifier::into_owned), Ok(parsed.clone()));
            assert_eq!(parsed.id(), &text[17..]);
        }
    }

    /// Separators beyond the four `/` and an invite's two `:`, however many (256 of them
    /// wrapped the byte counts of an earlier one-pass reading to none), are refused.
    #[test]
    fn extra_separators_are_refused() {
        // 4 + 256 `/`: five parts and 256 more.
        let slashes = format!("2/nmd/nobody/act/{}x", "x/".repeat(256));
        assert_eq!(err(&slashes), IdentifierError::PartCount { found: 261 });
        // 256 `:` in the id.
        let colons = format!("2/nmd/nobody/act/x{}", ":".repeat(256));
        assert_eq!(
            err(&colons),
            IdentifierError::InvalidId {
                part: IdPart::TokenId,
                found: colons[17..].into(),
                problem: IdProblem::InvalidCharacter { character: ':', offset: 1 }
            }
        );
        // 2 + 256 `:` in an invite's type part.
        let invite = format!("2/nmd/usr-u/ujg:G:{}/x", ":".repeat(256));
        let type_part = &invite[12..invite.len() - 2];
        assert_eq!(
            err(&invite),
            IdentifierError::InviteFields { found: type_part.into(), fields: 259 }
        );
        for text in [&slashes, &colons, &invite] {
            assert_eq!(read_v2(text), None);
        }
    }

    #[test]
    fn the_first_wrong_part_is_reported() {
        assert!(matches!(err("2/xyz/bad/bad/"), IdentifierError::Persistence { .. }));
        assert!(matches!(err("2/nmd/bad/bad/"), IdentifierError::Subject { .. }));
        assert!(matches!(err("2/nmd/nobody/bad/"), IdentifierError::TokenType { .. }));
        assert!(matches!(err("3/only-two"), IdentifierError::UnsupportedVersion { .. }));
    }

    #[test]
    fn error_messages_name_the_part() {
        let msg = |text: &str| err(text).to_string();
        assert_eq!(
            msg(&with_part(1, "xyz")),
            "the persistence part `xyz` is neither `nmd` nor `tmp-<generation>`"
        );
        assert!(
            msg(&with_part(3, "abc:G:")).starts_with("unknown invite code `abc` in the type part")
        );
        assert!(msg(&with_part(2, "xyz")).starts_with("the subject part `xyz` is not"));
        assert_eq!(
            msg("2/nmd/usr-u/act"),
            "the identifier has 4 parts, expected 5 (`2/<persistence>/<subject>/<type>/<id>`)"
        );
        assert!(msg(&with_part(0, "3")).starts_with("unsupported identifier version `3`"));
        assert!(
            msg(&with_part(1, "tmp-007"))
                .starts_with("the persistence part `tmp-007` has an invalid generation")
        );
        assert_eq!(msg(&with_part(4, "")), "the token id (the last part) is empty");
        assert_eq!(
            msg(&with_part(4, "a\u{1b}[2J")),
            "the token id (the last part) `a\\u{1b}[2J` contains the character `\\u{1b}` at byte 1; \
             only ASCII letters, digits, `-` and `_` are allowed"
        );
        let long = format!("2/{}/usr-u/act/x", "n".repeat(1000));
        assert!(msg(&long).len() < 200);
    }

    #[test]
    fn subject_text_form() {
        for (text, subject) in [
            ("usr-u1", Subject::User("u1".into())),
            ("grp-g_1", Subject::Group("g_1".into())),
            ("prv-p-1", Subject::Provider("p-1".into())),
            ("nobody", Subject::Nobody),
        ] {
            assert_eq!(text.parse::<Subject>().unwrap(), subject);
            assert_eq!(subject.to_string(), text);
        }
        assert_eq!(Subject::User("a").id(), Some("a"));
        assert_eq!(Subject::<String>::Nobody.id(), None);
    }

    #[test]
    fn checked_construction_rejects_unwritable_fields() {
        let ok = IdentifierV2::new(
            Persistence::Temporary { generation: 7 },
            Subject::User("u".into()),
            TokenType::Access { session: None },
            "id",
        )
        .unwrap();
        assert_eq!(ok.to_string(), "2/tmp-7/usr-u/act/id");
        // An injected separator would shift the parts of the text.
        let injected = IdentifierV2::new(
            Persistence::Named,
            Subject::User("u/act".into()),
            TokenType::Identity,
            "id",
        );
        assert!(matches!(injected, Err(IdentifierError::InvalidId { part: IdPart::UserId, .. })));
        let bad_target = TokenType::Invite {
            kind: InviteKind::UserJoinGroup,
            target: "a:b".into(),
            params: "".into(),
        };
        assert!(IdentifierV2::new(Persistence::Named, Subject::Nobody, bad_target, "id").is_err());
        assert!(TokenIdentifier::Legacy("a/b").validate().is_err());
        assert!(serde_json::to_string(&TokenIdentifier::Legacy(String::new())).is_err());
    }

    #[test]
    fn serde_uses_the_text_form() {
        let ident = TokenIdentifier::parse(ONEZONE_UJG).unwrap();
        let json = serde_json::to_string(&ident).unwrap();
        assert_eq!(json, format!("\"{ONEZONE_UJG}\""));
        assert_eq!(serde_json::from_str::<TokenIdentifier>(&json).unwrap(), ident);
        // Owned strings (escapes force a copy) work too.
        let escaped = json.replace("ujg", "\\u0075jg");
        assert_eq!(serde_json::from_str::<TokenIdentifier>(&escaped).unwrap(), ident);
        let e = serde_json::from_str::<TokenIdentifier>("\"2/nmd/usr-u/abc:G:/id\"").unwrap_err();
        assert!(e.to_string().contains("unknown invite code `abc`"), "{e}");
        assert!(serde_json::from_str::<TokenIdentifier>("2").is_err());
    }

    #[test]
    fn fields_json_shape() {
        assert_eq!(
            TokenIdentifier::parse(ONEZONE_UJG).unwrap().fields_json(),
            serde_json::json!({
                "version": 2,
                "persistence": "named",
                "subject": {"type": "user", "id": "invitation-sender"},
                "type": {"invite": {"kind": "userJoinGroup", "code": "ujg", "target": "GroupId", "params": ""}},
                "id": "1234567890example-id1234567890e"
            })
        );
        assert_eq!(
            TokenIdentifier::parse("2/tmp-42/prv-p/act:s/x").unwrap().fields_json(),
            serde_json::json!({
                "version": 2,
                "persistence": {"temporary": {"generation": 42}},
                "subject": {"type": "oneprovider", "id": "p"},
                "type": {"access": {"session": "s"}},
                "id": "x"
            })
        );
        assert_eq!(
            TokenIdentifier::parse("2/nmd/nobody/act/x").unwrap().fields_json(),
            serde_json::json!({
                "version": 2,
                "persistence": "named",
                "subject": {"type": "nobody", "id": null},
                "type": {"access": {"session": null}},
                "id": "x"
            })
        );
        assert_eq!(
            TokenIdentifier::parse("2/nmd/grp-g/idn/x").unwrap().fields_json()["type"],
            "identity"
        );
        assert_eq!(
            TokenIdentifier::parse("abc").unwrap().fields_json(),
            serde_json::json!({"version": 1, "id": "abc"})
        );
    }

    // --- properties ---

    const ID: &str = "[A-Za-z0-9_-]{1,24}";

    fn persistence() -> impl Strategy<Value = Persistence> {
        prop_oneof![
            Just(Persistence::Named),
            any::<u64>().prop_map(|generation| Persistence::Temporary { generation }),
            (0u64..20).prop_map(|generation| Persistence::Temporary { generation }),
        ]
    }

    fn subject() -> impl Strategy<Value = Subject> {
        prop_oneof![
            ID.prop_map(Subject::User),
            ID.prop_map(Subject::Group),
            ID.prop_map(Subject::Provider),
            Just(Subject::Nobody),
        ]
    }

    fn token_type() -> impl Strategy<Value = TokenType> {
        prop_oneof![
            proptest::option::of(ID).prop_map(|session| TokenType::Access { session }),
            Just(TokenType::Identity),
            (proptest::sample::select(InviteKind::ALL), ID, "[A-Za-z0-9_-]{0,8}")
                .prop_map(|(kind, target, params)| TokenType::Invite { kind, target, params }),
        ]
    }

    fn identifier() -> impl Strategy<Value = TokenIdentifier> {
        prop_oneof![
            4 => (persistence(), subject(), token_type(), ID).prop_map(|(persistence, subject, token_type, id)| {
                TokenIdentifier::V2(IdentifierV2 { persistence, subject, token_type, id })
            }),
            1 => ID.prop_map(TokenIdentifier::Legacy),
        ]
    }

    proptest! {
        #[test]
        fn valid_identifiers_round_trip(ident in identifier()) {
            prop_assert_eq!(ident.validate(), Ok(()));
            let text = ident.to_string();
            let parsed = TokenIdentifier::parse(&text).unwrap();
            prop_assert_eq!(&parsed, &ident);
            prop_assert_eq!(parsed.to_string(), text.clone());

            let json = serde_json::to_string(&ident).unwrap();
            prop_assert_eq!(&json, &format!("\"{text}\""));
            prop_assert_eq!(serde_json::from_str::<TokenIdentifier>(&json).unwrap(), ident);
        }

        /// Near-valid texts: whatever parses formats back to the same bytes, and is valid.
        #[test]
        fn whatever_parses_formats_back_exactly(
            text in "(2/|/|:|-|0|1|7|a|Z|_|\\.|%|nmd|tmp-|usr-|grp-|prv-|nobody|act|idn|ujg|ssp){0,14}"
        ) {
            if let Ok(parsed) = TokenIdentifier::parse(&text) {
                prop_assert_eq!(parsed.to_string(), text);
                prop_assert_eq!(parsed.validate(), Ok(()));
            }
        }

        /// Valid identifiers with one edit (a character replaced, inserted or removed): whatever
        /// still parses formats back to the same bytes.
        #[test]
        fn one_edit_from_valid_formats_back_exactly(
            ident in identifier(),
            position in any::<prop::sample::Index>(),
            edit in 0u8..3,
            c in prop::sample::select(&['/', ':', '-', '_', '0', '1', 'a', '+', '.', ' ', '\u{0}', 'é'][..]),
        ) {
            let mut chars: Vec<char> = ident.to_string().chars().collect();
            let at = position.index(chars.len());
            match edit {
                0 => chars[at] = c,
                1 => chars.insert(at, c),
                _ => { chars.remove(at); }
            }
            let text: String = chars.into_iter().collect();
            if let Ok(parsed) = TokenIdentifier::parse(&text) {
                prop_assert_eq!(parsed.to_string(), text);
                prop_assert_eq!(parsed.validate(), Ok(()));
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            if let Ok(parsed) = TokenIdentifier::parse(&text) {
                prop_assert_eq!(parsed.to_string(), text);
            }
        }

        /// The one-pass reading accepts only what the reading part by part accepts, with the
        /// same value, and every valid identifier. An edit may insert 256 copies of a character
        /// (which wrapped the byte counts of an earlier one-pass reading to none).
        #[test]
        fn the_one_pass_reading_agrees_with_the_reading_part_by_part(
            ident in identifier(),
            position in any::<prop::sample::Index>(),
            edit in 0u8..5,
            c in prop::sample::select(&['/', ':', '-', '_', '0', '2', 'a', '+', '.', ' ', 'é'][..]),
        ) {
            let valid = ident.to_string();
            let mut chars: Vec<char> = valid.chars().collect();
            let at = position.index(chars.len());
            match edit {
                0 => chars[at] = c,
                1 => chars.insert(at, c),
                2 => { chars.remove(at); }
                3 => { chars.splice(at..at, core::iter::repeat_n(c, 256)); }
                _ => {}
            }
            let text: String = chars.into_iter().collect();
            let by_parts = read_parts(&text);
            match read_v2(&text) {
                Some(v2) => prop_assert_eq!(by_parts.clone(), Ok(TokenIdentifier::V2(v2))),
                None => prop_assert!(
                    !matches!(by_parts, Ok(TokenIdentifier::V2(_))),
                    "{:?} is valid but not read in one pass", text
                ),
            }
            prop_assert_eq!(TokenIdentifier::parse_borrowed(&text), by_parts.clone());
            // A token keeps where the fields of its identifier lie (read in one pass over the
            // bytes, or as text) and lends the identifier they make: the same reading.
            let key = crate::macaroon::RootKey::derive(b"key");
            let m = crate::macaroon::Macaroon::new(&key, text.clone().into_bytes());
            let token = crate::token::UnverifiedToken::from_macaroon(m, crate::macaroon::Format::V1, false);
            match (token, by_parts) {
                (Ok(token), Ok(expected)) => prop_assert_eq!(token.identifier(), expected),
                (Err(crate::token::TokenError::Identifier(e)), Err(expected)) => prop_assert_eq!(e, expected),
                (token, expected) => prop_assert!(false, "{:?}: {:?} against {:?}", text, token, expected),
            }
        }

        #[test]
        fn the_one_pass_reading_of_any_text(text in "(2/|/|:|-|0|1|a|_|nmd|tmp-|usr-|grp-|prv-|nobody|act|idn|ujg|ssp|sjh){0,14}") {
            let by_parts = read_parts(&text);
            if let Some(v2) = read_v2(&text) {
                prop_assert_eq!(by_parts, Ok(TokenIdentifier::V2(v2)));
            } else {
                prop_assert!(!matches!(by_parts, Ok(TokenIdentifier::V2(_))), "{:?}", text);
            }
        }

        /// The block-at-a-time search finds the separators a byte-by-byte one finds, up to six
        /// of them, at every place in texts long and short, and refuses any byte outside the
        /// identifier alphabet wherever it lies.
        #[test]
        fn separators_are_found_where_they_lie(text in "[a/:_9Z-]{0,40}[a/:. \u{e9}]?[a/:_9-]{0,20}") {
            let expected: Vec<usize> =
                text.bytes().enumerate().filter(|&(_, b)| b == b'/' || b == b':').map(|(i, _)| i).collect();
            let alphabet = text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_/:".contains(&b));
            match separators(text.as_bytes()) {
                Some((at, count)) => {
                    prop_assert!(alphabet, "{:?}", text);
                    prop_assert_eq!(&at[..count], &expected[..]);
                }
                None => prop_assert!(!alphabet || expected.len() > 6, "{:?}", text),
            }
        }

        #[test]
        fn subjects_round_trip(s in subject()) {
            prop_assert_eq!(s.to_string().parse::<Subject>().unwrap(), s);
        }
    }
}
