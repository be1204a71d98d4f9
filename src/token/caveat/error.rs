//! Why a caveat cannot be read, and the kinds of caveats.

use super::*;

/// Why a caveat (or one of its parts) could not be read or built.
///
/// The `Display` text names the caveat, the entry and the problem, e.g.
/// ``entry 1 (`10.0.0.0/33`) of the ip caveat is invalid: the prefix length is larger than 32
/// (the maximum for IPv4)``.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaveatError {
    /// The text is none of the caveats Onezone 20.02 knows. The caller keeps it as raw text; such
    /// a caveat is never satisfied.
    Unrecognized,
    /// A caveat that takes a list has no entry (`ip = `, or `"whitelist": []` in JSON). Onezone
    /// refuses these in both forms.
    EmptyList {
        /// The caveat.
        kind: CaveatKind,
    },
    /// One entry of a list is not valid.
    InvalidEntry {
        /// The caveat.
        kind: CaveatKind,
        /// Position of the entry in the list, counting from 0.
        index: usize,
        /// The entry as written.
        entry: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The value of a caveat (or a value given to a constructor) is not valid.
    InvalidValue {
        /// The caveat the value belongs to.
        kind: CaveatKind,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl CaveatError {
    pub(super) fn invalid(kind: CaveatKind, value: &str, problem: &'static str) -> Self {
        CaveatError::InvalidValue { kind, value: value.into(), problem }
    }
}

impl fmt::Display for CaveatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaveatError::Unrecognized => f.write_str("not a caveat Onezone recognises"),
            CaveatError::EmptyList { kind } => {
                write!(f, "the {kind} caveat has an empty list; at least one entry is required")
            }
            CaveatError::InvalidEntry { kind, index, entry, problem } => write!(
                f,
                "entry {index} (`{}`) of the {kind} caveat is invalid: {problem}",
                Quoted::short(entry)
            ),
            CaveatError::InvalidValue { kind, value, problem } => {
                write!(
                    f,
                    "invalid value `{}` in the {kind} caveat: {problem}",
                    Quoted::short(value)
                )
            }
        }
    }
}

impl core::error::Error for CaveatError {}

// Kinds

/// Which caveat a [`Caveat`] is, without its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CaveatKind {
    /// `time`: the token expires.
    Time,
    /// `ip`: allowed client addresses.
    Ip,
    /// `asn`: allowed autonomous systems of the client.
    Asn,
    /// `geo.country`: allowed or forbidden client countries.
    Country,
    /// `geo.region`: allowed or forbidden client regions.
    Region,
    /// `consumer`: who may consume the token.
    Consumer,
    /// `service`: which service may process the token.
    Service,
    /// `interface`: on which interface the token may be used.
    Interface,
    /// `api`: which API operations the token allows.
    Api,
    /// `data.readonly`: read-only data access.
    DataReadonly,
    /// `data.path`: data access within some paths.
    DataPath,
    /// `data.objectid`: data access within some objects.
    DataObjectId,
    /// `authorization = none`: the token proves identity only.
    AuthorizationNone,
}

impl CaveatKind {
    /// Onezone's name for the caveat: the JSON `"type"` (`time`, `ip`, `asn`, `geo.country`,
    /// `geo.region`, `consumer`, `service`, `interface`, `api`, `data.readonly`, `data.path`,
    /// `data.objectid`, `authorizationNone`).
    pub const fn name(self) -> &'static str {
        match self {
            CaveatKind::Time => "time",
            CaveatKind::Ip => "ip",
            CaveatKind::Asn => "asn",
            CaveatKind::Country => "geo.country",
            CaveatKind::Region => "geo.region",
            CaveatKind::Consumer => "consumer",
            CaveatKind::Service => "service",
            CaveatKind::Interface => "interface",
            CaveatKind::Api => "api",
            CaveatKind::DataReadonly => "data.readonly",
            CaveatKind::DataPath => "data.path",
            CaveatKind::DataObjectId => "data.objectid",
            CaveatKind::AuthorizationNone => "authorizationNone",
        }
    }

    /// Whether Onezone accepts this caveat in an invite token: only `time`, `ip`, `asn`,
    /// `geo.country`, `geo.region` and `consumer`.
    pub const fn allowed_in_invite(self) -> bool {
        matches!(
            self,
            CaveatKind::Time
                | CaveatKind::Ip
                | CaveatKind::Asn
                | CaveatKind::Country
                | CaveatKind::Region
                | CaveatKind::Consumer
        )
    }

    /// The words used in failure messages ("unverified IP caveat: ...").
    pub(super) const fn describe(self) -> &'static str {
        match self {
            CaveatKind::Time => "time",
            CaveatKind::Ip => "IP",
            CaveatKind::Asn => "ASN",
            CaveatKind::Country => "country",
            CaveatKind::Region => "region",
            CaveatKind::Consumer => "consumer",
            CaveatKind::Service => "service",
            CaveatKind::Interface => "interface",
            CaveatKind::Api => "API",
            CaveatKind::DataReadonly => "data access",
            CaveatKind::DataPath => "data path",
            CaveatKind::DataObjectId => "data object ID",
            CaveatKind::AuthorizationNone => "authorization",
        }
    }
}

impl fmt::Display for CaveatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// Non-empty lists
