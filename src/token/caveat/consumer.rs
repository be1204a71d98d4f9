//! Consumers (`usr-`, `grp-`, `prv-`), for `consumer` caveats and requests.

use super::*;

/// The kind of a [`Consumer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsumerKind {
    /// A user: `usr-<id>`.
    User,
    /// A group: `grp-<id>`. In a caveat it admits the members of the group.
    Group,
    /// A Oneprovider: `prv-<id>`.
    Provider,
}

impl ConsumerKind {
    /// The prefix written before the id: `usr`, `grp` or `prv`.
    pub const fn prefix(self) -> &'static str {
        match self {
            ConsumerKind::User => "usr",
            ConsumerKind::Group => "grp",
            ConsumerKind::Provider => "prv",
        }
    }
}

/// A consumer of a token (`usr-<id>`, `grp-<id>`, `prv-<id>`), in a `consumer` caveat or as the
/// consumer of a request. The id `*` stands for any consumer of its kind (`usr-*`, `prv-*`).
///
/// When a caveat is checked, an entry `usr-<id>` / `prv-<id>` admits that user / provider,
/// `usr-*` / `prv-*` any user / provider, and `grp-<id>` any consumer that is a member of the
/// group (see [`CaveatContext::consumer_groups`]). As in Onezone, `grp-*` admits nobody: group
/// membership is looked up by id and there is no group `*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Consumer {
    kind: ConsumerKind,
    id: Id,
}

/// A consumer's id, kept inline up to 32 bytes (Onezone's ids are 32 characters), else on the
/// heap: reading a `consumer` caveat, which every verification of a token carrying one does,
/// allocates nothing for the ids Onezone makes.
type Id = crate::id::SmallId<32>;

impl Consumer {
    /// A consumer of `kind` with `id` (`*` for any). Fails if the id is empty or has a character
    /// other than ASCII letters, digits, `-` and `_`.
    pub fn new(kind: ConsumerKind, id: impl Into<String>) -> Result<Self, CaveatError> {
        let id = id.into();
        match check_id(&id) {
            Ok(()) => Ok(Consumer { kind, id: Id::from_string(id) }),
            Err(problem) => {
                let value = alloc::format!("{}-{id}", kind.prefix());
                Err(CaveatError::invalid(CaveatKind::Consumer, &value, problem))
            }
        }
    }

    /// Any consumer of `kind` (`usr-*`, `grp-*`, `prv-*`).
    pub fn any(kind: ConsumerKind) -> Self {
        Consumer { kind, id: Id::new("*") }
    }

    /// The kind.
    pub fn kind(&self) -> ConsumerKind {
        self.kind
    }

    /// The id (`*` for any).
    pub fn id(&self) -> &str {
        self.id.as_str()
    }

    /// Whether the id is the wildcard `*`.
    pub fn is_wildcard(&self) -> bool {
        self.id.as_bytes() == b"*"
    }

    /// Whether this caveat entry admits `consumer`, a member of `groups`.
    pub(super) fn admits(&self, consumer: &Consumer, groups: &[String]) -> bool {
        Self::entry_admits(self.kind, self.id.as_str(), consumer, groups)
    }

    /// Whether the caveat entry of `kind` and `id` admits `consumer`, a member of `groups`
    /// ([`Consumer::admits`], for an entry read in place).
    #[inline(always)]
    pub(super) fn entry_admits(
        kind: ConsumerKind,
        id: &str,
        consumer: &Consumer,
        groups: &[String],
    ) -> bool {
        let wildcard = id == "*";
        match kind {
            ConsumerKind::Group => !wildcard && groups.iter().any(|g| g.as_str() == id),
            kind => kind == consumer.kind && (wildcard || id.as_bytes() == consumer.id.as_bytes()),
        }
    }

    pub(super) fn parse_entry(text: &str) -> Result<Self, &'static str> {
        let (kind, id) = Self::read_entry(text)?;
        Ok(Consumer { kind, id: Id::new(id) })
    }

    /// A caveat entry's kind and id, read where they lie ([`Consumer::parse_entry`]).
    #[inline(always)]
    pub(super) fn read_entry(text: &str) -> Result<(ConsumerKind, &str), &'static str> {
        // The prefix is four ASCII bytes, so the id starts on a character boundary.
        let kind = match text.as_bytes().get(..4) {
            Some(b"usr-") => ConsumerKind::User,
            Some(b"grp-") => ConsumerKind::Group,
            Some(b"prv-") => ConsumerKind::Provider,
            _ => return Err("a consumer is usr-<id>, grp-<id> or prv-<id>"),
        };
        let id = text.get(4..).unwrap_or_default();
        check_id(id)?;
        Ok((kind, id))
    }
}

impl fmt::Display for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.prefix(), self.id.as_str())
    }
}

impl FromStr for Consumer {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        Consumer::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Consumer, text, problem))
    }
}

serde_as_text!(Consumer);
