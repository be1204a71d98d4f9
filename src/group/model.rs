//! Identifiers and the group record.

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::text::Quoted;

/// The longest [`GroupId`] or [`UserId`], in bytes.
pub const MAX_ID_LEN: usize = 128;

/// Which kind of identifier an [`IdError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// A [`GroupId`].
    Group,
    /// A [`UserId`].
    User,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdKind::Group => "group id",
            IdKind::User => "user id",
        })
    }
}

/// Why a string is not a valid [`GroupId`] or [`UserId`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdError {
    /// The string is empty.
    Empty {
        /// The kind of identifier.
        kind: IdKind,
    },
    /// The string is longer than [`MAX_ID_LEN`] bytes.
    TooLong {
        /// The kind of identifier.
        kind: IdKind,
        /// Its length in bytes.
        len: usize,
    },
    /// The string holds a character other than an ASCII letter, digit, `-` or `_`.
    InvalidChar {
        /// The kind of identifier.
        kind: IdKind,
        /// The first offending character.
        ch: char,
        /// Its byte offset.
        offset: usize,
    },
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::Empty { kind } => write!(f, "{kind} is empty"),
            IdError::TooLong { kind, len } => {
                write!(f, "{kind} is {len} bytes long, more than the maximum of {MAX_ID_LEN}")
            }
            IdError::InvalidChar { kind, ch, offset } => write!(
                f,
                "{kind} has '{}' at byte {offset}; only ASCII letters, digits, '-' and '_' are \
                 allowed",
                Quoted::short(ch)
            ),
        }
    }
}

impl core::error::Error for IdError {}

fn validate(kind: IdKind, s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { kind, len: s.len() });
    }
    match crate::id::first_invalid(s) {
        Some((offset, ch)) => Err(IdError::InvalidChar { kind, ch, offset }),
        None => Ok(()),
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $expecting:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates `id`: 1 to [`MAX_ID_LEN`] bytes of ASCII letters, digits, `-` and `_`.
            pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
                let id = id.into();
                validate($kind, &id)?;
                Ok($name(id))
            }

            /// The identifier.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The identifier, as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, IdError> {
                $name::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct IdVisitor;
                impl Visitor<'_> for IdVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        // Validate before copying: a long string is refused without allocating.
                        validate($kind, v).map_err(E::custom)?;
                        Ok($name(String::from(v)))
                    }
                    fn visit_string<E: de::Error>(self, v: String) -> Result<$name, E> {
                        $name::new(v).map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(IdVisitor)
            }
        }
    };
}

id_type!(
    /// The identifier of a group (`groupId` in Onezone): 1 to [`MAX_ID_LEN`] bytes of ASCII
    /// letters, digits, `-` and `_`.
    ///
    /// ```
    /// use onezone_tokens::group::GroupId;
    /// let id = GroupId::new("a1b2-c3_d4")?;
    /// assert_eq!(id.as_str(), "a1b2-c3_d4");
    /// assert_eq!(
    ///     GroupId::new("a b").unwrap_err().to_string(),
    ///     "group id has ' ' at byte 1; only ASCII letters, digits, '-' and '_' are allowed"
    /// );
    /// # Ok::<(), onezone_tokens::group::IdError>(())
    /// ```
    GroupId,
    IdKind::Group,
    "a group id"
);

id_type!(
    /// The identifier of a user (`userId` in Onezone): 1 to [`MAX_ID_LEN`] bytes of ASCII
    /// letters, digits, `-` and `_`.
    ///
    /// ```
    /// use onezone_tokens::group::UserId;
    /// assert!(UserId::new("alice").is_ok());
    /// assert_eq!(UserId::new("").unwrap_err().to_string(), "user id is empty");
    /// ```
    UserId,
    IdKind::User,
    "a user id"
);

/// What a group stands for (`type` in Onezone). Serialized in lowercase; defaults to
/// [`GroupType::Role`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupType {
    /// `organization`.
    Organization,
    /// `unit`.
    Unit,
    /// `team`.
    Team,
    /// `role` (the default).
    #[default]
    Role,
}

impl GroupType {
    /// Every group type.
    pub const ALL: [GroupType; 4] =
        [GroupType::Organization, GroupType::Unit, GroupType::Team, GroupType::Role];

    /// The Onezone name, e.g. `"team"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupType::Organization => "organization",
            GroupType::Unit => "unit",
            GroupType::Team => "team",
            GroupType::Role => "role",
        }
    }
}

impl fmt::Display for GroupType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`GroupType`] (the error of its `FromStr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownGroupType {
    name: String,
}

impl UnknownGroupType {
    /// The unknown name (cut to its first 64 characters).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for UnknownGroupType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown group type \"{}\" (expected organization, unit, team or role)",
            Quoted::short(&self.name)
        )
    }
}

impl core::error::Error for UnknownGroupType {}

impl FromStr for GroupType {
    type Err = UnknownGroupType;
    fn from_str(s: &str) -> Result<Self, UnknownGroupType> {
        GroupType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownGroupType { name: s.chars().take(64).collect() })
    }
}

/// The longest group name, in bytes.
pub const MAX_NAME_LEN: usize = 1024;

/// Why a group name is refused, if it is.
pub(crate) fn name_problem(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("the name is empty or blank")
    } else if name.len() > MAX_NAME_LEN {
        Some("the name is longer than 1024 bytes")
    } else if name.chars().any(char::is_control) {
        Some("the name contains a control character")
    } else {
        None
    }
}

/// A group: its id, name and type, serialized with Onezone's field names
/// (`{"groupId": ..., "name": ..., "type": ...}`; `type` may be left out and defaults to `role`).
///
/// A [`Directory`](super::Directory) only holds groups whose name is not blank, at most
/// [`MAX_NAME_LEN`] bytes long and free of control characters.
///
/// ```
/// use onezone_tokens::group::{Group, GroupType};
/// let g: Group = serde_json::from_str(r#"{"groupId": "g1", "name": "Lab"}"#)?;
/// assert_eq!(g.group_type, GroupType::Role);
/// assert_eq!(
///     serde_json::to_string(&g)?,
///     r#"{"groupId":"g1","name":"Lab","type":"role"}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The group's id (`groupId`).
    #[serde(rename = "groupId")]
    pub id: GroupId,
    /// The group's display name (`name`).
    pub name: String,
    /// The group's type (`type`).
    #[serde(rename = "type", default)]
    pub group_type: GroupType,
}

impl Group {
    /// A group whose name a [`Directory`](super::Directory) would accept: not blank, at most
    /// [`MAX_NAME_LEN`] bytes, no control character. For servers that keep groups in their own
    /// storage and create them by the same rule.
    ///
    /// ```
    /// use onezone_tokens::group::{Group, GroupId, GroupType};
    /// let lab = Group::new(GroupId::new("g1")?, "Lab", GroupType::Team)?;
    /// assert_eq!(lab.name, "Lab");
    /// let err = Group::new(GroupId::new("g2")?, "  ", GroupType::Team).unwrap_err();
    /// assert_eq!(err.to_string(), "cannot name group g2: the name is empty or blank");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`DirectoryError::InvalidName`](super::DirectoryError::InvalidName).
    pub fn new(
        id: GroupId,
        name: impl Into<String>,
        group_type: GroupType,
    ) -> Result<Group, super::DirectoryError> {
        let name = name.into();
        match name_problem(&name) {
            Some(problem) => Err(super::DirectoryError::InvalidName { group: id, problem }),
            None => Ok(Group { id, name, group_type }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn ids_are_validated() {
        assert!(GroupId::new("abc-DEF_123").is_ok());
        assert_eq!(GroupId::new(""), Err(IdError::Empty { kind: IdKind::Group }));
        assert_eq!(
            UserId::new("x".repeat(MAX_ID_LEN + 1)),
            Err(IdError::TooLong { kind: IdKind::User, len: MAX_ID_LEN + 1 })
        );
        assert!(UserId::new("x".repeat(MAX_ID_LEN)).is_ok());
        assert_eq!(
            UserId::new("abé"),
            Err(IdError::InvalidChar { kind: IdKind::User, ch: 'é', offset: 2 })
        );
        assert_eq!(
            UserId::new("a/b").unwrap_err().to_string(),
            "user id has '/' at byte 1; only ASCII letters, digits, '-' and '_' are allowed"
        );
        assert_eq!(
            GroupId::new("x".repeat(200)).unwrap_err().to_string(),
            "group id is 200 bytes long, more than the maximum of 128"
        );
        let id: GroupId = "g1".parse().unwrap();
        assert_eq!(id.to_string(), "g1");
        assert_eq!(alloc::format!("{id:?}"), "GroupId(\"g1\")");
        assert_eq!(String::from(id.clone()), "g1");
        assert_eq!(GroupId::try_from("g1"), Ok(id));
    }

    #[test]
    fn ids_serde() {
        let id: UserId = serde_json::from_str("\"bob\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"bob\"");
        let err = serde_json::from_str::<UserId>("\"b b\"").unwrap_err().to_string();
        assert!(err.contains("user id has ' '"), "{err}");
        // An escaped string goes through the owned path.
        let err = serde_json::from_str::<GroupId>(r#""a\nb""#).unwrap_err().to_string();
        assert!(err.contains("group id has '\\u{a}'"), "{err}");
        assert!(serde_json::from_str::<GroupId>("\"\"").is_err());
        assert!(serde_json::from_str::<GroupId>("1").is_err());
    }

    #[test]
    fn group_types() {
        for t in GroupType::ALL {
            assert_eq!(t.as_str().parse::<GroupType>(), Ok(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), alloc::format!("\"{t}\""));
        }
        assert_eq!(GroupType::default(), GroupType::Role);
        let err = "Team".parse::<GroupType>().unwrap_err();
        assert_eq!(err.name(), "Team");
        assert!(err.to_string().contains("\"Team\""));
        assert!(
            serde_json::from_str::<GroupType>("\"club\"").unwrap_err().to_string().contains("club")
        );
    }

    #[test]
    fn group_serde() {
        let g =
            Group { id: GroupId::new("g").unwrap(), name: "N".into(), group_type: GroupType::Team };
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(json, r#"{"groupId":"g","name":"N","type":"team"}"#);
        assert_eq!(serde_json::from_str::<Group>(&json).unwrap(), g);
        assert!(
            serde_json::from_str::<Group>(r#"{"groupId":"g","name":"N","kind":"team"}"#).is_err()
        );
        assert!(serde_json::from_str::<Group>(r#"{"groupId":"g!","name":"N"}"#).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(name_problem("Lab"), None);
        assert!(name_problem("").is_some());
        assert!(name_problem("  ").is_some());
        assert!(name_problem("a\u{0}b").is_some());
        assert!(name_problem(&"n".repeat(MAX_NAME_LEN + 1)).is_some());
        assert_eq!(name_problem(&"n".repeat(MAX_NAME_LEN)), None);
    }
}
