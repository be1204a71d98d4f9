//! API operations and their patterns, for `api` caveats.

use super::*;

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

impl FromStr for CrudOperation {
    type Err = CaveatError;

    /// `create`, `get`, `update` or `delete`.
    fn from_str(text: &str) -> Result<Self, CaveatError> {
        CrudOperation::from_name(text).ok_or_else(|| {
            CaveatError::invalid(
                CaveatKind::Api,
                text,
                "the operation is not create, get, update or delete",
            )
        })
    }
}

/// The scopes of a GRI, and `*` in patterns.
pub(super) const GRI_SCOPES: [&str; 6] = ["private", "protected", "shared", "public", "auto", "*"];

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
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GriPattern {
    /// The pattern as written, `<type>.<id>.<aspect>[:<scope>]` (one allocation, and a small
    /// `Caveat`: four strings made every caveat 104 bytes).
    text: Box<str>,
    /// Where the type, the id and the aspect end; the scope, if any, follows the aspect after
    /// a `:`. A valid pattern has no other `.` or `:`, so they follow from the text.
    ends: [usize; 3],
}

impl fmt::Debug for GriPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GriPattern")
            .field("entity_type", &self.entity_type())
            .field("entity_id", &self.entity_id())
            .field("aspect", &self.aspect())
            .field("scope", &self.scope())
            .finish()
    }
}

pub(super) fn is_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

pub(super) fn is_gri_text(text: &str) -> bool {
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
        let mut text = alloc::format!("{entity_type}.{entity_id}.{aspect}");
        if let Some(scope) = scope {
            text.push(':');
            text.push_str(scope);
        }
        let type_end = entity_type.len();
        let id_end = type_end + 1 + entity_id.len();
        let pattern =
            GriPattern { ends: [type_end, id_end, id_end + 1 + aspect.len()], text: text.into() };
        // The parts as given: a part holding a `.` or `:` is refused here (it would read back
        // otherwise).
        match pattern.validate() {
            Ok(()) => Ok(pattern),
            Err(problem) => Err(CaveatError::invalid(CaveatKind::Api, &pattern.text, problem)),
        }
    }

    /// The text between two offsets (a part: they lie on its ASCII separators).
    fn part(&self, start: usize, end: usize) -> &str {
        self.text.get(start..end).unwrap_or_default()
    }

    /// The entity type (`*` for any).
    pub fn entity_type(&self) -> &str {
        self.part(0, self.ends[0])
    }

    /// The entity id (`*` for any).
    pub fn entity_id(&self) -> &str {
        self.part(self.ends[0] + 1, self.ends[1])
    }

    /// The aspect (`*` for any; `<name>,<argument>` with either side possibly `*`).
    pub fn aspect(&self) -> &str {
        self.part(self.ends[1] + 1, self.ends[2])
    }

    /// The scope as written, `None` when absent (meaning `private`).
    pub fn scope(&self) -> Option<&str> {
        self.text.get(self.ends[2]..)?.strip_prefix(':')
    }

    /// Whether `gri` matches the pattern.
    pub fn matches(&self, gri: &Gri) -> bool {
        let part = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        let own_aspect = self.aspect();
        let aspect = match (own_aspect.split_once(','), gri.aspect.split_once(',')) {
            _ if own_aspect == "*" => true,
            (Some((name, arg)), Some((gri_name, gri_arg))) => {
                part(name, gri_name) && part(arg, gri_arg)
            }
            (None, None) => own_aspect == gri.aspect,
            _ => false,
        };
        part(self.entity_type(), &gri.entity_type)
            && part(self.entity_id(), &gri.entity_id)
            && aspect
            && part(self.scope().unwrap_or("private"), &gri.scope)
    }

    fn validate(&self) -> Result<(), &'static str> {
        let (entity_type, entity_id, aspect) =
            (self.entity_type(), self.entity_id(), self.aspect());
        if entity_type != "*" && !is_name(entity_type) {
            return Err("the GRI type is not `*` or a name of letters, digits and `_`");
        }
        if !is_gri_text(entity_id) && entity_id != "*" {
            return Err("the GRI id is empty or contains `.`, `/`, `|`, `:`, `,` or white space");
        }
        let aspect_ok = match aspect.split_once(',') {
            None => aspect == "*" || is_name(aspect),
            Some((name, arg)) => (name == "*" || is_name(name)) && (arg == "*" || is_gri_text(arg)),
        };
        if !aspect_ok {
            return Err("the GRI aspect is not `*`, a name, or `<name>,<argument>`");
        }
        if let Some(scope) = self.scope()
            && !GRI_SCOPES.contains(&scope)
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
        let aspect = aspect_scope.split_once(':').map_or(aspect_scope, |(aspect, _)| aspect);
        let type_end = entity_type.len();
        let id_end = type_end + 1 + entity_id.len();
        let ends = [type_end, id_end, id_end + 1 + aspect.len()];
        let pattern = GriPattern { text: text.into(), ends };
        pattern.validate()?;
        Ok(pattern)
    }
}

impl fmt::Display for GriPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
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

    pub(super) fn parse_entry(text: &str) -> Result<Self, &'static str> {
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

impl Gri {
    fn parse_part(text: &str) -> Result<Self, &'static str> {
        let pattern = GriPattern::parse_part(text)?;
        let Some(scope) = pattern.scope() else {
            return Err("a GRI is <type>.<id>.<aspect>:<scope>, with its scope");
        };
        let wildcard = |part: &str| part == "*" || part.split(',').any(|side| side == "*");
        if [pattern.entity_type(), pattern.entity_id(), pattern.aspect(), scope]
            .into_iter()
            .any(wildcard)
        {
            return Err("a GRI names one resource: no part is the wildcard `*`");
        }
        Ok(Gri {
            entity_type: pattern.entity_type().into(),
            entity_id: pattern.entity_id().into(),
            aspect: pattern.aspect().into(),
            scope: scope.into(),
        })
    }
}

impl FromStr for Gri {
    type Err = CaveatError;

    /// `<type>.<id>.<aspect>:<scope>`, e.g. `group.g1.users:private`, with the parts
    /// [`GriPattern`] accepts and none of them `*`; the scope is required. Reads back what
    /// `Display` writes.
    fn from_str(text: &str) -> Result<Self, CaveatError> {
        Gri::parse_part(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Api, text, problem))
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

impl FromStr for ApiCall {
    type Err = CaveatError;

    /// `<service>/<operation>/<GRI>`, e.g. `ozw/create/group.g1.users:private`: a
    /// [`ServiceKind`] short name, a [`CrudOperation`] and a [`Gri`]. Reads back what
    /// `Display` writes.
    ///
    /// ```
    /// use onezone_tokens::token::{ApiCall, ApiMatchspec, CrudOperation};
    /// let call: ApiCall = "ozw/create/group.g1.users:private".parse()?;
    /// assert_eq!(call.operation, CrudOperation::Create);
    /// assert_eq!(call.to_string(), "ozw/create/group.g1.users:private");
    /// assert!("ozw/create/group.*.*:*".parse::<ApiMatchspec>()?.matches(&call));
    /// assert!("all/get/group.g1.users:private".parse::<ApiCall>().is_err());
    /// # Ok::<(), onezone_tokens::token::CaveatError>(())
    /// ```
    fn from_str(text: &str) -> Result<Self, CaveatError> {
        let invalid = |problem| CaveatError::invalid(CaveatKind::Api, text, problem);
        let mut parts = text.split('/');
        let (Some(service), Some(operation), Some(gri), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("an API call is <service>/<operation>/<GRI>"));
        };
        let service = ServiceKind::from_shortname(service)
            .ok_or_else(|| invalid("the service is not ozw, ozp, opw or opp"))?;
        let operation = CrudOperation::from_name(operation)
            .ok_or_else(|| invalid("the operation is not create, get, update or delete"))?;
        let gri = Gri::parse_part(gri).map_err(invalid)?;
        Ok(ApiCall { service, operation, gri })
    }
}

// Data access
