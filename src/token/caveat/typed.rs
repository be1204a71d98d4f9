//! The caveat: every kind, its string form and its JSON form.

use super::*;

/// One first-party caveat of an Onezone token.
///
/// Read with [`Caveat::parse`] (the string inside the macaroon) or serde (the JSON of Onezone's
/// REST API); write with `Display` / [`Caveat::to_caveat_string`] or serde. See the [module
/// documentation](crate::token#caveats) for both forms and the rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type")]
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
pub(super) enum CaveatJson {
    #[serde(rename = "time")]
    Time {
        #[serde(rename = "validUntil")]
        valid_until: Integer<u64>,
    },
    #[serde(rename = "ip")]
    Ip { whitelist: NonEmpty<IpMask> },
    #[serde(rename = "asn")]
    Asn { whitelist: NonEmpty<Integer<u32>> },
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

/// An integer of a caveat's JSON, refused in words for people: serde's own message would be
/// "expected u64", a Rust type.
pub(super) struct Integer<T>(T);

impl<'de, T: TryFrom<u64>> Deserialize<'de> for Integer<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(core::marker::PhantomData<T>);
        impl<T: TryFrom<u64>> serde::de::Visitor<'_> for V<T> {
            type Value = Integer<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Read as `u64` or `u32` only: whether `u64::MAX` fits says which.
                match T::try_from(u64::MAX) {
                    Ok(_) => f.write_str("an integer from 0 to 18446744073709551615"),
                    Err(_) => f.write_str("an integer from 0 to 4294967295"),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Integer<T>, E> {
                T::try_from(v)
                    .map(Integer)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Integer<T>, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
                }
            }
        }
        deserializer.deserialize_u64(V(core::marker::PhantomData))
    }
}

/// A caveat's JSON is an object: serde's internally tagged enum would also read an array by
/// position (`["time", 1496140144]`), and name `CaveatJson` in its messages.
impl<'de> Deserialize<'de> for Caveat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::json::object_only::<CaveatJson, D>(deserializer).map(Caveat::from)
    }
}

impl From<CaveatJson> for Caveat {
    fn from(json: CaveatJson) -> Caveat {
        match json {
            CaveatJson::Time { valid_until } => Caveat::Time { valid_until: valid_until.0 },
            CaveatJson::Ip { whitelist } => Caveat::Ip { whitelist },
            CaveatJson::Asn { whitelist } => Caveat::Asn { whitelist: whitelist.map(|n| n.0) },
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
        // The first byte says which prefixes can match (no caveat's prefix is another's, so the
        // order of the checks decides nothing): a caveat is compared with its own prefixes only.
        match text.as_bytes().first() {
            Some(b't') => {
                if let Some(value) = text.strip_prefix("time < ") {
                    let valid_until = parse_decimal(value, u64::MAX).map_err(|problem| {
                        CaveatError::invalid(CaveatKind::Time, value, problem)
                    })?;
                    return Ok(Caveat::Time { valid_until });
                }
            }
            Some(b'i') => {
                if let Some(list) = text.strip_prefix("ip = ") {
                    let whitelist = parse_list(CaveatKind::Ip, list, IpMask::parse_entry)?;
                    return Ok(Caveat::Ip { whitelist });
                }
                if let Some(value) = text.strip_prefix("interface = ") {
                    let interface = Interface::parse_value(value).map_err(|problem| {
                        CaveatError::invalid(CaveatKind::Interface, value, problem)
                    })?;
                    return Ok(Caveat::Interface { interface });
                }
            }
            Some(b'a') => {
                if let Some(list) = text.strip_prefix("asn = ") {
                    let whitelist = parse_list(CaveatKind::Asn, list, parse_asn)?;
                    return Ok(Caveat::Asn { whitelist });
                }
                if let Some(list) = text.strip_prefix("api = ") {
                    let whitelist = parse_list(CaveatKind::Api, list, ApiMatchspec::parse_entry)?;
                    return Ok(Caveat::Api { whitelist });
                }
                if text == "authorization = none" {
                    return Ok(Caveat::AuthorizationNone);
                }
            }
            Some(b'g') => {
                for (prefix, filter) in [
                    ("geo.country = ", ListFilter::Whitelist),
                    ("geo.country != ", ListFilter::Blacklist),
                ] {
                    if let Some(list) = text.strip_prefix(prefix) {
                        let list = parse_list(CaveatKind::Country, list, CountryCode::parse_entry)?;
                        return Ok(Caveat::Country { filter, list });
                    }
                }
                for (prefix, filter) in [
                    ("geo.region = ", ListFilter::Whitelist),
                    ("geo.region != ", ListFilter::Blacklist),
                ] {
                    if let Some(list) = text.strip_prefix(prefix) {
                        let list = parse_list(CaveatKind::Region, list, GeoRegion::parse_entry)?;
                        return Ok(Caveat::Region { filter, list });
                    }
                }
            }
            Some(b'c') => {
                if let Some(list) = text.strip_prefix("consumer = ") {
                    let whitelist = parse_list(CaveatKind::Consumer, list, Consumer::parse_entry)?;
                    return Ok(Caveat::Consumer { whitelist });
                }
            }
            Some(b's') => {
                if let Some(list) = text.strip_prefix("service = ") {
                    let whitelist = parse_list(CaveatKind::Service, list, Service::parse_entry)?;
                    return Ok(Caveat::Service { whitelist });
                }
            }
            Some(b'd') => {
                if text == "data.readonly" {
                    return Ok(Caveat::DataReadonly);
                }
                if let Some(list) = text.strip_prefix("data.path = ") {
                    let whitelist = parse_list(CaveatKind::DataPath, list, DataPath::parse_entry)?;
                    return Ok(Caveat::DataPath { whitelist });
                }
                if let Some(list) = text.strip_prefix("data.objectid = ") {
                    let whitelist =
                        parse_list(CaveatKind::DataObjectId, list, ObjectId::parse_entry)?;
                    return Ok(Caveat::DataObjectId { whitelist });
                }
            }
            _ => {}
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
    /// [`CaveatFailure::MissingContext`]. The data caveats (`data.readonly`, `data.path`,
    /// `data.objectid`) fail on the REST interface ([`CaveatFailure::DataAccessNotAllowed`]), as
    /// Onezone's REST API refuses them. Boundaries: a time caveat has expired when
    /// `now == valid_until`; IP masks compare exactly the first `prefix_len` bits.
    pub fn check(&self, ctx: &CaveatContext) -> Result<(), CaveatFailure> {
        let kind = self.kind();
        let missing = |needed: &'static str| CaveatFailure::MissingContext { kind, needed };
        let verdict = |ok: bool, failure: &dyn Fn() -> CaveatFailure| {
            if ok { Ok(()) } else { Err(failure()) }
        };
        if matches!(
            self,
            Caveat::DataReadonly | Caveat::DataPath { .. } | Caveat::DataObjectId { .. }
        ) && ctx.interface == Some(Interface::Rest)
        {
            return Err(CaveatFailure::DataAccessNotAllowed { kind, interface: Interface::Rest });
        }
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

/// An entry of an `asn` caveat: a decimal `u32`.
fn parse_asn(entry: &str) -> Result<u32, &'static str> {
    const TOO_LARGE_ASN: &str = "an AS number is at most 4294967295";
    let n = parse_decimal(entry, u64::from(u32::MAX))
        .map_err(|problem| if problem == TOO_LARGE { TOO_LARGE_ASN } else { problem })?;
    u32::try_from(n).map_err(|_| TOO_LARGE_ASN)
}

/// A request path is canonical: `/<space>[/<name>...]`, no empty, `.` or `..` part.
pub(super) fn is_canonical_request_path(path: &str) -> bool {
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

// Checking
