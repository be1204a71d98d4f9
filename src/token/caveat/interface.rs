//! The interface a request came on, for `interface` caveats.

use super::*;

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

    pub(super) fn parse_value(text: &str) -> Result<Self, &'static str> {
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

// API
