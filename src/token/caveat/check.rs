//! Checking a caveat against what is known of a request.

use super::*;

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
    /// `data.readonly`, `data.path` or `data.objectid` on an interface that takes no data
    /// access caveats: Onezone's REST interface (its `auth_ctx` keeps
    /// `data_access_caveats_policy = disallow_data_access_caveats`, ctool release/20.02.20
    /// `include/aai/aai.hrl`, and `caveats.erl` `verify/2` then fails every data caveat).
    DataAccessNotAllowed {
        /// The data caveat.
        kind: CaveatKind,
        /// The interface of the request.
        interface: Interface,
    },
}

impl CaveatFailure {
    /// The caveat that failed.
    pub fn kind(&self) -> CaveatKind {
        match self {
            CaveatFailure::MissingContext { kind, .. }
            | CaveatFailure::InvalidContext { kind, .. }
            | CaveatFailure::DataAccessNotAllowed { kind, .. } => *kind,
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
            CaveatFailure::DataAccessNotAllowed { interface, .. } => {
                write!(f, "data access caveats are not allowed on the '{interface}' interface")
            }
        }
    }
}

impl core::error::Error for CaveatFailure {}
