//! Countries and regions, for `geo.country` and `geo.region` caveats.

use super::*;

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
    pub(super) const fn passes(self, listed: bool) -> bool {
        match self {
            ListFilter::Whitelist => listed,
            ListFilter::Blacklist => !listed,
        }
    }
}

/// A country code in a `geo.country` caveat: two upper-case ASCII letters, as the geo database
/// reports them (ISO 3166-1 alpha-2, e.g. `DE`, `PT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode(pub(super) [u8; 2]);

impl CountryCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII upper-case letters (checked when built).
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    pub(super) fn parse_entry(text: &str) -> Result<Self, &'static str> {
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

    pub(super) fn parse_entry(text: &str) -> Result<Self, &'static str> {
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

// Consumers and services
