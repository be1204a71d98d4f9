//! Onedata services (`ozw-`, `ozp-`, `opw-`, `opp-`), for `service` caveats and requests.

use super::*;

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

    pub(super) fn from_shortname(text: &str) -> Option<Self> {
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
    pub(super) fn admits(&self, service: &Service) -> bool {
        self.kind == service.kind && (self.is_wildcard() || self.id == service.id)
    }

    pub(super) fn parse_entry(text: &str) -> Result<Self, &'static str> {
        const SHAPE: &str = "a service is ozw-<id>, ozp-<id>, opw-<id> or opp-<id>";
        // A short name is three ASCII letters, so the text before the first `-` is one exactly
        // when the first four bytes are it and `-`; the id starts on a character boundary.
        let (prefix, id) = text.split_at_checked(4).ok_or(SHAPE)?;
        let kind = prefix.strip_suffix('-').and_then(ServiceKind::from_shortname).ok_or(SHAPE)?;
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

// Interface
