//! Typed first-party caveats (documented in [`crate::token`], which re-exports them).

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::net::IpAddr;
use core::ops::Deref;
use core::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::Quoted;

/// The separator of list entries in the string form of a caveat.
const SEP: char = '|';

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

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
    fn invalid(kind: CaveatKind, value: &str, problem: &'static str) -> Self {
        CaveatError::InvalidValue { kind, value: value.into(), problem }
    }
}

impl fmt::Display for CaveatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaveatError::Unrecognized => f.write_str(
                "not a caveat Onezone recognises (keep it as raw text: it is never satisfied)",
            ),
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

// ---------------------------------------------------------------------------------------------
// Kinds
// ---------------------------------------------------------------------------------------------

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
    const fn describe(self) -> &'static str {
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

// ---------------------------------------------------------------------------------------------
// Non-empty lists
// ---------------------------------------------------------------------------------------------

/// A list with at least one entry, as every list caveat requires.
///
/// Serialized as a plain JSON array; reading an empty array fails.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NonEmpty<T>(Vec<T>);

impl<T> NonEmpty<T> {
    /// The list, or `None` if `items` is empty.
    pub fn new(items: Vec<T>) -> Option<Self> {
        if items.is_empty() { None } else { Some(NonEmpty(items)) }
    }

    /// A list of one entry.
    pub fn one(item: T) -> Self {
        NonEmpty(alloc::vec![item])
    }

    /// Adds an entry at the end.
    pub fn push(&mut self, item: T) {
        self.0.push(item);
    }

    /// The entries.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The entries, as a `Vec`.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> Deref for NonEmpty<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> TryFrom<Vec<T>> for NonEmpty<T> {
    type Error = Vec<T>;

    /// Fails (giving the empty vector back) if `items` is empty.
    fn try_from(items: Vec<T>) -> Result<Self, Vec<T>> {
        if items.is_empty() { Err(items) } else { Ok(NonEmpty(items)) }
    }
}

impl<T> From<NonEmpty<T>> for Vec<T> {
    fn from(list: NonEmpty<T>) -> Vec<T> {
        list.0
    }
}

impl<T> IntoIterator for NonEmpty<T> {
    type Item = T;
    type IntoIter = alloc::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a NonEmpty<T> {
    type Item = &'a T;
    type IntoIter = core::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Serialize> Serialize for NonEmpty<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NonEmpty<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(deserializer)?;
        NonEmpty::new(items).ok_or_else(|| {
            serde::de::Error::custom("the list is empty; at least one entry is required")
        })
    }
}

/// Writes `items` separated by `sep`, each with `each`.
fn write_joined<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    sep: &str,
    each: impl Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        each(item, f)?;
    }
    Ok(())
}

/// Displays a list as `a, b, c`.
struct Listed<'a, T>(&'a [T]);

impl<T: fmt::Display> fmt::Display for Listed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// The list as written, before [`Quoted`] escapes and bounds it.
        struct Raw<'a, T>(&'a [T]);
        impl<T: fmt::Display> fmt::Display for Raw<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_joined(f, self.0, ", ", |item, f| fmt::Display::fmt(item, f))
            }
        }
        fmt::Display::fmt(&Quoted::long(Raw(self.0)), f)
    }
}

/// Parses `text` as a `|`-separated, non-empty list.
fn parse_list<T>(
    kind: CaveatKind,
    text: &str,
    parse: impl Fn(&str) -> Result<T, &'static str>,
) -> Result<NonEmpty<T>, CaveatError> {
    if text.is_empty() {
        return Err(CaveatError::EmptyList { kind });
    }
    let mut items = Vec::new();
    for (index, entry) in text.split(SEP).enumerate() {
        let item = parse(entry).map_err(|problem| CaveatError::InvalidEntry {
            kind,
            index,
            entry: entry.into(),
            problem,
        })?;
        items.push(item);
    }
    NonEmpty::new(items).ok_or(CaveatError::EmptyList { kind })
}

/// Serde through the `Display` / `FromStr` text of a type.
macro_rules! serde_as_text {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Numbers and ids
// ---------------------------------------------------------------------------------------------

/// The problem [`parse_decimal`] reports for a number above its maximum.
const TOO_LARGE: &str = "the number is too large";

/// Reads a decimal number written the way Onezone writes it: digits only, no sign, no leading
/// zero (except `0` itself).
fn parse_decimal(text: &str, max: u64) -> Result<u64, &'static str> {
    if text.is_empty() {
        return Err("the number is empty");
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a decimal number (digits only, no sign)");
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err("the number has a leading zero");
    }
    let mut value: u64 = 0;
    for digit in text.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit - b'0')))
            .ok_or(TOO_LARGE)?;
    }
    if value > max {
        return Err(TOO_LARGE);
    }
    Ok(value)
}

/// Checks the id part of a consumer or service: `*` (any), or an id as Onezone generates them,
/// the same rule as the ids of token identifiers and of the group model (`crate::id`).
fn check_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        Err("the id is empty")
    } else if id != "*" && crate::id::first_invalid(id).is_some() {
        Err("the id has a character other than ASCII letters, digits, `-` and `_` (or is `*`)")
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// IP masks
// ---------------------------------------------------------------------------------------------

/// An IP address with a prefix length: `10.0.0.0/8`, `2001:db8::/32`, or a single host written
/// without a prefix (`167.73.12.17`, meaning `/32`; `::1`, meaning `/128`).
///
/// * The prefix length is at most 32 for IPv4 and 128 for IPv6.
/// * Host bits beyond the prefix are accepted and kept (`11.101.11.234/24` stays as written) and
///   ignored when matching, as in Onezone.
/// * Only the canonical spelling of the address is read — the one [`core::net::IpAddr`] prints
///   (no leading zeros; IPv6 lower-case and compressed as RFC 5952 says) — and the prefix length
///   is written without leading zeros. So the parsed value prints back to the same text.
/// * An IPv4-mapped IPv6 client address (`::ffff:10.1.2.3`) is matched as the IPv4 address;
///   otherwise IPv4 masks match only IPv4 clients and IPv6 masks only IPv6 clients.
///
/// Note: the Onezone 20.02 mask parser that could be inspected reads IPv4 only; an IPv6 mask is
/// valid here but may be refused by such a Onezone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpMask {
    addr: IpAddr,
    prefix_len: u8,
    /// Written without `/<len>`; then `prefix_len` is the address width.
    bare: bool,
}

impl IpMask {
    /// A mask of `prefix_len` bits, written `addr/prefix_len`. Fails if the prefix length is
    /// larger than the address (32 bits for IPv4, 128 for IPv6).
    pub fn new(addr: IpAddr, prefix_len: u8) -> Result<Self, CaveatError> {
        if prefix_len > width(addr) {
            let value = alloc::format!("{addr}/{prefix_len}");
            return Err(CaveatError::invalid(CaveatKind::Ip, &value, too_long_prefix(addr)));
        }
        Ok(IpMask { addr, prefix_len, bare: false })
    }

    /// A single host, written as the bare address (no `/<len>`).
    pub fn host(addr: IpAddr) -> Self {
        IpMask { addr, prefix_len: width(addr), bare: true }
    }

    /// The address as written (host bits included).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length (32 or 128 for a bare host).
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether the mask was written without `/<len>`.
    pub fn is_bare(&self) -> bool {
        self.bare
    }

    /// Whether `ip` is within the mask: its first [`prefix_len`](Self::prefix_len) bits equal the
    /// mask's. An IPv4-mapped IPv6 `ip` is taken as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(mask), IpAddr::V4(ip)) => {
                let diff = u32::from(mask) ^ u32::from(ip);
                diff.checked_shr(32 - u32::from(self.prefix_len)).unwrap_or(0) == 0
            }
            (IpAddr::V6(mask), IpAddr::V6(ip)) => {
                let diff = u128::from(mask) ^ u128::from(ip);
                diff.checked_shr(128 - u32::from(self.prefix_len)).unwrap_or(0) == 0
            }
            _ => false,
        }
    }

    fn parse_entry(text: &str) -> Result<Self, &'static str> {
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        if addr_text.is_empty() {
            return Err("the address is empty");
        }
        let addr: IpAddr = addr_text.parse().map_err(|_| "not an IPv4 or IPv6 address")?;
        if addr.to_string() != addr_text {
            return Err("the address is not in canonical form (no leading zeros; IPv6 in \
                        lower case and compressed as RFC 5952 says)");
        }
        match prefix_text {
            None => Ok(IpMask::host(addr)),
            Some(prefix) => {
                let prefix_len =
                    parse_decimal(prefix, u64::from(width(addr))).map_err(|problem| {
                        if problem == TOO_LARGE {
                            too_long_prefix(addr)
                        } else {
                            "the prefix length is not a decimal number without leading zeros"
                        }
                    })?;
                let prefix_len = u8::try_from(prefix_len).map_err(|_| too_long_prefix(addr))?;
                Ok(IpMask { addr, prefix_len, bare: false })
            }
        }
    }
}

fn width(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

fn too_long_prefix(addr: IpAddr) -> &'static str {
    if addr.is_ipv4() {
        "the prefix length is larger than 32 (the maximum for IPv4)"
    } else {
        "the prefix length is larger than 128 (the maximum for IPv6)"
    }
}

impl fmt::Display for IpMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bare {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix_len)
        }
    }
}

impl FromStr for IpMask {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        IpMask::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Ip, text, problem))
    }
}

serde_as_text!(IpMask);

// ---------------------------------------------------------------------------------------------
// Geo
// ---------------------------------------------------------------------------------------------

/// Whether a geo caveat lists what is allowed or what is forbidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListFilter {
    /// Only the listed values are allowed (`=` in the string form, `"whitelist"` in JSON).
    Whitelist,
    /// The listed values are forbidden (`!=` in the string form, `"blacklist"` in JSON).
    Blacklist,
}

impl ListFilter {
    /// The operator of the string form: `=` or `!=`.
    pub const fn operator(self) -> &'static str {
        match self {
            ListFilter::Whitelist => "=",
            ListFilter::Blacklist => "!=",
        }
    }

    /// Whether a value that is (or is not) on the list passes.
    const fn passes(self, listed: bool) -> bool {
        match self {
            ListFilter::Whitelist => listed,
            ListFilter::Blacklist => !listed,
        }
    }
}

/// A country code in a `geo.country` caveat: two upper-case ASCII letters, as the geo database
/// reports them (ISO 3166-1 alpha-2, e.g. `DE`, `PT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII upper-case letters (checked when built).
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    fn parse_entry(text: &str) -> Result<Self, &'static str> {
        match text.as_bytes() {
            &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(CountryCode([a, b])),
            _ => Err("a country code is two upper-case letters (ISO 3166-1 alpha-2)"),
        }
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CountryCode {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        CountryCode::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Country, text, problem))
    }
}

serde_as_text!(CountryCode);

/// A geographical region of a `geo.region` caveat: one of the seven continents or the European
/// Union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeoRegion {
    /// `Africa`.
    Africa,
    /// `Antarctica`.
    Antarctica,
    /// `Asia`.
    Asia,
    /// `Europe`.
    Europe,
    /// `EU`: the member states of the European Union (a client there is in `Europe` too).
    EuropeanUnion,
    /// `NorthAmerica`.
    NorthAmerica,
    /// `Oceania`: Australia and the Pacific islands.
    Oceania,
    /// `SouthAmerica`.
    SouthAmerica,
}

impl GeoRegion {
    /// All regions, in Onezone's order.
    pub const ALL: [GeoRegion; 8] = [
        GeoRegion::Africa,
        GeoRegion::Antarctica,
        GeoRegion::Asia,
        GeoRegion::Europe,
        GeoRegion::EuropeanUnion,
        GeoRegion::NorthAmerica,
        GeoRegion::Oceania,
        GeoRegion::SouthAmerica,
    ];

    /// Onezone's name of the region (`Africa`, `EU`, `NorthAmerica`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            GeoRegion::Africa => "Africa",
            GeoRegion::Antarctica => "Antarctica",
            GeoRegion::Asia => "Asia",
            GeoRegion::Europe => "Europe",
            GeoRegion::EuropeanUnion => "EU",
            GeoRegion::NorthAmerica => "NorthAmerica",
            GeoRegion::Oceania => "Oceania",
            GeoRegion::SouthAmerica => "SouthAmerica",
        }
    }

    fn parse_entry(text: &str) -> Result<Self, &'static str> {
        GeoRegion::ALL.into_iter().find(|r| r.as_str() == text).ok_or(
            "not a region (Africa, Antarctica, Asia, Europe, EU, NorthAmerica, Oceania or \
             SouthAmerica)",
        )
    }
}

impl fmt::Display for GeoRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GeoRegion {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        GeoRegion::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Region, text, problem))
    }
}

serde_as_text!(GeoRegion);

// ---------------------------------------------------------------------------------------------
// Consumers and services
// ---------------------------------------------------------------------------------------------

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
    id: String,
}

impl Consumer {
    /// A consumer of `kind` with `id` (`*` for any). Fails if the id is empty or has a character
    /// other than ASCII letters, digits, `-` and `_`.
    pub fn new(kind: ConsumerKind, id: impl Into<String>) -> Result<Self, CaveatError> {
        let id = id.into();
        match check_id(&id) {
            Ok(()) => Ok(Consumer { kind, id }),
            Err(problem) => {
                let value = alloc::format!("{}-{id}", kind.prefix());
                Err(CaveatError::invalid(CaveatKind::Consumer, &value, problem))
            }
        }
    }

    /// Any consumer of `kind` (`usr-*`, `grp-*`, `prv-*`).
    pub fn any(kind: ConsumerKind) -> Self {
        Consumer { kind, id: "*".into() }
    }

    /// The kind.
    pub fn kind(&self) -> ConsumerKind {
        self.kind
    }

    /// The id (`*` for any).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the id is the wildcard `*`.
    pub fn is_wildcard(&self) -> bool {
        self.id == "*"
    }

    /// Whether this caveat entry admits `consumer`, a member of `groups`.
    fn admits(&self, consumer: &Consumer, groups: &[String]) -> bool {
        match self.kind {
            ConsumerKind::Group => !self.is_wildcard() && groups.contains(&self.id),
            kind => kind == consumer.kind && (self.is_wildcard() || self.id == consumer.id),
        }
    }

    fn parse_entry(text: &str) -> Result<Self, &'static str> {
        let (kind, id) = if let Some(id) = text.strip_prefix("usr-") {
            (ConsumerKind::User, id)
        } else if let Some(id) = text.strip_prefix("grp-") {
            (ConsumerKind::Group, id)
        } else if let Some(id) = text.strip_prefix("prv-") {
            (ConsumerKind::Provider, id)
        } else {
            return Err("a consumer is usr-<id>, grp-<id> or prv-<id>");
        };
        check_id(id)?;
        Ok(Consumer { kind, id: id.into() })
    }
}

impl fmt::Display for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.prefix(), self.id)
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

/// The kind of a Onedata [`Service`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    /// Onezone worker: `ozw`.
    OzWorker,
    /// Onezone panel: `ozp`.
    OzPanel,
    /// Oneprovider worker: `opw`.
    OpWorker,
    /// Oneprovider panel: `opp`.
    OpPanel,
}

impl ServiceKind {
    /// Onezone's short name: `ozw`, `ozp`, `opw` or `opp`.
    pub const fn shortname(self) -> &'static str {
        match self {
            ServiceKind::OzWorker => "ozw",
            ServiceKind::OzPanel => "ozp",
            ServiceKind::OpWorker => "opw",
            ServiceKind::OpPanel => "opp",
        }
    }

    fn from_shortname(text: &str) -> Option<Self> {
        match text {
            "ozw" => Some(ServiceKind::OzWorker),
            "ozp" => Some(ServiceKind::OzPanel),
            "opw" => Some(ServiceKind::OpWorker),
            "opp" => Some(ServiceKind::OpPanel),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shortname())
    }
}

/// A Onedata service (`ozw-onezone`, `ozp-onezone`, `opw-<provider id>`, `opp-<provider id>`), in
/// a `service` caveat or as the service processing a request. The id `*` stands for any service
/// of its kind (`opw-*`). The id of the Onezone services is `onezone`; other ids are accepted
/// for any kind, as Onezone does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Service {
    kind: ServiceKind,
    id: String,
}

impl Service {
    /// The id of the Onezone cluster, used by `ozw` and `ozp`.
    pub const ONEZONE_ID: &'static str = "onezone";

    /// A service of `kind` with `id` (`*` for any). Fails if the id is empty or has a character
    /// other than ASCII letters, digits, `-` and `_`.
    pub fn new(kind: ServiceKind, id: impl Into<String>) -> Result<Self, CaveatError> {
        let id = id.into();
        match check_id(&id) {
            Ok(()) => Ok(Service { kind, id }),
            Err(problem) => {
                let value = alloc::format!("{}-{id}", kind.shortname());
                Err(CaveatError::invalid(CaveatKind::Service, &value, problem))
            }
        }
    }

    /// `ozw-onezone`, the Onezone worker.
    pub fn onezone_worker() -> Self {
        Service { kind: ServiceKind::OzWorker, id: Self::ONEZONE_ID.into() }
    }

    /// Any service of `kind` (`opw-*`, ...).
    pub fn any(kind: ServiceKind) -> Self {
        Service { kind, id: "*".into() }
    }

    /// The kind.
    pub fn kind(&self) -> ServiceKind {
        self.kind
    }

    /// The id (`*` for any).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the id is the wildcard `*`.
    pub fn is_wildcard(&self) -> bool {
        self.id == "*"
    }

    /// Whether this caveat entry admits `service`.
    fn admits(&self, service: &Service) -> bool {
        self.kind == service.kind && (self.is_wildcard() || self.id == service.id)
    }

    fn parse_entry(text: &str) -> Result<Self, &'static str> {
        const SHAPE: &str = "a service is ozw-<id>, ozp-<id>, opw-<id> or opp-<id>";
        let (prefix, id) = text.split_once('-').ok_or(SHAPE)?;
        let kind = ServiceKind::from_shortname(prefix).ok_or(SHAPE)?;
        check_id(id)?;
        Ok(Service { kind, id: id.into() })
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.shortname(), self.id)
    }
}

impl FromStr for Service {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        Service::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Service, text, problem))
    }
}

serde_as_text!(Service);

// ---------------------------------------------------------------------------------------------
// Interface
// ---------------------------------------------------------------------------------------------

/// The interface a request came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interface {
    /// `rest`: the REST (and CDMI) APIs.
    Rest,
    /// `graphsync`: the GraphSync channel between services and the web GUI.
    Graphsync,
    /// `oneclient`: a mounted Oneclient. In a caveat this makes it a data access caveat.
    Oneclient,
}

impl Interface {
    /// Onezone's name: `rest`, `graphsync` or `oneclient`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Interface::Rest => "rest",
            Interface::Graphsync => "graphsync",
            Interface::Oneclient => "oneclient",
        }
    }

    fn parse_value(text: &str) -> Result<Self, &'static str> {
        match text {
            "rest" => Ok(Interface::Rest),
            "graphsync" => Ok(Interface::Graphsync),
            "oneclient" => Ok(Interface::Oneclient),
            _ if text.contains(SEP) => Err("exactly one interface is allowed, not a list"),
            _ => Err("not an interface (rest, graphsync or oneclient)"),
        }
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Interface {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        Interface::parse_value(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Interface, text, problem))
    }
}

serde_as_text!(Interface);

// ---------------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------------

/// An operation on a resource: `create`, `get`, `update` or `delete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrudOperation {
    /// `create`.
    Create,
    /// `get`.
    Get,
    /// `update`.
    Update,
    /// `delete`.
    Delete,
}

impl CrudOperation {
    /// Onezone's name of the operation.
    pub const fn as_str(self) -> &'static str {
        match self {
            CrudOperation::Create => "create",
            CrudOperation::Get => "get",
            CrudOperation::Update => "update",
            CrudOperation::Delete => "delete",
        }
    }

    fn from_name(text: &str) -> Option<Self> {
        match text {
            "create" => Some(CrudOperation::Create),
            "get" => Some(CrudOperation::Get),
            "update" => Some(CrudOperation::Update),
            "delete" => Some(CrudOperation::Delete),
            _ => None,
        }
    }
}

impl fmt::Display for CrudOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scopes of a GRI, and `*` in patterns.
const GRI_SCOPES: [&str; 6] = ["private", "protected", "shared", "public", "auto", "*"];

/// A Graph Resource Identifier pattern, `<type>.<id>.<aspect>[:<scope>]`, where each part may be
/// the wildcard `*`: `user.*.*:*`, `space.<id>.instance:private`, `group.*.user,*:*`.
///
/// * type: `*` or a name of letters, digits and `_` (Onezone's list of entity types changes
///   between versions, so the name is not checked against it);
/// * id: `*` or any text without `.`, `/`, `|`, white space or control characters;
/// * aspect: `*`, a name, or `<name>,<argument>` where either side may be `*` (a pattern
///   `<name>,*` matches only aspects with an argument, as in Onezone);
/// * scope: `private`, `protected`, `shared`, `public`, `auto` or `*`; when absent the pattern
///   means `private` (Onezone's default) and is written back without it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GriPattern {
    entity_type: String,
    entity_id: String,
    aspect: String,
    scope: Option<String>,
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn is_gri_text(text: &str) -> bool {
    !text.is_empty()
        && !text.chars().any(|c| {
            matches!(c, '.' | '/' | '|' | ':' | ',') || c.is_whitespace() || c.is_control()
        })
}

impl GriPattern {
    /// A pattern from its parts (see the type's documentation for what each may be).
    pub fn new(
        entity_type: &str,
        entity_id: &str,
        aspect: &str,
        scope: Option<&str>,
    ) -> Result<Self, CaveatError> {
        let pattern = GriPattern {
            entity_type: entity_type.into(),
            entity_id: entity_id.into(),
            aspect: aspect.into(),
            scope: scope.map(Into::into),
        };
        match pattern.validate() {
            Ok(()) => Ok(pattern),
            Err(problem) => {
                Err(CaveatError::invalid(CaveatKind::Api, &pattern.to_string(), problem))
            }
        }
    }

    /// The entity type (`*` for any).
    pub fn entity_type(&self) -> &str {
        &self.entity_type
    }

    /// The entity id (`*` for any).
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// The aspect (`*` for any; `<name>,<argument>` with either side possibly `*`).
    pub fn aspect(&self) -> &str {
        &self.aspect
    }

    /// The scope as written, `None` when absent (meaning `private`).
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// Whether `gri` matches the pattern.
    pub fn matches(&self, gri: &Gri) -> bool {
        let part = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        let aspect = match (self.aspect.split_once(','), gri.aspect.split_once(',')) {
            _ if self.aspect == "*" => true,
            (Some((name, arg)), Some((gri_name, gri_arg))) => {
                part(name, gri_name) && part(arg, gri_arg)
            }
            (None, None) => self.aspect == gri.aspect,
            _ => false,
        };
        part(&self.entity_type, &gri.entity_type)
            && part(&self.entity_id, &gri.entity_id)
            && aspect
            && part(self.scope.as_deref().unwrap_or("private"), &gri.scope)
    }

    fn validate(&self) -> Result<(), &'static str> {
        if self.entity_type != "*" && !is_name(&self.entity_type) {
            return Err("the GRI type is not `*` or a name of letters, digits and `_`");
        }
        if !is_gri_text(&self.entity_id) && self.entity_id != "*" {
            return Err("the GRI id is empty or contains `.`, `/`, `|`, `:`, `,` or white space");
        }
        let aspect_ok = match self.aspect.split_once(',') {
            None => self.aspect == "*" || is_name(&self.aspect),
            Some((name, arg)) => (name == "*" || is_name(name)) && (arg == "*" || is_gri_text(arg)),
        };
        if !aspect_ok {
            return Err("the GRI aspect is not `*`, a name, or `<name>,<argument>`");
        }
        if let Some(scope) = &self.scope
            && !GRI_SCOPES.contains(&scope.as_str())
        {
            return Err("the GRI scope is not private, protected, shared, public, auto or *");
        }
        Ok(())
    }

    fn parse_part(text: &str) -> Result<Self, &'static str> {
        let mut parts = text.split('.');
        let (Some(entity_type), Some(entity_id), Some(aspect_scope), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("the GRI pattern is not <type>.<id>.<aspect>[:<scope>]");
        };
        let (aspect, scope) = match aspect_scope.split_once(':') {
            Some((aspect, scope)) => (aspect, Some(scope)),
            None => (aspect_scope, None),
        };
        let pattern = GriPattern {
            entity_type: entity_type.into(),
            entity_id: entity_id.into(),
            aspect: aspect.into(),
            scope: scope.map(Into::into),
        };
        pattern.validate()?;
        Ok(pattern)
    }
}

impl fmt::Display for GriPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.entity_type, self.entity_id, self.aspect)?;
        match &self.scope {
            Some(scope) => write!(f, ":{scope}"),
            None => Ok(()),
        }
    }
}

impl FromStr for GriPattern {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        GriPattern::parse_part(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Api, text, problem))
    }
}

/// One entry of an `api` caveat: `<service>/<operation>/<GRI pattern>`, where service is a
/// [`ServiceKind`] short name or `all` and operation a [`CrudOperation`] or `all`. For example
/// `ozw/get/user.*.*:*` or `all/all/space.*.*:*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiMatchspec {
    /// The service, `None` for `all`.
    pub service: Option<ServiceKind>,
    /// The operation, `None` for `all`.
    pub operation: Option<CrudOperation>,
    /// The resources.
    pub gri: GriPattern,
}

impl ApiMatchspec {
    /// Whether `call` matches.
    pub fn matches(&self, call: &ApiCall) -> bool {
        self.service.is_none_or(|s| s == call.service)
            && self.operation.is_none_or(|o| o == call.operation)
            && self.gri.matches(&call.gri)
    }

    fn parse_entry(text: &str) -> Result<Self, &'static str> {
        let mut parts = text.split('/');
        let (Some(service), Some(operation), Some(gri), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("an API entry is <service>/<operation>/<GRI pattern>");
        };
        let service = match service {
            "all" => None,
            other => Some(
                ServiceKind::from_shortname(other)
                    .ok_or("the service is not all, ozw, ozp, opw or opp")?,
            ),
        };
        let operation = match operation {
            "all" => None,
            other => Some(
                CrudOperation::from_name(other)
                    .ok_or("the operation is not all, create, get, update or delete")?,
            ),
        };
        Ok(ApiMatchspec { service, operation, gri: GriPattern::parse_part(gri)? })
    }
}

impl fmt::Display for ApiMatchspec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.service {
            Some(service) => f.write_str(service.shortname())?,
            None => f.write_str("all")?,
        }
        match self.operation {
            Some(operation) => write!(f, "/{operation}/")?,
            None => f.write_str("/all/")?,
        }
        write!(f, "{}", self.gri)
    }
}

impl FromStr for ApiMatchspec {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        ApiMatchspec::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Api, text, problem))
    }
}

serde_as_text!(ApiMatchspec);

/// A concrete Graph Resource Identifier, as a request names its resource. Plain data, matched
/// against [`GriPattern`]s part by part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Gri {
    /// Entity type, e.g. `user`, `space`, `file`.
    pub entity_type: String,
    /// Entity id (`null` when there is none, as Onezone writes it).
    pub entity_id: String,
    /// Aspect, e.g. `instance`, or `<name>,<argument>` such as `user,<user id>`.
    pub aspect: String,
    /// Scope: `private`, `protected`, `shared`, `public` or `auto`.
    pub scope: String,
}

impl fmt::Display for Gri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}:{}", self.entity_type, self.entity_id, self.aspect, self.scope)
    }
}

/// An API operation a request performs, checked against `api` caveats.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiCall {
    /// The service that performs it.
    pub service: ServiceKind,
    /// The operation.
    pub operation: CrudOperation,
    /// The resource.
    pub gri: Gri,
}

impl fmt::Display for ApiCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.service, self.operation, self.gri)
    }
}

// ---------------------------------------------------------------------------------------------
// Data access
// ---------------------------------------------------------------------------------------------

/// A canonical data path of a `data.path` caveat: `/<space id>[/<name>...]`, without a trailing
/// slash (`/74ab36db1f4d3b4da4d2eb7b64d60dfc/dir1/file.txt`). UTF-8.
///
/// `Display` shows the path itself; both caveat forms carry it as standard, padded base64
/// ([`DataPath::to_base64`]), as Onezone writes it. It allows access to the path and everything
/// below it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataPath(String);

impl DataPath {
    /// A path, checked as Onezone checks it: starts with `/`, names a space (so it is not just
    /// `/`), does not end with `/`.
    pub fn new(path: impl Into<String>) -> Result<Self, CaveatError> {
        let path = path.into();
        match Self::check(&path) {
            Ok(()) => Ok(DataPath(path)),
            Err(problem) => Err(CaveatError::invalid(CaveatKind::DataPath, &path, problem)),
        }
    }

    /// Reads the base64 form (standard alphabet, with padding, as Onezone writes it).
    pub fn from_base64(text: &str) -> Result<Self, CaveatError> {
        Self::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::DataPath, text, problem))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The base64 form written in caveats.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0.as_bytes())
    }

    /// Whether `path` is this path or below it (`/s/dir` contains `/s/dir` and `/s/dir/f`, not
    /// `/s/directory`).
    pub fn contains(&self, path: &str) -> bool {
        path.strip_prefix(self.0.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    fn check(path: &str) -> Result<(), &'static str> {
        if !path.starts_with('/') {
            Err("the path does not start with `/`")
        } else if path.bytes().all(|b| b == b'/') {
            Err("the path names no space (it must be /<space id>[/...])")
        } else if path.ends_with('/') {
            Err("the path ends with `/`")
        } else {
            Ok(())
        }
    }

    fn parse_entry(text: &str) -> Result<Self, &'static str> {
        if text.is_empty() {
            return Err("the entry is empty");
        }
        let bytes = BASE64
            .decode(text)
            .map_err(|_| "not canonical base64 (standard alphabet, with `=` padding)")?;
        let path = String::from_utf8(bytes).map_err(|_| "the decoded path is not UTF-8")?;
        Self::check(&path)?;
        Ok(DataPath(path))
    }
}

impl fmt::Display for DataPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for DataPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for DataPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DataPath::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

/// An object id of a `data.objectid` caveat: the CDMI object id of a file or directory, in
/// hexadecimal (`000000000055D4E4836803640004677569646D...`). It allows access to the object and,
/// for a directory, everything below it. Kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectId(String);

impl ObjectId {
    /// The object id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse_entry(text: &str) -> Result<Self, &'static str> {
        if text.is_empty() {
            Err("the object id is empty")
        } else if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Err("an object id is hexadecimal digits")
        } else {
            Ok(ObjectId(text.into()))
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ObjectId {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        ObjectId::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::DataObjectId, text, problem))
    }
}

serde_as_text!(ObjectId);

// ---------------------------------------------------------------------------------------------
// The caveat
// ---------------------------------------------------------------------------------------------

/// One first-party caveat of an Onezone token.
///
/// Read with [`Caveat::parse`] (the string inside the macaroon) or serde (the JSON of Onezone's
/// REST API); write with `Display` / [`Caveat::to_caveat_string`] or serde. See the [module
/// documentation](crate::token#caveats) for both forms and the rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", from = "CaveatJson")]
#[non_exhaustive]
pub enum Caveat {
    /// `time < <validUntil>`: valid while the current Unix time (seconds) is below `valid_until`.
    #[serde(rename = "time")]
    Time {
        /// First Unix second (UTC) at which the token is no longer valid.
        #[serde(rename = "validUntil")]
        valid_until: u64,
    },
    /// `ip = <mask>|...`: the client address is within one of the masks.
    #[serde(rename = "ip")]
    Ip {
        /// The allowed masks.
        whitelist: NonEmpty<IpMask>,
    },
    /// `asn = <n>|...`: the client's autonomous system is listed.
    #[serde(rename = "asn")]
    Asn {
        /// The allowed autonomous system numbers.
        whitelist: NonEmpty<u32>,
    },
    /// `geo.country = <code>|...` or `geo.country != <code>|...`.
    #[serde(rename = "geo.country")]
    Country {
        /// Whether the list allows (`=`) or forbids (`!=`).
        filter: ListFilter,
        /// The countries.
        list: NonEmpty<CountryCode>,
    },
    /// `geo.region = <region>|...` or `geo.region != <region>|...`.
    #[serde(rename = "geo.region")]
    Region {
        /// Whether the list allows (`=`) or forbids (`!=`).
        filter: ListFilter,
        /// The regions.
        list: NonEmpty<GeoRegion>,
    },
    /// `consumer = <consumer>|...`: the token's consumer is admitted by one entry.
    #[serde(rename = "consumer")]
    Consumer {
        /// The admitted consumers.
        whitelist: NonEmpty<Consumer>,
    },
    /// `service = <service>|...`: the service processing the token is admitted by one entry.
    #[serde(rename = "service")]
    Service {
        /// The admitted services.
        whitelist: NonEmpty<Service>,
    },
    /// `interface = <interface>`: the request came on this interface.
    #[serde(rename = "interface")]
    Interface {
        /// The required interface.
        interface: Interface,
    },
    /// `api = <matchspec>|...`: the operation matches one entry.
    #[serde(rename = "api")]
    Api {
        /// The allowed operations.
        whitelist: NonEmpty<ApiMatchspec>,
    },
    /// `data.readonly`: data may only be read.
    #[serde(rename = "data.readonly")]
    DataReadonly,
    /// `data.path = <base64 path>|...`: data is accessed within one of the paths.
    #[serde(rename = "data.path")]
    DataPath {
        /// The allowed paths.
        whitelist: NonEmpty<DataPath>,
    },
    /// `data.objectid = <id>|...`: data is accessed within one of the objects.
    #[serde(rename = "data.objectid")]
    DataObjectId {
        /// The allowed objects.
        whitelist: NonEmpty<ObjectId>,
    },
    /// `authorization = none`: the token only proves its subject's identity and authorizes
    /// nothing.
    #[serde(rename = "authorizationNone")]
    AuthorizationNone,
}

/// What JSON is read into. The same as [`Caveat`], except that the unit variants are empty struct
/// variants, so that `deny_unknown_fields` refuses extra fields for them too.
#[derive(Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum CaveatJson {
    #[serde(rename = "time")]
    Time {
        #[serde(rename = "validUntil")]
        valid_until: u64,
    },
    #[serde(rename = "ip")]
    Ip { whitelist: NonEmpty<IpMask> },
    #[serde(rename = "asn")]
    Asn { whitelist: NonEmpty<u32> },
    #[serde(rename = "geo.country")]
    Country { filter: ListFilter, list: NonEmpty<CountryCode> },
    #[serde(rename = "geo.region")]
    Region { filter: ListFilter, list: NonEmpty<GeoRegion> },
    #[serde(rename = "consumer")]
    Consumer { whitelist: NonEmpty<Consumer> },
    #[serde(rename = "service")]
    Service { whitelist: NonEmpty<Service> },
    #[serde(rename = "interface")]
    Interface { interface: Interface },
    #[serde(rename = "api")]
    Api { whitelist: NonEmpty<ApiMatchspec> },
    #[serde(rename = "data.readonly")]
    DataReadonly {},
    #[serde(rename = "data.path")]
    DataPath { whitelist: NonEmpty<DataPath> },
    #[serde(rename = "data.objectid")]
    DataObjectId { whitelist: NonEmpty<ObjectId> },
    #[serde(rename = "authorizationNone")]
    AuthorizationNone {},
}

impl From<CaveatJson> for Caveat {
    fn from(json: CaveatJson) -> Caveat {
        match json {
            CaveatJson::Time { valid_until } => Caveat::Time { valid_until },
            CaveatJson::Ip { whitelist } => Caveat::Ip { whitelist },
            CaveatJson::Asn { whitelist } => Caveat::Asn { whitelist },
            CaveatJson::Country { filter, list } => Caveat::Country { filter, list },
            CaveatJson::Region { filter, list } => Caveat::Region { filter, list },
            CaveatJson::Consumer { whitelist } => Caveat::Consumer { whitelist },
            CaveatJson::Service { whitelist } => Caveat::Service { whitelist },
            CaveatJson::Interface { interface } => Caveat::Interface { interface },
            CaveatJson::Api { whitelist } => Caveat::Api { whitelist },
            CaveatJson::DataReadonly {} => Caveat::DataReadonly,
            CaveatJson::DataPath { whitelist } => Caveat::DataPath { whitelist },
            CaveatJson::DataObjectId { whitelist } => Caveat::DataObjectId { whitelist },
            CaveatJson::AuthorizationNone {} => Caveat::AuthorizationNone,
        }
    }
}

impl Caveat {
    /// Reads the string form of a caveat (the predicate of a first-party caveat).
    ///
    /// Fails with [`CaveatError::Unrecognized`] if the text is no caveat Onezone knows (the
    /// caller keeps such a caveat as raw text; it is never satisfied), and with another
    /// [`CaveatError`] naming the problem if it is a known caveat that is not well formed.
    pub fn parse(text: &str) -> Result<Caveat, CaveatError> {
        if let Some(value) = text.strip_prefix("time < ") {
            let valid_until = parse_decimal(value, u64::MAX)
                .map_err(|problem| CaveatError::invalid(CaveatKind::Time, value, problem))?;
            return Ok(Caveat::Time { valid_until });
        }
        if let Some(list) = text.strip_prefix("ip = ") {
            let whitelist = parse_list(CaveatKind::Ip, list, IpMask::parse_entry)?;
            return Ok(Caveat::Ip { whitelist });
        }
        if let Some(list) = text.strip_prefix("asn = ") {
            let max = u64::from(u32::MAX);
            let whitelist = parse_list(CaveatKind::Asn, list, |entry| {
                let n = parse_decimal(entry, max).map_err(|problem| {
                    if problem == TOO_LARGE {
                        "an AS number is at most 4294967295"
                    } else {
                        problem
                    }
                })?;
                u32::try_from(n).map_err(|_| "an AS number is at most 4294967295")
            })?;
            return Ok(Caveat::Asn { whitelist });
        }
        for (prefix, filter) in
            [("geo.country = ", ListFilter::Whitelist), ("geo.country != ", ListFilter::Blacklist)]
        {
            if let Some(list) = text.strip_prefix(prefix) {
                let list = parse_list(CaveatKind::Country, list, CountryCode::parse_entry)?;
                return Ok(Caveat::Country { filter, list });
            }
        }
        for (prefix, filter) in
            [("geo.region = ", ListFilter::Whitelist), ("geo.region != ", ListFilter::Blacklist)]
        {
            if let Some(list) = text.strip_prefix(prefix) {
                let list = parse_list(CaveatKind::Region, list, GeoRegion::parse_entry)?;
                return Ok(Caveat::Region { filter, list });
            }
        }
        if let Some(list) = text.strip_prefix("consumer = ") {
            let whitelist = parse_list(CaveatKind::Consumer, list, Consumer::parse_entry)?;
            return Ok(Caveat::Consumer { whitelist });
        }
        if let Some(list) = text.strip_prefix("service = ") {
            let whitelist = parse_list(CaveatKind::Service, list, Service::parse_entry)?;
            return Ok(Caveat::Service { whitelist });
        }
        if let Some(value) = text.strip_prefix("interface = ") {
            let interface = Interface::parse_value(value)
                .map_err(|problem| CaveatError::invalid(CaveatKind::Interface, value, problem))?;
            return Ok(Caveat::Interface { interface });
        }
        if let Some(list) = text.strip_prefix("api = ") {
            let whitelist = parse_list(CaveatKind::Api, list, ApiMatchspec::parse_entry)?;
            return Ok(Caveat::Api { whitelist });
        }
        if text == "data.readonly" {
            return Ok(Caveat::DataReadonly);
        }
        if let Some(list) = text.strip_prefix("data.path = ") {
            let whitelist = parse_list(CaveatKind::DataPath, list, DataPath::parse_entry)?;
            return Ok(Caveat::DataPath { whitelist });
        }
        if let Some(list) = text.strip_prefix("data.objectid = ") {
            let whitelist = parse_list(CaveatKind::DataObjectId, list, ObjectId::parse_entry)?;
            return Ok(Caveat::DataObjectId { whitelist });
        }
        if text == "authorization = none" {
            return Ok(Caveat::AuthorizationNone);
        }
        Err(CaveatError::Unrecognized)
    }

    /// The string form, exactly as it goes into the macaroon (same as `Display`).
    pub fn to_caveat_string(&self) -> String {
        self.to_string()
    }

    /// A time caveat that expires at `at` (sub-second precision is dropped, so the token expires
    /// at the start of that second). Fails for instants before 1970-01-01T00:00:00Z.
    pub fn expires_at(at: time::OffsetDateTime) -> Result<Caveat, CaveatError> {
        Self::expires_at_unix(at.unix_timestamp())
    }

    /// Like [`Caveat::expires_at`], for a [`time::UtcDateTime`].
    pub fn expires_at_utc(at: time::UtcDateTime) -> Result<Caveat, CaveatError> {
        Self::expires_at_unix(at.unix_timestamp())
    }

    fn expires_at_unix(seconds: i64) -> Result<Caveat, CaveatError> {
        match u64::try_from(seconds) {
            Ok(valid_until) => Ok(Caveat::Time { valid_until }),
            Err(_) => Err(CaveatError::invalid(
                CaveatKind::Time,
                &seconds.to_string(),
                "the time is before 1970-01-01T00:00:00Z",
            )),
        }
    }

    /// For a time caveat, the instant it expires (`None` for other caveats, or past year 9999).
    pub fn expiry(&self) -> Option<time::OffsetDateTime> {
        match self {
            Caveat::Time { valid_until } => {
                let seconds = i64::try_from(*valid_until).ok()?;
                time::OffsetDateTime::from_unix_timestamp(seconds).ok()
            }
            _ => None,
        }
    }

    /// Which caveat this is.
    pub fn kind(&self) -> CaveatKind {
        match self {
            Caveat::Time { .. } => CaveatKind::Time,
            Caveat::Ip { .. } => CaveatKind::Ip,
            Caveat::Asn { .. } => CaveatKind::Asn,
            Caveat::Country { .. } => CaveatKind::Country,
            Caveat::Region { .. } => CaveatKind::Region,
            Caveat::Consumer { .. } => CaveatKind::Consumer,
            Caveat::Service { .. } => CaveatKind::Service,
            Caveat::Interface { .. } => CaveatKind::Interface,
            Caveat::Api { .. } => CaveatKind::Api,
            Caveat::DataReadonly => CaveatKind::DataReadonly,
            Caveat::DataPath { .. } => CaveatKind::DataPath,
            Caveat::DataObjectId { .. } => CaveatKind::DataObjectId,
            Caveat::AuthorizationNone => CaveatKind::AuthorizationNone,
        }
    }

    /// Whether Onezone accepts this caveat in an invite token: only `time`, `ip`, `asn`,
    /// `geo.country`, `geo.region` and `consumer`.
    pub fn allowed_in_invite(&self) -> bool {
        self.kind().allowed_in_invite()
    }

    /// Whether this is a data access caveat — `interface = oneclient`, `data.readonly`,
    /// `data.path` or `data.objectid` — which in Onezone limits a token to data access.
    pub fn is_data_access(&self) -> bool {
        matches!(
            self,
            Caveat::Interface { interface: Interface::Oneclient }
                | Caveat::DataReadonly
                | Caveat::DataPath { .. }
                | Caveat::DataObjectId { .. }
        )
    }

    /// Checks the caveat against the context of a request.
    ///
    /// A caveat that needs context that `ctx` does not give fails with
    /// [`CaveatFailure::MissingContext`]. Boundaries: a time caveat has expired when
    /// `now == valid_until`; IP masks compare exactly the first `prefix_len` bits.
    pub fn check(&self, ctx: &CaveatContext) -> Result<(), CaveatFailure> {
        let kind = self.kind();
        let missing = |needed: &'static str| CaveatFailure::MissingContext { kind, needed };
        let verdict = |ok: bool, failure: &dyn Fn() -> CaveatFailure| {
            if ok { Ok(()) } else { Err(failure()) }
        };
        match self {
            Caveat::Time { valid_until } => {
                if ctx.now == 0 {
                    return Err(missing("current time"));
                }
                verdict(ctx.now < *valid_until, &|| CaveatFailure::Expired {
                    valid_until: *valid_until,
                    now: ctx.now,
                })
            }
            Caveat::Ip { whitelist } => {
                let ip = ctx.ip.ok_or_else(|| missing("client IP address"))?;
                verdict(whitelist.iter().any(|mask| mask.contains(ip)), &|| {
                    CaveatFailure::IpNotAllowed { ip, whitelist: whitelist.to_vec() }
                })
            }
            Caveat::Asn { whitelist } => {
                let asn = ctx.asn.ok_or_else(|| missing("client's AS number"))?;
                verdict(whitelist.contains(&asn), &|| CaveatFailure::AsnNotAllowed {
                    asn,
                    whitelist: whitelist.to_vec(),
                })
            }
            Caveat::Country { filter, list } => {
                let country = ctx.country.as_deref().ok_or_else(|| missing("client's country"))?;
                let listed = list.iter().any(|c| c.as_str() == country);
                verdict(filter.passes(listed), &|| CaveatFailure::CountryNotAllowed {
                    country: country.into(),
                    filter: *filter,
                    list: list.to_vec(),
                })
            }
            Caveat::Region { filter, list } => {
                if ctx.regions.is_empty() {
                    return Err(missing("client's region"));
                }
                let listed = list.iter().any(|r| ctx.regions.contains(r));
                verdict(filter.passes(listed), &|| CaveatFailure::RegionNotAllowed {
                    regions: ctx.regions.clone(),
                    filter: *filter,
                    list: list.to_vec(),
                })
            }
            Caveat::Consumer { whitelist } => {
                let consumer = ctx.consumer.as_ref().ok_or_else(|| missing("consumer"))?;
                let admitted = whitelist.iter().any(|e| e.admits(consumer, &ctx.consumer_groups));
                verdict(admitted, &|| CaveatFailure::ConsumerNotAllowed {
                    consumer: consumer.clone(),
                    whitelist: whitelist.to_vec(),
                })
            }
            Caveat::Service { whitelist } => {
                let service = ctx.service.as_ref().ok_or_else(|| missing("service"))?;
                verdict(whitelist.iter().any(|e| e.admits(service)), &|| {
                    CaveatFailure::ServiceNotAllowed {
                        service: service.clone(),
                        whitelist: whitelist.to_vec(),
                    }
                })
            }
            Caveat::Interface { interface } => {
                let actual = ctx.interface.ok_or_else(|| missing("interface"))?;
                verdict(actual == *interface, &|| CaveatFailure::InterfaceMismatch {
                    required: *interface,
                    actual,
                })
            }
            Caveat::Api { whitelist } => {
                let call = ctx.api_call.as_ref().ok_or_else(|| missing("API operation"))?;
                verdict(whitelist.iter().any(|spec| spec.matches(call)), &|| {
                    CaveatFailure::ApiNotAllowed {
                        call: Box::new(call.clone()),
                        whitelist: whitelist.to_vec(),
                    }
                })
            }
            Caveat::DataReadonly => {
                let read_only = ctx
                    .read_only
                    .ok_or_else(|| missing("kind of data access (read-only or not)"))?;
                verdict(read_only, &|| CaveatFailure::WriteNotAllowed)
            }
            Caveat::DataPath { whitelist } => {
                let path = ctx.data_path.as_deref().ok_or_else(|| missing("data path"))?;
                if !is_canonical_request_path(path) {
                    return Err(CaveatFailure::InvalidContext {
                        kind,
                        field: "data path",
                        problem: "is not canonical (it must be /<space id>/..., with no empty, \
                                  `.` or `..` part and no trailing slash)",
                    });
                }
                verdict(whitelist.iter().any(|p| p.contains(path)), &|| {
                    CaveatFailure::PathNotAllowed {
                        path: path.into(),
                        whitelist: whitelist.to_vec(),
                    }
                })
            }
            Caveat::DataObjectId { whitelist } => {
                let object_id = ctx.object_id.as_deref().ok_or_else(|| missing("object ID"))?;
                let within = whitelist.iter().any(|allowed| {
                    allowed.as_str() == object_id
                        || ctx.object_ancestor_ids.iter().any(|a| a == allowed.as_str())
                });
                verdict(within, &|| CaveatFailure::ObjectNotAllowed {
                    object_id: object_id.into(),
                    whitelist: whitelist.to_vec(),
                })
            }
            Caveat::AuthorizationNone => {
                verdict(ctx.identity_only, &|| CaveatFailure::NoAuthorization)
            }
        }
    }
}

/// A request path is canonical: `/<space>[/<name>...]`, no empty, `.` or `..` part.
fn is_canonical_request_path(path: &str) -> bool {
    match path.strip_prefix('/') {
        Some(rest) => rest.split('/').all(|part| !matches!(part, "" | "." | "..")),
        None => false,
    }
}

impl fmt::Display for Caveat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let display = |item: &dyn fmt::Display, f: &mut fmt::Formatter<'_>| write!(f, "{item}");
        match self {
            Caveat::Time { valid_until } => write!(f, "time < {valid_until}"),
            Caveat::Ip { whitelist } => {
                f.write_str("ip = ")?;
                write_joined(f, whitelist, "|", |m, f| display(m, f))
            }
            Caveat::Asn { whitelist } => {
                f.write_str("asn = ")?;
                write_joined(f, whitelist, "|", |n, f| display(n, f))
            }
            Caveat::Country { filter, list } => {
                write!(f, "geo.country {} ", filter.operator())?;
                write_joined(f, list, "|", |c, f| display(c, f))
            }
            Caveat::Region { filter, list } => {
                write!(f, "geo.region {} ", filter.operator())?;
                write_joined(f, list, "|", |r, f| display(r, f))
            }
            Caveat::Consumer { whitelist } => {
                f.write_str("consumer = ")?;
                write_joined(f, whitelist, "|", |c, f| display(c, f))
            }
            Caveat::Service { whitelist } => {
                f.write_str("service = ")?;
                write_joined(f, whitelist, "|", |s, f| display(s, f))
            }
            Caveat::Interface { interface } => write!(f, "interface = {interface}"),
            Caveat::Api { whitelist } => {
                f.write_str("api = ")?;
                write_joined(f, whitelist, "|", |a, f| display(a, f))
            }
            Caveat::DataReadonly => f.write_str("data.readonly"),
            Caveat::DataPath { whitelist } => {
                f.write_str("data.path = ")?;
                write_joined(f, whitelist, "|", |p, f| f.write_str(&p.to_base64()))
            }
            Caveat::DataObjectId { whitelist } => {
                f.write_str("data.objectid = ")?;
                write_joined(f, whitelist, "|", |o, f| display(o, f))
            }
            Caveat::AuthorizationNone => f.write_str("authorization = none"),
        }
    }
}

impl FromStr for Caveat {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        Caveat::parse(text)
    }
}

// ---------------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------------

/// What is known about a request, for [`Caveat::check`]. Plain data: fill in what you know and
/// leave the rest at its default. A caveat that needs a field left unknown fails.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaveatContext {
    /// The current Unix time in seconds (UTC). `0` (the default) means unknown: every time
    /// caveat then fails.
    pub now: u64,
    /// The client's IP address.
    pub ip: Option<IpAddr>,
    /// The client's autonomous system number, as the geo database gives it for the IP.
    pub asn: Option<u32>,
    /// The client's country code (ISO 3166-1 alpha-2, upper case, e.g. `DE`).
    pub country: Option<String>,
    /// The client's regions: its continent and, for member states of the European Union, also
    /// [`GeoRegion::EuropeanUnion`] (Onezone reports both). Empty means unknown.
    pub regions: Vec<GeoRegion>,
    /// The consumer of the token: the user or provider that proved its identity.
    pub consumer: Option<Consumer>,
    /// Ids of the groups the consumer is (effectively) a member of, for `grp-<id>` entries of
    /// consumer caveats. Empty: a member of none (or unknown), so no `grp-` entry admits it.
    pub consumer_groups: Vec<String>,
    /// The service processing the request (proved by its service token).
    pub service: Option<Service>,
    /// The interface the request came on.
    pub interface: Option<Interface>,
    /// The API operation the request performs, for `api` caveats.
    pub api_call: Option<ApiCall>,
    /// For data access: `Some(true)` when the access only reads, `Some(false)` when it may
    /// modify data.
    pub read_only: Option<bool>,
    /// For data access: the canonical path of the file or directory accessed
    /// (`/<space id>/dir/file`).
    pub data_path: Option<String>,
    /// For data access: the object id of the file or directory accessed.
    pub object_id: Option<String>,
    /// For data access: the object ids of the directories above the accessed object (any order).
    /// A `data.objectid` caveat listing one of them allows the access.
    pub object_ancestor_ids: Vec<String>,
    /// Whether the token is only used to prove its subject's identity; only then does an
    /// `authorization = none` caveat hold.
    pub identity_only: bool,
}

impl CaveatContext {
    /// A context that knows only the current time (Unix seconds).
    pub fn at(now: u64) -> Self {
        CaveatContext { now, ..CaveatContext::default() }
    }

    /// A context that knows only the current time. An instant before 1970 gives an unknown time
    /// (`now == 0`), so time caveats fail.
    pub fn at_time(now: time::OffsetDateTime) -> Self {
        Self::at(u64::try_from(now.unix_timestamp()).unwrap_or(0))
    }
}

/// Why a caveat does not hold for a request.
///
/// `Display` explains it in words, in the style of Onezone's messages, e.g.
/// `unverified time caveat: this token has expired at 2017-05-30T10:29:04Z`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaveatFailure {
    /// The caveat needs something the context does not know.
    MissingContext {
        /// The caveat.
        kind: CaveatKind,
        /// What is missing, in words ("client IP address", "consumer", ...).
        needed: &'static str,
    },
    /// Something the context gives cannot be used to check the caveat.
    InvalidContext {
        /// The caveat.
        kind: CaveatKind,
        /// The field, in words.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// `time`: the token has expired (`now >= valid_until`).
    Expired {
        /// When it expired (Unix seconds).
        valid_until: u64,
        /// The time of the check (Unix seconds).
        now: u64,
    },
    /// `ip`: the client address is in none of the masks.
    IpNotAllowed {
        /// The client address.
        ip: IpAddr,
        /// The allowed masks.
        whitelist: Vec<IpMask>,
    },
    /// `asn`: the client's autonomous system is not listed.
    AsnNotAllowed {
        /// The client's AS number.
        asn: u32,
        /// The allowed numbers.
        whitelist: Vec<u32>,
    },
    /// `geo.country`: the client's country is not allowed (not on a whitelist, or on a
    /// blacklist).
    CountryNotAllowed {
        /// The client's country.
        country: String,
        /// Whether the list allows or forbids.
        filter: ListFilter,
        /// The list.
        list: Vec<CountryCode>,
    },
    /// `geo.region`: the client's region is not allowed.
    RegionNotAllowed {
        /// The client's regions.
        regions: Vec<GeoRegion>,
        /// Whether the list allows or forbids.
        filter: ListFilter,
        /// The list.
        list: Vec<GeoRegion>,
    },
    /// `consumer`: no entry admits the consumer.
    ConsumerNotAllowed {
        /// The consumer.
        consumer: Consumer,
        /// The admitted consumers.
        whitelist: Vec<Consumer>,
    },
    /// `service`: no entry admits the service.
    ServiceNotAllowed {
        /// The service.
        service: Service,
        /// The admitted services.
        whitelist: Vec<Service>,
    },
    /// `interface`: the request came on another interface.
    InterfaceMismatch {
        /// The interface the caveat requires.
        required: Interface,
        /// The interface of the request.
        actual: Interface,
    },
    /// `api`: the operation matches no entry.
    ApiNotAllowed {
        /// The operation (boxed to keep the failure small).
        call: Box<ApiCall>,
        /// The allowed operations.
        whitelist: Vec<ApiMatchspec>,
    },
    /// `data.readonly`: the access would modify data.
    WriteNotAllowed,
    /// `data.path`: the path is within none of the allowed paths.
    PathNotAllowed {
        /// The accessed path.
        path: String,
        /// The allowed paths.
        whitelist: Vec<DataPath>,
    },
    /// `data.objectid`: the object is within none of the allowed objects.
    ObjectNotAllowed {
        /// The accessed object.
        object_id: String,
        /// The allowed objects.
        whitelist: Vec<ObjectId>,
    },
    /// `authorization = none`: the token authorizes nothing, and the request is not an identity
    /// check.
    NoAuthorization,
}

impl CaveatFailure {
    /// The caveat that failed.
    pub fn kind(&self) -> CaveatKind {
        match self {
            CaveatFailure::MissingContext { kind, .. }
            | CaveatFailure::InvalidContext { kind, .. } => *kind,
            CaveatFailure::Expired { .. } => CaveatKind::Time,
            CaveatFailure::IpNotAllowed { .. } => CaveatKind::Ip,
            CaveatFailure::AsnNotAllowed { .. } => CaveatKind::Asn,
            CaveatFailure::CountryNotAllowed { .. } => CaveatKind::Country,
            CaveatFailure::RegionNotAllowed { .. } => CaveatKind::Region,
            CaveatFailure::ConsumerNotAllowed { .. } => CaveatKind::Consumer,
            CaveatFailure::ServiceNotAllowed { .. } => CaveatKind::Service,
            CaveatFailure::InterfaceMismatch { .. } => CaveatKind::Interface,
            CaveatFailure::ApiNotAllowed { .. } => CaveatKind::Api,
            CaveatFailure::WriteNotAllowed => CaveatKind::DataReadonly,
            CaveatFailure::PathNotAllowed { .. } => CaveatKind::DataPath,
            CaveatFailure::ObjectNotAllowed { .. } => CaveatKind::DataObjectId,
            CaveatFailure::NoAuthorization => CaveatKind::AuthorizationNone,
        }
    }
}

impl fmt::Display for CaveatFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !matches!(self, CaveatFailure::NoAuthorization) {
            write!(f, "unverified {} caveat: ", self.kind().describe())?;
        }
        let on_list = |filter: &ListFilter| match filter {
            ListFilter::Whitelist => "is not on the list",
            ListFilter::Blacklist => "is on the forbidden list",
        };
        match self {
            CaveatFailure::MissingContext { needed, .. } => {
                write!(f, "the {needed} is not known, so the caveat cannot hold")
            }
            CaveatFailure::InvalidContext { field, problem, .. } => {
                write!(f, "the {field} {problem}")
            }
            CaveatFailure::Expired { valid_until, .. } => {
                write!(f, "this token has expired at {}", UtcSeconds(*valid_until))
            }
            CaveatFailure::IpNotAllowed { ip, whitelist } => write!(
                f,
                "the client IP address {ip} is in none of the allowed masks {}",
                Listed(whitelist)
            ),
            CaveatFailure::AsnNotAllowed { asn, whitelist } => {
                write!(f, "the client's AS number {asn} is not on the list {}", Listed(whitelist))
            }
            CaveatFailure::CountryNotAllowed { country, filter, list } => write!(
                f,
                "the client's country {} {} {}",
                Quoted::short(country),
                on_list(filter),
                Listed(list)
            ),
            CaveatFailure::RegionNotAllowed { regions, filter, list } => write!(
                f,
                "the client's region ({}) {} {}",
                Listed(regions),
                on_list(filter),
                Listed(list)
            ),
            CaveatFailure::ConsumerNotAllowed { consumer, whitelist } => {
                write!(f, "the consumer {consumer} is not on the list {}", Listed(whitelist))
            }
            CaveatFailure::ServiceNotAllowed { service, whitelist } => {
                write!(f, "the service {service} is not on the list {}", Listed(whitelist))
            }
            CaveatFailure::InterfaceMismatch { required, actual } => write!(
                f,
                "this token can only be used on the '{required}' interface, not on '{actual}'"
            ),
            CaveatFailure::ApiNotAllowed { call, whitelist } => write!(
                f,
                "the operation {} matches none of the allowed operations {}",
                Quoted::long(call),
                Listed(whitelist)
            ),
            CaveatFailure::WriteNotAllowed => {
                f.write_str("this token allows only read-only data access")
            }
            CaveatFailure::PathNotAllowed { path, whitelist } => write!(
                f,
                "the path {} is not within any of the allowed paths {}",
                Quoted::short(path),
                Listed(whitelist)
            ),
            CaveatFailure::ObjectNotAllowed { object_id, whitelist } => write!(
                f,
                "the object {} is not within any of the allowed objects {}",
                Quoted::short(object_id),
                Listed(whitelist)
            ),
            CaveatFailure::NoAuthorization => f.write_str(
                "this token carries no authorization (can be used solely for identity \
                 verification)",
            ),
        }
    }
}

impl core::error::Error for CaveatFailure {}

/// Unix seconds shown as RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`, as Onezone prints expiry times.
///
/// The date comes from the `time` crate; its `formatting` feature (RFC 3339 output) would pull in
/// `std`, so the fields are written here. RFC 3339 years have four digits: a time after
/// 9999-12-31T23:59:59Z is shown as its Unix seconds instead (`Unix time 253402300800`).
struct UtcSeconds(u64);

impl fmt::Display for UtcSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = i64::try_from(self.0)
            .ok()
            .and_then(|seconds| time::OffsetDateTime::from_unix_timestamp(seconds).ok())
            .filter(|date| date.year() <= 9999);
        match date {
            Some(date) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                date.year(),
                u8::from(date.month()),
                date.day(),
                date.hour(),
                date.minute(),
                date.second()
            ),
            None => write!(f, "Unix time {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;
    use core::net::{Ipv4Addr, Ipv6Addr};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn parse(text: &str) -> Caveat {
        Caveat::parse(text).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"))
    }

    fn to_json(caveat: &Caveat) -> Value {
        serde_json::to_value(caveat).unwrap()
    }

    fn from_json(value: Value) -> Result<Caveat, serde_json::Error> {
        serde_json::from_value(value)
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    fn v6(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    // --- the two forms -------------------------------------------------------------------------

    /// Canonical strings and the JSON Onezone writes for them.
    const EXAMPLES: &[(&str, &str)] = &[
        ("time < 1496140144", r#"{"type":"time","validUntil":1496140144}"#),
        ("time < 0", r#"{"type":"time","validUntil":0}"#),
        (
            "ip = 11.101.11.234/32|10.0.0.0/8",
            r#"{"type":"ip","whitelist":["11.101.11.234/32","10.0.0.0/8"]}"#,
        ),
        (
            "ip = 167.73.12.17|2001:db8::/32|::1|::ffff:10.0.0.1/128|0.0.0.0/0",
            r#"{"type":"ip","whitelist":["167.73.12.17","2001:db8::/32","::1","::ffff:10.0.0.1/128","0.0.0.0/0"]}"#,
        ),
        ("asn = 112|322", r#"{"type":"asn","whitelist":[112,322]}"#),
        ("asn = 0|4294967295", r#"{"type":"asn","whitelist":[0,4294967295]}"#),
        (
            "geo.country = DE|PT",
            r#"{"type":"geo.country","filter":"whitelist","list":["DE","PT"]}"#,
        ),
        (
            "geo.country != DE|PT",
            r#"{"type":"geo.country","filter":"blacklist","list":["DE","PT"]}"#,
        ),
        (
            "geo.region = Africa|EU",
            r#"{"type":"geo.region","filter":"whitelist","list":["Africa","EU"]}"#,
        ),
        (
            "geo.region != Africa|Antarctica|Asia|Europe|EU|NorthAmerica|Oceania|SouthAmerica",
            r#"{"type":"geo.region","filter":"blacklist","list":["Africa","Antarctica","Asia","Europe","EU","NorthAmerica","Oceania","SouthAmerica"]}"#,
        ),
        (
            "consumer = usr-d4f5876dbe7f1e7e8a511de6dd31144c|grp-0921135ee61fe53a3df449365228e9b4|prv-*",
            r#"{"type":"consumer","whitelist":["usr-d4f5876dbe7f1e7e8a511de6dd31144c","grp-0921135ee61fe53a3df449365228e9b4","prv-*"]}"#,
        ),
        (
            "service = ozw-onezone|ozp-onezone|opw-*|opp-01c4455bef059353c9dfb35ba93a24f3",
            r#"{"type":"service","whitelist":["ozw-onezone","ozp-onezone","opw-*","opp-01c4455bef059353c9dfb35ba93a24f3"]}"#,
        ),
        ("interface = rest", r#"{"type":"interface","interface":"rest"}"#),
        ("interface = graphsync", r#"{"type":"interface","interface":"graphsync"}"#),
        ("interface = oneclient", r#"{"type":"interface","interface":"oneclient"}"#),
        (
            "api = ozw/all/user.*.*:*|all/get/space.*.*:*|opw/create/file.abc.instance|ozp/delete/group.*.user,*:private|all/all/*.*.*,grp1:auto",
            r#"{"type":"api","whitelist":["ozw/all/user.*.*:*","all/get/space.*.*:*","opw/create/file.abc.instance","ozp/delete/group.*.user,*:private","all/all/*.*.*,grp1:auto"]}"#,
        ),
        ("data.readonly", r#"{"type":"data.readonly"}"#),
        (
            "data.path = L2QxYjM4OGY3Yzc=|L2QxYjM4OGY3YzcvZGlyL2ZpbGUudHh0",
            r#"{"type":"data.path","whitelist":["L2QxYjM4OGY3Yzc=","L2QxYjM4OGY3YzcvZGlyL2ZpbGUudHh0"]}"#,
        ),
        (
            "data.objectid = 000000000055D4E4836803640004677569646D000000167|39592d594e",
            r#"{"type":"data.objectid","whitelist":["000000000055D4E4836803640004677569646D000000167","39592d594e"]}"#,
        ),
        ("authorization = none", r#"{"type":"authorizationNone"}"#),
    ];

    #[test]
    fn examples_round_trip_in_both_forms_and_agree() {
        for (text, json_text) in EXAMPLES {
            let caveat = parse(text);
            assert_eq!(caveat.to_string(), *text);
            assert_eq!(caveat.to_caveat_string(), *text);
            assert_eq!(text.parse::<Caveat>().unwrap(), caveat);
            assert_eq!(serde_json::to_string(&caveat).unwrap(), *json_text, "{text}");
            let from: Caveat = serde_json::from_str(json_text).unwrap();
            assert_eq!(from, caveat, "{json_text}");
            assert_eq!(caveat.kind().name(), to_json(&caveat)["type"], "{text}");
        }
    }

    #[test]
    fn examples_decode_to_the_expected_values() {
        assert_eq!(parse("time < 1496140144"), Caveat::Time { valid_until: 1_496_140_144 });
        let Caveat::Ip { whitelist } = parse("ip = 11.101.11.234/32|10.0.0.0/8|::1") else {
            panic!("not ip")
        };
        assert_eq!(whitelist[0].addr(), v4(11, 101, 11, 234));
        assert_eq!(whitelist[0].prefix_len(), 32);
        assert!(!whitelist[0].is_bare());
        assert_eq!(whitelist[1], IpMask::new(v4(10, 0, 0, 0), 8).unwrap());
        assert_eq!(whitelist[2], IpMask::host(v6("::1")));
        assert_eq!(whitelist[2].prefix_len(), 128);
        assert_eq!(
            parse("geo.region != Europe|EU"),
            Caveat::Region {
                filter: ListFilter::Blacklist,
                list: NonEmpty::new(vec![GeoRegion::Europe, GeoRegion::EuropeanUnion]).unwrap(),
            }
        );
        let Caveat::DataPath { whitelist } = parse("data.path = L2QxYjM4OGY3YzcvZGlyL2ZpbGUudHh0")
        else {
            panic!("not data.path")
        };
        assert_eq!(whitelist[0].as_str(), "/d1b388f7c7/dir/file.txt");
        assert_eq!(whitelist[0].to_string(), "/d1b388f7c7/dir/file.txt");
        let Caveat::Api { whitelist } = parse("api = ozw/get/user.*.*") else { panic!("not api") };
        assert_eq!(whitelist[0].service, Some(ServiceKind::OzWorker));
        assert_eq!(whitelist[0].operation, Some(CrudOperation::Get));
        assert_eq!(whitelist[0].gri.entity_type(), "user");
        assert_eq!(whitelist[0].gri.scope(), None);
    }

    #[test]
    fn data_path_json_carries_base64_like_onezone() {
        let caveat = Caveat::DataPath {
            whitelist: NonEmpty::one(DataPath::new("/space 1/dir|with|bars/żółw").unwrap()),
        };
        let text = caveat.to_string();
        let b64 = BASE64.encode("/space 1/dir|with|bars/żółw");
        assert_eq!(text, format!("data.path = {b64}"));
        assert_eq!(to_json(&caveat), json!({"type": "data.path", "whitelist": [b64]}));
        assert_eq!(parse(&text), caveat);
        // A decoded path in the JSON is not Onezone's form and is refused.
        let err = from_json(json!({"type": "data.path", "whitelist": ["/space/dir"]})).unwrap_err();
        assert!(err.to_string().contains("base64"), "{err}");
    }

    // --- proptest: every type round-trips --------------------------------------------------

    fn arb_ip_mask() -> impl Strategy<Value = IpMask> {
        let sparse_v6 = (0u16..3, 0u16..3, any::<u16>())
            .prop_map(|(a, b, c)| IpAddr::V6(Ipv6Addr::new(a, 0, 0, b, 0, 0, 0, c)));
        prop_oneof![
            (any::<u32>(), 0u8..=32).prop_map(|(a, p)| IpMask::new(
                IpAddr::V4(Ipv4Addr::from(a)),
                p
            )
            .unwrap()),
            (any::<u128>(), 0u8..=128).prop_map(|(a, p)| IpMask::new(
                IpAddr::V6(Ipv6Addr::from(a)),
                p
            )
            .unwrap()),
            (sparse_v6, 0u8..=128).prop_map(|(a, p)| IpMask::new(a, p).unwrap()),
            any::<u32>().prop_map(|a| IpMask::host(IpAddr::V4(Ipv4Addr::from(a)))),
            any::<u128>().prop_map(|a| IpMask::host(IpAddr::V6(Ipv6Addr::from(a)))),
            any::<u32>().prop_map(|a| IpMask::host(IpAddr::V6(Ipv4Addr::from(a).to_ipv6_mapped()))),
        ]
    }

    fn arb_id() -> impl Strategy<Value = String> {
        prop_oneof![Just("*".to_string()), "[a-zA-Z0-9_-]{1,32}"]
    }

    fn arb_consumer() -> impl Strategy<Value = Consumer> {
        let kinds = [ConsumerKind::User, ConsumerKind::Group, ConsumerKind::Provider];
        (proptest::sample::select(kinds.to_vec()), arb_id())
            .prop_map(|(kind, id)| Consumer::new(kind, id).unwrap())
    }

    fn arb_service_kind() -> impl Strategy<Value = ServiceKind> {
        proptest::sample::select(vec![
            ServiceKind::OzWorker,
            ServiceKind::OzPanel,
            ServiceKind::OpWorker,
            ServiceKind::OpPanel,
        ])
    }

    fn arb_service() -> impl Strategy<Value = Service> {
        (arb_service_kind(), arb_id()).prop_map(|(kind, id)| Service::new(kind, id).unwrap())
    }

    fn arb_gri_pattern() -> impl Strategy<Value = GriPattern> {
        let name = "[a-zA-Z_][a-zA-Z0-9_]{0,12}";
        let star_or_name = prop_oneof![Just("*".to_string()), name];
        let id = prop_oneof![Just("*".to_string()), "[a-zA-Z0-9_-]{1,20}"];
        let arg = prop_oneof![Just("*".to_string()), "[a-zA-Z0-9_-]{1,20}"];
        let aspect = prop_oneof![
            Just("*".to_string()),
            name.prop_map(|n| n),
            (star_or_name.clone(), arg).prop_map(|(n, a)| format!("{n},{a}")),
        ];
        let scope = proptest::option::of(proptest::sample::select(GRI_SCOPES.to_vec()));
        (star_or_name, id, aspect, scope)
            .prop_map(|(t, i, a, s)| GriPattern::new(&t, &i, &a, s).unwrap())
    }

    fn arb_matchspec() -> impl Strategy<Value = ApiMatchspec> {
        let operations = vec![
            CrudOperation::Create,
            CrudOperation::Get,
            CrudOperation::Update,
            CrudOperation::Delete,
        ];
        (
            proptest::option::of(arb_service_kind()),
            proptest::option::of(proptest::sample::select(operations)),
            arb_gri_pattern(),
        )
            .prop_map(|(service, operation, gri)| ApiMatchspec { service, operation, gri })
    }

    fn non_empty<T: core::fmt::Debug>(
        item: impl Strategy<Value = T>,
    ) -> impl Strategy<Value = NonEmpty<T>> {
        proptest::collection::vec(item, 1..5).prop_map(|items| NonEmpty::new(items).unwrap())
    }

    fn arb_filter() -> impl Strategy<Value = ListFilter> {
        prop_oneof![Just(ListFilter::Whitelist), Just(ListFilter::Blacklist)]
    }

    fn arb_caveat() -> impl Strategy<Value = Caveat> {
        let interfaces = vec![Interface::Rest, Interface::Graphsync, Interface::Oneclient];
        prop_oneof![
            any::<u64>().prop_map(|valid_until| Caveat::Time { valid_until }),
            non_empty(arb_ip_mask()).prop_map(|whitelist| Caveat::Ip { whitelist }),
            non_empty(any::<u32>()).prop_map(|whitelist| Caveat::Asn { whitelist }),
            (arb_filter(), non_empty("[A-Z]{2}".prop_map(|c| c.parse::<CountryCode>().unwrap())))
                .prop_map(|(filter, list)| Caveat::Country { filter, list }),
            (arb_filter(), non_empty(proptest::sample::select(GeoRegion::ALL.to_vec())))
                .prop_map(|(filter, list)| Caveat::Region { filter, list }),
            non_empty(arb_consumer()).prop_map(|whitelist| Caveat::Consumer { whitelist }),
            non_empty(arb_service()).prop_map(|whitelist| Caveat::Service { whitelist }),
            proptest::sample::select(interfaces)
                .prop_map(|interface| Caveat::Interface { interface }),
            non_empty(arb_matchspec()).prop_map(|whitelist| Caveat::Api { whitelist }),
            Just(Caveat::DataReadonly),
            non_empty("(/[^/]{1,8}){1,4}".prop_map(|p| DataPath::new(p).unwrap()))
                .prop_map(|whitelist| Caveat::DataPath { whitelist }),
            non_empty("[0-9A-Fa-f]{1,64}".prop_map(|o| o.parse::<ObjectId>().unwrap()))
                .prop_map(|whitelist| Caveat::DataObjectId { whitelist }),
            Just(Caveat::AuthorizationNone),
        ]
    }

    proptest! {
        #[test]
        fn string_form_round_trips(caveat in arb_caveat()) {
            let text = caveat.to_string();
            let parsed = Caveat::parse(&text);
            prop_assert_eq!(parsed.as_ref(), Ok(&caveat), "{}", text);
            prop_assert_eq!(parsed.map(|c| c.to_string()), Ok(text));
        }

        #[test]
        fn json_form_round_trips(caveat in arb_caveat()) {
            let value = to_json(&caveat);
            let back = from_json(value.clone()).unwrap();
            prop_assert_eq!(&back, &caveat);
            prop_assert_eq!(value["type"].as_str(), Some(caveat.kind().name()));
            prop_assert_eq!(to_json(&back), value);
        }

        #[test]
        fn string_and_json_forms_agree(caveat in arb_caveat()) {
            let text = caveat.to_string();
            let via_json = from_json(to_json(&parse(&text))).unwrap();
            prop_assert_eq!(via_json.to_string(), text);
        }

        #[test]
        fn element_types_round_trip_on_their_own(
            mask in arb_ip_mask(),
            consumer in arb_consumer(),
            service in arb_service(),
            spec in arb_matchspec(),
        ) {
            prop_assert_eq!(mask.to_string().parse::<IpMask>().unwrap(), mask);
            prop_assert_eq!(consumer.to_string().parse::<Consumer>().unwrap(), consumer);
            prop_assert_eq!(service.to_string().parse::<Service>().unwrap(), service);
            prop_assert_eq!(spec.gri.to_string().parse::<GriPattern>().unwrap(), spec.gri.clone());
            prop_assert_eq!(spec.to_string().parse::<ApiMatchspec>().unwrap(), spec);
        }

        #[test]
        fn parse_never_panics_and_accepted_text_round_trips(text in "\\PC{0,40}") {
            if let Ok(caveat) = Caveat::parse(&text) {
                prop_assert_eq!(caveat.to_string(), text);
            }
        }

        #[test]
        fn near_miss_text_parses_or_round_trips(
            prefix in proptest::sample::select(vec![
                "time < ", "ip = ", "asn = ", "geo.country = ", "geo.region != ", "consumer = ",
                "service = ", "interface = ", "api = ", "data.path = ", "data.objectid = ",
            ]),
            rest in "[0-9a-zA-Z./:|*,=+-]{0,24}",
        ) {
            let text = format!("{prefix}{rest}");
            match Caveat::parse(&text) {
                Ok(caveat) => prop_assert_eq!(caveat.to_string(), text),
                Err(CaveatError::Unrecognized) => prop_assert!(false, "known prefix unrecognised"),
                Err(_) => {}
            }
        }

        #[test]
        fn utc_formatting_agrees_with_the_time_crate(seconds in 0u64..=253_402_300_799) {
            let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).unwrap()).unwrap();
            let expected = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute(), at.second()
            );
            prop_assert_eq!(UtcSeconds(seconds).to_string(), expected);
        }
    }

    #[test]
    fn utc_formatting_edges() {
        assert_eq!(UtcSeconds(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(UtcSeconds(1_496_140_144).to_string(), "2017-05-30T10:29:04Z");
        assert_eq!(UtcSeconds(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(UtcSeconds(253_402_300_799).to_string(), "9999-12-31T23:59:59Z");
        // Past what RFC 3339 can write: the seconds, no overflow.
        assert_eq!(UtcSeconds(253_402_300_800).to_string(), "Unix time 253402300800");
        assert_eq!(UtcSeconds(u64::MAX).to_string(), "Unix time 18446744073709551615");
    }

    // --- malformed, empty, unknown -----------------------------------------------------------

    #[test]
    fn unknown_strings_are_unrecognized() {
        for text in [
            "",
            "foo",
            "time<5",
            "time > 5",
            "ip=1.2.3.4",
            "IP = 1.2.3.4",
            "data.readonly ",
            " data.readonly",
            "authorization = None",
            "authorization = none ",
            "scope = identity_token",
            "audience = usr-x",
            "geo.country == DE",
            "geo.city = Krakow",
        ] {
            assert_eq!(Caveat::parse(text), Err(CaveatError::Unrecognized), "{text:?}");
        }
        let message = CaveatError::Unrecognized.to_string();
        assert!(message.contains("not a caveat Onezone recognises"), "{message}");
        assert!(message.contains("never satisfied"), "{message}");
    }

    #[test]
    fn empty_lists_are_refused_in_the_string_form() {
        for (text, kind) in [
            ("ip = ", CaveatKind::Ip),
            ("asn = ", CaveatKind::Asn),
            ("geo.country = ", CaveatKind::Country),
            ("geo.country != ", CaveatKind::Country),
            ("geo.region = ", CaveatKind::Region),
            ("geo.region != ", CaveatKind::Region),
            ("consumer = ", CaveatKind::Consumer),
            ("service = ", CaveatKind::Service),
            ("api = ", CaveatKind::Api),
            ("data.path = ", CaveatKind::DataPath),
            ("data.objectid = ", CaveatKind::DataObjectId),
        ] {
            assert_eq!(Caveat::parse(text), Err(CaveatError::EmptyList { kind }), "{text:?}");
        }
        assert_eq!(
            CaveatError::EmptyList { kind: CaveatKind::Ip }.to_string(),
            "the ip caveat has an empty list; at least one entry is required"
        );
    }

    #[test]
    fn empty_lists_are_refused_in_json() {
        for value in [
            json!({"type": "ip", "whitelist": []}),
            json!({"type": "asn", "whitelist": []}),
            json!({"type": "geo.country", "filter": "whitelist", "list": []}),
            json!({"type": "geo.region", "filter": "blacklist", "list": []}),
            json!({"type": "consumer", "whitelist": []}),
            json!({"type": "service", "whitelist": []}),
            json!({"type": "api", "whitelist": []}),
            json!({"type": "data.path", "whitelist": []}),
            json!({"type": "data.objectid", "whitelist": []}),
        ] {
            let err = from_json(value.clone()).unwrap_err();
            assert!(err.to_string().contains("empty"), "{value}: {err}");
        }
        assert!(NonEmpty::<u32>::new(vec![]).is_none());
        assert!(NonEmpty::<u32>::try_from(vec![]).is_err());
    }

    #[test]
    fn malformed_strings_name_the_problem() {
        use CaveatKind as K;
        // (text, kind, index of the bad entry (None: single value), bad text, words in message)
        let cases: &[(&str, CaveatKind, Option<usize>, &str, &str)] = &[
            ("time < ", K::Time, None, "", "the number is empty"),
            ("time < -5", K::Time, None, "-5", "not a decimal number"),
            ("time < +5", K::Time, None, "+5", "not a decimal number"),
            ("time < 0123", K::Time, None, "0123", "leading zero"),
            ("time < 18446744073709551616", K::Time, None, "18446744073709551616", "too large"),
            ("time < 12a", K::Time, None, "12a", "not a decimal number"),
            ("time <  5", K::Time, None, " 5", "not a decimal number"),
            ("ip = 10.0.0.0/33", K::Ip, Some(0), "10.0.0.0/33", "larger than 32"),
            ("ip = 1.2.3.4|::/129", K::Ip, Some(1), "::/129", "larger than 128"),
            ("ip = ::/1000", K::Ip, Some(0), "::/1000", "larger than 128"),
            ("ip = 10.0.0.0/08", K::Ip, Some(0), "10.0.0.0/08", "without leading zeros"),
            ("ip = 1.2.3.4/", K::Ip, Some(0), "1.2.3.4/", "prefix length"),
            ("ip = 1.2.3.4/8/8", K::Ip, Some(0), "1.2.3.4/8/8", "prefix length"),
            ("ip = 10.0.0.256", K::Ip, Some(0), "10.0.0.256", "not an IPv4 or IPv6 address"),
            ("ip = 010.0.0.1", K::Ip, Some(0), "010.0.0.1", "not an IPv4 or IPv6 address"),
            ("ip = 2001:DB8::/32", K::Ip, Some(0), "2001:DB8::/32", "canonical"),
            ("ip = 2001:db8:0:0:0:0:0:1", K::Ip, Some(0), "2001:db8:0:0:0:0:0:1", "canonical"),
            ("ip = 1.2.3.4|", K::Ip, Some(1), "", "the address is empty"),
            ("ip = /8", K::Ip, Some(0), "/8", "the address is empty"),
            ("asn = 4294967296", K::Asn, Some(0), "4294967296", "at most 4294967295"),
            ("asn = 12|-1", K::Asn, Some(1), "-1", "not a decimal number"),
            ("asn = 12||13", K::Asn, Some(1), "", "the number is empty"),
            ("geo.country = de", K::Country, Some(0), "de", "two upper-case letters"),
            ("geo.country != DE|DEU", K::Country, Some(1), "DEU", "two upper-case letters"),
            ("geo.region = Mars", K::Region, Some(0), "Mars", "not a region"),
            ("geo.region = Europe|eu", K::Region, Some(1), "eu", "not a region"),
            ("consumer = alice", K::Consumer, Some(0), "alice", "usr-<id>, grp-<id> or prv-<id>"),
            ("consumer = nobody", K::Consumer, Some(0), "nobody", "usr-<id>"),
            ("consumer = usr-", K::Consumer, Some(0), "usr-", "the id is empty"),
            ("consumer = usr-a b", K::Consumer, Some(0), "usr-a b", "ASCII letters, digits"),
            ("consumer = usr-a.b", K::Consumer, Some(0), "usr-a.b", "ASCII letters, digits"),
            ("service = ozx-onezone", K::Service, Some(0), "ozx-onezone", "ozw-<id>"),
            ("service = onezone", K::Service, Some(0), "onezone", "ozw-<id>"),
            ("service = opw-", K::Service, Some(0), "opw-", "the id is empty"),
            ("interface = rest|oneclient", K::Interface, None, "rest|oneclient", "exactly one"),
            ("interface = REST", K::Interface, None, "REST", "not an interface"),
            ("interface = ", K::Interface, None, "", "not an interface"),
            ("api = ozw/get", K::Api, Some(0), "ozw/get", "<service>/<operation>/<GRI pattern>"),
            ("api = ozw/read/user.*.*", K::Api, Some(0), "ozw/read/user.*.*", "the operation"),
            ("api = xyz/get/user.*.*", K::Api, Some(0), "xyz/get/user.*.*", "the service"),
            ("api = ozw/get/user.*", K::Api, Some(0), "ozw/get/user.*", "<type>.<id>.<aspect>"),
            ("api = ozw/get/user.*.*:secret", K::Api, Some(0), "ozw/get/user.*.*:secret", "scope"),
            ("api = ozw/get/user.*.*:*:*", K::Api, Some(0), "ozw/get/user.*.*:*:*", "scope"),
            ("api = ozw/get/us-er.*.*", K::Api, Some(0), "ozw/get/us-er.*.*", "GRI type"),
            ("api = ozw/get/user..*", K::Api, Some(0), "ozw/get/user..*", "GRI id"),
            ("api = ozw/get/user.*.a,b,c", K::Api, Some(0), "ozw/get/user.*.a,b,c", "aspect"),
            ("data.path = /space", K::DataPath, Some(0), "/space", "base64"),
            ("data.path = L2QxYjM4OGY3Yzc", K::DataPath, Some(0), "L2QxYjM4OGY3Yzc", "base64"),
            ("data.path = L2QxYjM4OGY3Yzd=", K::DataPath, Some(0), "L2QxYjM4OGY3Yzd=", "base64"),
            ("data.path = Lw==", K::DataPath, Some(0), "Lw==", "names no space"),
            ("data.path = L2EvYi8=", K::DataPath, Some(0), "L2EvYi8=", "ends with `/`"),
            ("data.path = YWJj", K::DataPath, Some(0), "YWJj", "does not start with `/`"),
            ("data.path = /w==", K::DataPath, Some(0), "/w==", "not UTF-8"),
            ("data.objectid = xyz", K::DataObjectId, Some(0), "xyz", "hexadecimal"),
            ("data.objectid = 12||34", K::DataObjectId, Some(1), "", "empty"),
        ];
        for (text, kind, index, bad, words) in cases {
            let err = Caveat::parse(text).unwrap_err();
            match (&err, index) {
                (CaveatError::InvalidEntry { kind: k, index: i, entry, .. }, Some(index)) => {
                    assert_eq!((k, i, entry.as_str()), (kind, index, *bad), "{text:?}");
                }
                (CaveatError::InvalidValue { kind: k, value, .. }, None) => {
                    assert_eq!((k, value.as_str()), (kind, *bad), "{text:?}");
                }
                _ => panic!("{text:?}: unexpected {err:?}"),
            }
            let message = err.to_string();
            assert!(message.contains(words), "{text:?}: {message}");
            assert!(message.contains(kind.name()), "{text:?}: {message}");
        }
    }

    #[test]
    fn error_messages_read_well() {
        assert_eq!(
            Caveat::parse("ip = 1.2.3.4|10.0.0.0/33").unwrap_err().to_string(),
            "entry 1 (`10.0.0.0/33`) of the ip caveat is invalid: the prefix length is larger \
             than 32 (the maximum for IPv4)"
        );
        assert_eq!(
            Caveat::parse("time < 01").unwrap_err().to_string(),
            "invalid value `01` in the time caveat: the number has a leading zero"
        );
        // Huge entries are cut short in messages.
        let long = format!("consumer = {}", "x".repeat(1000));
        let message = Caveat::parse(&long).unwrap_err().to_string();
        assert!(message.len() < 250 && message.contains('…'), "{message}");
    }

    #[test]
    fn malformed_json_is_refused() {
        for value in [
            json!({"type": "time"}),
            json!({"type": "time", "validUntil": -1}),
            json!({"type": "time", "validUntil": 1.5}),
            json!({"type": "time", "validUntil": "1496140144"}),
            json!({"type": "time", "validUntil": 1, "extra": 2}),
            json!({"type": "data.readonly", "extra": true}),
            json!({"type": "bogus"}),
            json!({"validUntil": 1}),
            json!({"type": "interface", "interface": "rest|graphsync"}),
            json!({"type": "ip", "whitelist": ["1.2.3.4/40"]}),
            json!({"type": "ip", "whitelist": "1.2.3.4"}),
            json!({"type": "asn", "whitelist": [4294967296u64]}),
            json!({"type": "geo.country", "filter": "greylist", "list": ["DE"]}),
            json!({"type": "geo.country", "list": ["DE"]}),
            json!({"type": "geo.region", "filter": "whitelist", "list": ["europe"]}),
            json!({"type": "consumer", "whitelist": ["usr-a|usr-b"]}),
            json!({"type": "service", "whitelist": ["ozw-"]}),
            json!({"type": "api", "whitelist": ["ozw/get/user"]}),
            json!({"type": "data.objectid", "whitelist": ["zz"]}),
            json!({"type": "authorization", "none": true}),
        ] {
            assert!(from_json(value.clone()).is_err(), "{value} was accepted");
        }
        let err = from_json(json!({"type": "ip", "whitelist": ["1.2.3.4/40"]})).unwrap_err();
        assert!(err.to_string().contains("larger than 32"), "{err}");
    }

    #[test]
    fn constructors_validate() {
        assert!(IpMask::new(v4(10, 0, 0, 0), 33).is_err());
        assert!(IpMask::new(v6("::"), 129).is_err());
        assert_eq!(IpMask::new(v6("::"), 128).unwrap().to_string(), "::/128");
        assert!(Consumer::new(ConsumerKind::User, "").is_err());
        assert!(Consumer::new(ConsumerKind::User, "a|b").is_err());
        assert_eq!(Consumer::any(ConsumerKind::Provider).to_string(), "prv-*");
        assert!(Service::new(ServiceKind::OpWorker, "a b").is_err());
        assert_eq!(Service::onezone_worker().to_string(), "ozw-onezone");
        assert!(GriPattern::new("user", "*", "*", Some("secret")).is_err());
        assert!(DataPath::new("relative").is_err());
        assert!(DataPath::new("/").is_err());
        assert!(DataPath::new("/space/").is_err());
        assert_eq!(DataPath::new("/s").unwrap().to_base64(), "L3M=");
        assert_eq!(DataPath::from_base64("L3M=").unwrap().as_str(), "/s");
    }

    #[test]
    fn expiry_from_time_crate_values() {
        let at = time::OffsetDateTime::from_unix_timestamp(1_496_140_144).unwrap();
        assert_eq!(Caveat::expires_at(at).unwrap(), parse("time < 1496140144"));
        let at_offset = at.to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(Caveat::expires_at(at_offset).unwrap(), parse("time < 1496140144"));
        let with_nanos = at + time::Duration::milliseconds(999);
        assert_eq!(Caveat::expires_at(with_nanos).unwrap(), parse("time < 1496140144"));
        let utc = time::UtcDateTime::from_unix_timestamp(1_496_140_144).unwrap();
        assert_eq!(Caveat::expires_at_utc(utc).unwrap(), parse("time < 1496140144"));
        assert_eq!(parse("time < 1496140144").expiry(), Some(at));
        assert_eq!(parse("data.readonly").expiry(), None);
        let before_epoch = time::OffsetDateTime::from_unix_timestamp(-1).unwrap();
        let err = Caveat::expires_at(before_epoch).unwrap_err();
        assert!(err.to_string().contains("before 1970"), "{err}");
        assert_eq!(CaveatContext::at_time(at).now, 1_496_140_144);
        assert_eq!(CaveatContext::at_time(before_epoch).now, 0);
    }

    #[test]
    fn kinds_and_invite_rules() {
        let allowed: Vec<&str> = EXAMPLES
            .iter()
            .map(|(text, _)| parse(text))
            .filter(Caveat::allowed_in_invite)
            .map(|c| c.kind().name())
            .collect();
        let mut allowed = allowed;
        allowed.dedup();
        assert_eq!(allowed, ["time", "ip", "asn", "geo.country", "geo.region", "consumer"]);
        assert!(parse("interface = oneclient").is_data_access());
        assert!(!parse("interface = rest").is_data_access());
        assert!(parse("data.readonly").is_data_access());
        assert!(!parse("api = all/all/*.*.*:*").is_data_access());
        assert_eq!(CaveatKind::AuthorizationNone.to_string(), "authorizationNone");
    }

    // --- checking ---------------------------------------------------------------------------

    fn holds(text: &str, ctx: &CaveatContext) -> bool {
        parse(text).check(ctx).is_ok()
    }

    fn failure(text: &str, ctx: &CaveatContext) -> CaveatFailure {
        parse(text).check(ctx).unwrap_err()
    }

    fn ip_ctx(ip: IpAddr) -> CaveatContext {
        CaveatContext { ip: Some(ip), ..CaveatContext::default() }
    }

    #[test]
    fn time_boundaries() {
        let caveat = "time < 1496140144";
        assert!(holds(caveat, &CaveatContext::at(1_496_140_143)));
        assert!(holds(caveat, &CaveatContext::at(1)));
        assert_eq!(
            failure(caveat, &CaveatContext::at(1_496_140_144)),
            CaveatFailure::Expired { valid_until: 1_496_140_144, now: 1_496_140_144 }
        );
        assert!(!holds(caveat, &CaveatContext::at(1_496_140_145)));
        assert!(!holds(caveat, &CaveatContext::at(u64::MAX)));
        assert!(!holds("time < 0", &CaveatContext::at(1)));
        assert!(holds("time < 18446744073709551615", &CaveatContext::at(u64::MAX - 1)));
        // Unknown time (0, the default) fails.
        assert_eq!(
            failure(caveat, &CaveatContext::default()),
            CaveatFailure::MissingContext { kind: CaveatKind::Time, needed: "current time" }
        );
    }

    #[test]
    fn ipv4_mask_edges() {
        let all = "ip = 0.0.0.0/0";
        assert!(holds(all, &ip_ctx(v4(0, 0, 0, 0))));
        assert!(holds(all, &ip_ctx(v4(255, 255, 255, 255))));
        assert!(!holds(all, &ip_ctx(v6("::1"))), "an IPv4 mask never matches IPv6");
        assert!(holds("ip = 203.0.113.77/0", &ip_ctx(v4(1, 2, 3, 4))), "host bits of /0 ignored");

        let host = "ip = 11.101.11.234/32";
        assert!(holds(host, &ip_ctx(v4(11, 101, 11, 234))));
        assert!(!holds(host, &ip_ctx(v4(11, 101, 11, 235))));
        assert!(!holds(host, &ip_ctx(v4(11, 101, 11, 233))));
        assert!(holds("ip = 11.101.11.234", &ip_ctx(v4(11, 101, 11, 234))));
        assert!(!holds("ip = 11.101.11.234", &ip_ctx(v4(11, 101, 11, 235))));

        let net = "ip = 10.1.2.0/24";
        assert!(holds(net, &ip_ctx(v4(10, 1, 2, 0))));
        assert!(holds(net, &ip_ctx(v4(10, 1, 2, 255))));
        assert!(!holds(net, &ip_ctx(v4(10, 1, 1, 255))));
        assert!(!holds(net, &ip_ctx(v4(10, 1, 3, 0))));
        // Host bits beyond the prefix are kept in the text and ignored when matching.
        assert!(holds("ip = 10.1.2.77/24", &ip_ctx(v4(10, 1, 2, 1))));
        assert_eq!(parse("ip = 10.1.2.77/24").to_string(), "ip = 10.1.2.77/24");

        let odd = "ip = 192.168.0.0/31";
        assert!(holds(odd, &ip_ctx(v4(192, 168, 0, 1))));
        assert!(!holds(odd, &ip_ctx(v4(192, 168, 0, 2))));
        assert!(holds("ip = 128.0.0.0/1", &ip_ctx(v4(255, 0, 0, 0))));
        assert!(!holds("ip = 128.0.0.0/1", &ip_ctx(v4(127, 255, 255, 255))));

        // An IPv4-mapped IPv6 client is matched as IPv4.
        assert!(holds(net, &ip_ctx(v6("::ffff:10.1.2.3"))));
        assert!(!holds(net, &ip_ctx(v6("::ffff:10.1.3.3"))));
    }

    #[test]
    fn ipv6_mask_edges() {
        let host = "ip = 2001:db8::1/128";
        assert!(holds(host, &ip_ctx(v6("2001:db8::1"))));
        assert!(!holds(host, &ip_ctx(v6("2001:db8::"))));
        assert!(!holds(host, &ip_ctx(v6("2001:db8::2"))));
        assert!(holds("ip = 2001:db8::1", &ip_ctx(v6("2001:db8::1"))));
        assert!(!holds("ip = 2001:db8::1", &ip_ctx(v6("2001:db8::3"))));

        let pair = "ip = 2001:db8::/127";
        assert!(holds(pair, &ip_ctx(v6("2001:db8::"))));
        assert!(holds(pair, &ip_ctx(v6("2001:db8::1"))));
        assert!(!holds(pair, &ip_ctx(v6("2001:db8::2"))));

        let net = "ip = 2001:db8:0:1::/64";
        assert!(holds(net, &ip_ctx(v6("2001:db8:0:1::"))));
        assert!(holds(net, &ip_ctx(v6("2001:db8:0:1:ffff:ffff:ffff:ffff"))));
        assert!(!holds(net, &ip_ctx(v6("2001:db8:0:2::"))));
        assert!(!holds(net, &ip_ctx(v6("2001:db8::ffff:ffff:ffff:ffff"))));

        let all = "ip = ::/0";
        assert!(holds(all, &ip_ctx(v6("::"))));
        assert!(holds(all, &ip_ctx(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))));
        assert!(!holds(all, &ip_ctx(v4(1, 2, 3, 4))), "an IPv6 mask never matches IPv4");
        assert!(!holds(all, &ip_ctx(v6("::ffff:1.2.3.4"))), "mapped addresses are IPv4");
    }

    #[test]
    fn missing_context_fails_every_caveat() {
        let ctx = CaveatContext::default();
        for (text, _) in EXAMPLES {
            let result = parse(text).check(&ctx);
            assert!(result.is_err(), "{text} held without context");
        }
        for (text, needed) in [
            ("ip = 0.0.0.0/0", "client IP address"),
            ("asn = 1", "client's AS number"),
            ("geo.country != DE", "client's country"),
            ("geo.region != EU", "client's region"),
            ("consumer = usr-*", "consumer"),
            ("service = ozw-*", "service"),
            ("interface = rest", "interface"),
            ("api = all/all/*.*.*:*", "API operation"),
            ("data.readonly", "kind of data access (read-only or not)"),
            ("data.path = L3M=", "data path"),
            ("data.objectid = 00", "object ID"),
        ] {
            let caveat = parse(text);
            assert_eq!(
                caveat.check(&ctx),
                Err(CaveatFailure::MissingContext { kind: caveat.kind(), needed }),
                "{text}"
            );
        }
        assert_eq!(
            failure("ip = 10.0.0.0/8", &ctx).to_string(),
            "unverified IP caveat: the client IP address is not known, so the caveat cannot hold"
        );
    }

    #[test]
    fn asn_and_geo() {
        let ctx = CaveatContext {
            asn: Some(322),
            country: Some("PT".into()),
            regions: vec![GeoRegion::Europe, GeoRegion::EuropeanUnion],
            ..CaveatContext::default()
        };
        assert!(holds("asn = 112|322", &ctx));
        assert!(!holds("asn = 112", &ctx));
        assert!(holds("geo.country = DE|PT", &ctx));
        assert!(!holds("geo.country != DE|PT", &ctx));
        assert!(holds("geo.country != DE", &ctx));
        assert!(!holds("geo.country = DE", &ctx));
        assert!(holds("geo.region = EU", &ctx));
        assert!(holds("geo.region = Asia|Europe", &ctx));
        assert!(!holds("geo.region != EU", &ctx));
        assert!(!holds("geo.region = Africa", &ctx));
        assert!(holds("geo.region != Africa|Asia", &ctx));
        let swiss = CaveatContext { regions: vec![GeoRegion::Europe], ..ctx.clone() };
        assert!(holds("geo.region != EU", &swiss));

        assert_eq!(
            failure("asn = 112", &ctx).to_string(),
            "unverified ASN caveat: the client's AS number 322 is not on the list 112"
        );
        assert_eq!(
            failure("geo.country = DE|FR", &ctx).to_string(),
            "unverified country caveat: the client's country PT is not on the list DE, FR"
        );
        assert_eq!(
            failure("geo.country != PT", &ctx).to_string(),
            "unverified country caveat: the client's country PT is on the forbidden list PT"
        );
        assert_eq!(
            failure("geo.region = Asia", &ctx).to_string(),
            "unverified region caveat: the client's region (Europe, EU) is not on the list Asia"
        );
        assert_eq!(
            failure("geo.region != EU", &ctx).to_string(),
            "unverified region caveat: the client's region (Europe, EU) is on the forbidden list EU"
        );
    }

    #[test]
    fn consumers() {
        let bob = Consumer::new(ConsumerKind::User, "bob").unwrap();
        let ctx = CaveatContext {
            consumer: Some(bob.clone()),
            consumer_groups: vec!["g1".into(), "g2".into()],
            ..CaveatContext::default()
        };
        assert!(holds("consumer = usr-bob", &ctx));
        assert!(holds("consumer = usr-*", &ctx));
        assert!(holds("consumer = usr-alice|grp-g2", &ctx));
        assert!(!holds("consumer = usr-alice", &ctx));
        assert!(!holds("consumer = prv-*", &ctx));
        assert!(!holds("consumer = prv-bob", &ctx));
        assert!(!holds("consumer = grp-g3", &ctx));
        assert!(!holds("consumer = grp-*", &ctx), "grp-* admits nobody, as in Onezone");
        let provider = CaveatContext {
            consumer: Some(Consumer::new(ConsumerKind::Provider, "p1").unwrap()),
            ..CaveatContext::default()
        };
        assert!(holds("consumer = prv-*", &provider));
        assert!(holds("consumer = prv-p1", &provider));
        assert!(!holds("consumer = usr-*|prv-p2", &provider));

        assert_eq!(
            failure("consumer = usr-alice", &ctx),
            CaveatFailure::ConsumerNotAllowed {
                consumer: bob,
                whitelist: vec!["usr-alice".parse().unwrap()],
            }
        );
        assert_eq!(
            failure("consumer = usr-alice", &ctx).to_string(),
            "unverified consumer caveat: the consumer usr-bob is not on the list usr-alice"
        );
    }

    #[test]
    fn services() {
        let ctx =
            CaveatContext { service: Some("opw-p1".parse().unwrap()), ..CaveatContext::default() };
        assert!(holds("service = opw-p1", &ctx));
        assert!(holds("service = ozw-onezone|opw-*", &ctx));
        assert!(!holds("service = opw-p2", &ctx));
        assert!(!holds("service = opp-*|opp-p1", &ctx));
        assert_eq!(
            failure("service = ozw-onezone|opw-p2", &ctx).to_string(),
            "unverified service caveat: the service opw-p1 is not on the list ozw-onezone, opw-p2"
        );
    }

    #[test]
    fn interfaces() {
        let ctx = CaveatContext { interface: Some(Interface::Rest), ..CaveatContext::default() };
        assert!(holds("interface = rest", &ctx));
        assert_eq!(
            failure("interface = oneclient", &ctx),
            CaveatFailure::InterfaceMismatch {
                required: Interface::Oneclient,
                actual: Interface::Rest
            }
        );
        assert_eq!(
            failure("interface = oneclient", &ctx).to_string(),
            "unverified interface caveat: this token can only be used on the 'oneclient' \
             interface, not on 'rest'"
        );
    }

    #[test]
    fn api_operations() {
        let call =
            |service, operation, t: &str, id: &str, aspect: &str, scope: &str| CaveatContext {
                api_call: Some(ApiCall {
                    service,
                    operation,
                    gri: Gri {
                        entity_type: t.into(),
                        entity_id: id.into(),
                        aspect: aspect.into(),
                        scope: scope.into(),
                    },
                }),
                ..CaveatContext::default()
            };
        let get_user =
            call(ServiceKind::OzWorker, CrudOperation::Get, "user", "u1", "instance", "protected");
        assert!(holds("api = ozw/get/user.*.*:*", &get_user));
        assert!(holds("api = all/all/*.*.*:*", &get_user));
        assert!(holds("api = ozw/all/user.u1.instance:protected", &get_user));
        assert!(!holds("api = opw/get/user.*.*:*", &get_user));
        assert!(!holds("api = ozw/update/user.*.*:*", &get_user));
        assert!(!holds("api = ozw/get/group.*.*:*", &get_user));
        assert!(!holds("api = ozw/get/user.u2.*:*", &get_user));
        assert!(!holds("api = ozw/get/user.*.instance:private", &get_user));
        assert!(!holds("api = ozw/get/user.*.instance", &get_user), "no scope means private");
        let private =
            call(ServiceKind::OzWorker, CrudOperation::Get, "user", "u1", "instance", "private");
        assert!(holds("api = ozw/get/user.*.instance", &private));

        let with_arg =
            call(ServiceKind::OzWorker, CrudOperation::Create, "group", "g", "user,u1", "private");
        assert!(holds("api = all/create/group.*.user,*:*", &with_arg));
        assert!(holds("api = all/create/group.*.*,u1:*", &with_arg));
        assert!(holds("api = all/create/group.*.*,*:*", &with_arg));
        assert!(holds("api = all/create/group.*.*:*", &with_arg));
        assert!(!holds("api = all/create/group.*.user,u2:*", &with_arg));
        assert!(!holds("api = all/create/group.*.user:*", &with_arg));
        assert!(!holds("api = all/create/group.*.*,*:*", &private), "`*,*` needs an argument");

        assert_eq!(
            failure("api = opw/get/user.*.*:*|ozw/update/user.*.*", &get_user).to_string(),
            "unverified API caveat: the operation ozw/get/user.u1.instance:protected matches none \
             of the allowed operations opw/get/user.*.*:*, ozw/update/user.*.*"
        );
    }

    #[test]
    fn data_access() {
        let read = CaveatContext {
            read_only: Some(true),
            data_path: Some("/space1/dir/file.txt".into()),
            object_id: Some("AB".into()),
            object_ancestor_ids: vec!["0A".into(), "0B".into()],
            ..CaveatContext::default()
        };
        let write = CaveatContext { read_only: Some(false), ..read.clone() };
        assert!(holds("data.readonly", &read));
        assert_eq!(failure("data.readonly", &write), CaveatFailure::WriteNotAllowed);
        assert_eq!(
            failure("data.readonly", &write).to_string(),
            "unverified data access caveat: this token allows only read-only data access"
        );

        let path = |p: &str| format!("data.path = {}", DataPath::new(p).unwrap().to_base64());
        assert!(holds(&path("/space1"), &read));
        assert!(holds(&path("/space1/dir"), &read));
        assert!(holds(&path("/space1/dir/file.txt"), &read));
        assert!(holds(&format!("{}|{}", path("/other"), &path("/space1/dir")[12..]), &read));
        assert!(!holds(&path("/space1/di"), &read));
        assert!(!holds(&path("/space1/dir/file.txt2"), &read));
        assert!(!holds(&path("/space1/dir/file.txt/x"), &read));
        assert!(!holds(&path("/space2"), &read));
        assert_eq!(
            failure(&path("/space2"), &read).to_string(),
            "unverified data path caveat: the path /space1/dir/file.txt is not within any of the \
             allowed paths /space2"
        );
        for bad in [
            "/space1/dir/../../space2",
            "/space1//dir",
            "/space1/dir/",
            "space1",
            "/",
            "/space1/./dir",
        ] {
            let ctx = CaveatContext { data_path: Some(bad.into()), ..read.clone() };
            assert!(
                matches!(failure(&path("/space1"), &ctx), CaveatFailure::InvalidContext { .. }),
                "{bad}"
            );
        }

        assert!(holds("data.objectid = AB", &read));
        assert!(holds("data.objectid = 0B", &read), "an ancestor directory is listed");
        assert!(!holds("data.objectid = 0C|ab", &read), "object ids compare exactly");
        assert_eq!(
            failure("data.objectid = 0C", &read).to_string(),
            "unverified data object ID caveat: the object AB is not within any of the allowed \
             objects 0C"
        );
    }

    #[test]
    fn authorization_none() {
        let caveat = parse("authorization = none");
        assert_eq!(caveat.check(&CaveatContext::default()), Err(CaveatFailure::NoAuthorization));
        assert_eq!(
            CaveatFailure::NoAuthorization.to_string(),
            "this token carries no authorization (can be used solely for identity verification)"
        );
        let identity = CaveatContext { identity_only: true, ..CaveatContext::default() };
        assert!(caveat.check(&identity).is_ok());
    }

    #[test]
    fn results_stay_small() {
        // clippy's `result_large_err` limit: callers return these in `Result`s.
        assert!(size_of::<CaveatFailure>() <= 128, "{}", size_of::<CaveatFailure>());
        assert!(size_of::<CaveatError>() <= 128, "{}", size_of::<CaveatError>());
    }

    #[test]
    fn failure_messages_for_ip_and_time() {
        assert_eq!(
            failure("time < 1496140144", &CaveatContext::at(1_600_000_000)).to_string(),
            "unverified time caveat: this token has expired at 2017-05-30T10:29:04Z"
        );
        assert_eq!(
            failure("ip = 10.0.0.0/8|2001:db8::/32", &ip_ctx(v4(11, 0, 0, 1))).to_string(),
            "unverified IP caveat: the client IP address 11.0.0.1 is in none of the allowed masks \
             10.0.0.0/8, 2001:db8::/32"
        );
        assert_eq!(failure("ip = 10.0.0.0/8", &ip_ctx(v4(11, 0, 0, 1))).kind(), CaveatKind::Ip);
    }
}
