//! Onezone 20.02's group types and the body of `POST /user/groups` as 20.02 reads it.

use alloc::format;
use alloc::string::String;
use core::fmt;

use serde_json::{Map, Value, json};

use super::model::GroupType;
use crate::onezone_error::{OnezoneError, Refusal};

/// 20.02's type names, in the order oz-worker lists them (release/20.02.20
/// `group_logic_plugin.erl` `validate`: `{atom, [organization, unit, team, role_holders]}`).
const TYPES_2002: [GroupType; 4] =
    [GroupType::Organization, GroupType::Unit, GroupType::Team, GroupType::Role];

impl GroupType {
    /// The type a group gets in Onezone 20.02 when its creator names none: `team` (oz-worker
    /// release/20.02.20 `include/datastore/oz_datastore_models.hrl` `DEFAULT_GROUP_TYPE`;
    /// 17.06's default is [`GroupType::Role`]).
    pub const DEFAULT_2002: GroupType = GroupType::Team;

    /// The type's name in Onezone 20.02: 17.06's `role` became `role_holders` (oz-worker
    /// release/20.02.20 `od_group.erl` `upgrade_record`), the others kept theirs.
    ///
    /// ```
    /// use onezone_tokens::group::GroupType;
    /// assert_eq!(GroupType::Role.name_2002(), "role_holders");
    /// assert_eq!(GroupType::parse_2002("role_holders"), Some(GroupType::Role));
    /// assert_eq!(GroupType::parse_2002("role"), None);
    /// ```
    pub const fn name_2002(self) -> &'static str {
        match self {
            GroupType::Role => "role_holders",
            other => other.as_str(),
        }
    }

    /// Reads a type named as Onezone 20.02 names it ([`GroupType::name_2002`]).
    pub fn parse_2002(name: &str) -> Option<GroupType> {
        TYPES_2002.into_iter().find(|t| t.name_2002() == name)
    }
}

/// The body of `POST /user/groups` as Onezone 20.02 reads it: `name` required, `type`
/// optional (20.02's names, [`GroupType::DEFAULT_2002`] when left out), other keys ignored
/// (oz-worker release/20.02.20 `group_logic_plugin.erl` `validate` and `create` of
/// `instance`; `entity_logic.erl` `ensure_valid` checks the required keys, then the optional
/// ones). Whether the name is one a group may have is the [`Group`](super::Group)'s to say.
///
/// ```
/// use onezone_tokens::group::{GroupCreation, GroupType};
/// let request = GroupCreation::parse_2002(Some(br#"{"name": "Lab", "type": "role_holders"}"#))?;
/// assert_eq!((request.name.as_str(), request.group_type), ("Lab", GroupType::Role));
/// let request = GroupCreation::parse_2002(Some(br#"{"name": "Lab"}"#))?;
/// assert_eq!(request.group_type, GroupType::Team);
/// let refused = GroupCreation::parse_2002(Some(br#"{"name": "Lab", "type": "role"}"#)).unwrap_err();
/// assert_eq!(refused.onezone_error().id(), "badValueNotAllowed");
/// # Ok::<(), onezone_tokens::group::GroupCreationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCreation {
    /// The new group's name.
    pub name: String,
    /// The new group's type.
    pub group_type: GroupType,
}

impl GroupCreation {
    /// Reads the body (`None`: no body).
    ///
    /// # Errors
    /// [`GroupCreationError`], in Onezone's order: no JSON object, no `name`, a `name` that is
    /// no string, a `type` that is no string or not one of 20.02's.
    pub fn parse_2002(body: Option<&[u8]>) -> Result<GroupCreation, GroupCreationError> {
        let object = match body {
            None => Map::new(),
            Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(object)) => object,
                _ => return Err(GroupCreationError::Malformed),
            },
        };
        let name = match object.get("name") {
            None => return Err(GroupCreationError::MissingName),
            Some(Value::String(name)) => name.clone(),
            Some(_) => return Err(GroupCreationError::NotAString { key: "name" }),
        };
        let group_type = match object.get("type") {
            None => GroupType::DEFAULT_2002,
            // JSON's `true`, `false` and `null` are atoms to Onezone, and no type.
            Some(Value::String(text)) => {
                GroupType::parse_2002(text).ok_or(GroupCreationError::TypeNotAllowed)?
            }
            Some(Value::Bool(_) | Value::Null) => return Err(GroupCreationError::TypeNotAllowed),
            Some(_) => return Err(GroupCreationError::NotAString { key: "type" }),
        };
        Ok(GroupCreation { name, group_type })
    }
}

/// Why a 20.02 `POST /user/groups` body was refused, each a 400 of Onezone 20.02 (ctool
/// release/20.02.20 `src/errors.erl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupCreationError {
    /// The body is no JSON object (`malformedData`).
    Malformed,
    /// No `name` (`missingRequiredValue`, key `name`).
    MissingName,
    /// `key`'s value is not a string (`badValueString`).
    NotAString {
        /// `name` or `type`.
        key: &'static str,
    },
    /// `type` is not one of 20.02's four (`badValueNotAllowed`, key `type`, with the allowed
    /// names).
    TypeNotAllowed,
}

impl GroupCreationError {
    /// The refusal in Onezone 20.02's error model.
    pub fn onezone_error(&self) -> OnezoneError {
        match self {
            GroupCreationError::Malformed => OnezoneError::new(
                "malformedData",
                400,
                "Provided data could not be understood by the server.",
            ),
            GroupCreationError::MissingName => {
                OnezoneError::new("missingRequiredValue", 400, "Missing required value: name.")
                    .with_details(json!({ "key": "name" }))
            }
            GroupCreationError::NotAString { key } => OnezoneError::new(
                "badValueString",
                400,
                format!("Bad value: provided \"{key}\" must be a string."),
            )
            .with_details(json!({ "key": key })),
            GroupCreationError::TypeNotAllowed => {
                let allowed = TYPES_2002.map(GroupType::name_2002);
                OnezoneError::new(
                    "badValueNotAllowed",
                    400,
                    format!("Bad value: provided \"type\" must be one of: {}.", allowed.join(", ")),
                )
                .with_details(json!({ "key": "type", "allowed": allowed }))
            }
        }
    }
}

impl fmt::Display for GroupCreationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupCreationError::Malformed => f.write_str("the body is not a JSON object"),
            GroupCreationError::MissingName => f.write_str("\"name\" is missing"),
            GroupCreationError::NotAString { key } => write!(f, "\"{key}\" must be a string"),
            GroupCreationError::TypeNotAllowed => {
                f.write_str("\"type\" must be one of organization, unit, team, role_holders")
            }
        }
    }
}

impl core::error::Error for GroupCreationError {}

impl Refusal for GroupCreationError {
    /// 400, `Invalid request: ..`.
    fn onezone_1706(&self) -> (u16, String) {
        (400, format!("Invalid request: {self}"))
    }

    /// [`GroupCreationError::onezone_error`].
    fn onezone_2002(&self) -> OnezoneError {
        self.onezone_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<GroupCreation, GroupCreationError> {
        GroupCreation::parse_2002(Some(body.as_bytes()))
    }

    #[test]
    fn types_of_2002() {
        for t in GroupType::ALL {
            assert_eq!(GroupType::parse_2002(t.name_2002()), Some(t));
        }
        assert_eq!(
            TYPES_2002.map(GroupType::name_2002),
            ["organization", "unit", "team", "role_holders"]
        );
        assert_eq!(GroupType::parse_2002("role"), None);
        assert_eq!(GroupType::parse_2002("Team"), None);
    }

    /// oz-worker release/20.02.20 `entity_logic.erl`: required keys first (`missingRequiredValue`,
    /// `check_type(binary, ..)`: `badValueString`), then optional ones (`check_type(atom, ..)`:
    /// `badValueString`; a string that is no allowed atom: `badValueNotAllowed`).
    #[test]
    fn bodies_are_read_in_onezones_order() {
        let read = parse(r#"{"name": "Lab", "type": "unit", "extra": [1]}"#).unwrap();
        assert_eq!(read, GroupCreation { name: "Lab".into(), group_type: GroupType::Unit });
        let id = |body: &str| parse(body).unwrap_err().onezone_error().id();
        assert_eq!(id("[]"), "malformedData");
        assert_eq!(id("{"), "malformedData");
        assert_eq!(GroupCreation::parse_2002(None), Err(GroupCreationError::MissingName));
        assert_eq!(id(r#"{"type": 5}"#), "missingRequiredValue");
        assert_eq!(id(r#"{"name": 5, "type": "bogus"}"#), "badValueString");
        assert_eq!(id(r#"{"name": "Lab", "type": 5}"#), "badValueString");
        assert_eq!(id(r#"{"name": "Lab", "type": null}"#), "badValueNotAllowed");
        let e = parse(r#"{"name": "Lab", "type": "role"}"#).unwrap_err().onezone_error();
        assert_eq!(
            e.to_json(),
            json!({
                "id": "badValueNotAllowed",
                "description": "Bad value: provided \"type\" must be one of: organization, unit, team, role_holders.",
                "details": {"key": "type", "allowed": ["organization", "unit", "team", "role_holders"]},
            })
        );
        let e = GroupCreationError::MissingName;
        assert_eq!(e.onezone_error().details(), Some(&json!({"key": "name"})));
        assert_eq!(e.onezone_1706(), (400, "Invalid request: \"name\" is missing".into()));
    }
}
