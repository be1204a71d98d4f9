//! Onezone 20.02's change of a member's (or a child group's) privileges: `PATCH
//! /groups/{id}/users/{uid}/privileges` and `.../children/{cid}/privileges` with
//! `{"grant": [..], "revoke": [..]}` (17.06's `{"operation", "privileges"}` is
//! [`PrivilegeChange`](super::PrivilegeChange)).

use alloc::format;
use alloc::string::String;
use core::fmt;

use serde_json::{Map, Value, json};

use super::privilege::{Privilege, PrivilegeSet, UnknownPrivilege};
use super::vocabulary::{Vocabulary, equivalents};
use crate::onezone_error::{OnezoneError, Refusal};

/// The keys of the body, in the order Onezone validates them (oz-worker release/20.02.20
/// `entity_logic.erl` `ensure_valid` folds over the sorted keys of `at_least_one`).
const KEYS: [&str; 2] = ["grant", "revoke"];

/// A 20.02 privilege update: the privileges to grant and those to revoke, each in one
/// [`Vocabulary`]'s names (oz-worker release/20.02.20 `group_logic_plugin.erl`: `validate`
/// takes `at_least_one` of `grant` and `revoke`, each a list of `privileges:group_privileges()`;
/// `update` hands both to `entity_graph:update_relation`).
///
/// ```
/// use onezone_tokens::group::{Privilege, PrivilegeSet, PrivilegeUpdate, Vocabulary};
///
/// let body = br#"{"grant": ["group_add_user"], "revoke": ["group_view_privileges"]}"#;
/// let update = PrivilegeUpdate::parse_in(Vocabulary::Onezone2002, Some(body))?;
/// let member = Vocabulary::Onezone2002.member() | Privilege::GroupViewPrivileges.into();
/// assert_eq!(update.apply(member), PrivilegeSet::from([Privilege::GroupAddUser, Privilege::GroupView]));
///
/// // 17.06's names are not 20.02's: Onezone answers `badValueListNotAllowed`.
/// let refused = PrivilegeUpdate::parse_in(Vocabulary::Onezone2002, Some(br#"{"revoke": ["group_invite_user"]}"#));
/// let error = refused.unwrap_err().onezone_error();
/// assert_eq!((error.id(), error.status()), ("badValueListNotAllowed", 400));
/// assert_eq!(error.details().unwrap()["key"], "revoke");
/// # Ok::<(), onezone_tokens::group::PrivilegeUpdateError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PrivilegeUpdate {
    /// The privileges to add.
    pub grant: PrivilegeSet,
    /// The privileges to take away.
    pub revoke: PrivilegeSet,
}

impl PrivilegeUpdate {
    /// Reads a request body (`None`: no body) as Onezone 20.02 validates it, in `vocabulary`'s
    /// names: a JSON object with at least one of `grant` and `revoke`, each a list of strings
    /// naming privileges of `vocabulary`; other keys are ignored. `grant` is checked before
    /// `revoke`, and a list's types before its names, as oz-worker does. The work is bounded by
    /// the body's length (`serde_json`'s nesting limit bounds its depth).
    ///
    /// # Errors
    /// [`PrivilegeUpdateError`]: a body that is no JSON object, neither key, a value that is
    /// not a list of strings, a name outside `vocabulary`.
    pub fn parse_in(
        vocabulary: Vocabulary,
        body: Option<&[u8]>,
    ) -> Result<PrivilegeUpdate, PrivilegeUpdateError> {
        let object = match body {
            None => Map::new(),
            Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(object)) => object,
                _ => return Err(PrivilegeUpdateError::Malformed),
            },
        };
        let mut update = PrivilegeUpdate::default();
        let mut any = false;
        for key in KEYS {
            let Some(value) = object.get(key) else { continue };
            any = true;
            let set = read_list(vocabulary, key, value)?;
            match key {
                "grant" => update.grant = set,
                _ => update.revoke = set,
            }
        }
        if !any {
            return Err(PrivilegeUpdateError::NothingToUpdate);
        }
        Ok(update)
    }

    /// The privileges after the update of `current`: `current` without the revoked ones, with
    /// the granted ones (a privilege in both lists is granted: oz-worker release/20.02.20
    /// `entity_graph.erl` `update_privileges` is `union(Grant, subtract(Old, Revoke))`).
    ///
    /// A stored set may hold another vocabulary's names (a membership made under 17.06):
    /// revoking a privilege also revokes the names that give the same power in the other
    /// vocabularies (revoking `group_add_user` takes `group_invite_user` away too, revoking
    /// `group_add_space` both `group_create_space` and `group_join_space`), so that what a
    /// client revokes no longer [`allows`](PrivilegeSet::allows) anything. Names not revoked
    /// stay as stored.
    #[must_use]
    pub fn apply(self, current: PrivilegeSet) -> PrivilegeSet {
        let mut revoked = self.revoke;
        for privilege in self.revoke {
            revoked |= equivalents(privilege);
        }
        current.difference(revoked).union(self.grant)
    }
}

/// One key's list: every element a string (Onezone's `list_of_atoms`; JSON's `true`, `false`
/// and `null` are atoms there too, named by no privilege), then every name one of
/// `vocabulary`'s.
fn read_list(
    vocabulary: Vocabulary,
    key: &'static str,
    value: &Value,
) -> Result<PrivilegeSet, PrivilegeUpdateError> {
    let Value::Array(items) = value else { return Err(PrivilegeUpdateError::NotAList { key }) };
    if !items.iter().all(|item| matches!(item, Value::String(_) | Value::Bool(_) | Value::Null)) {
        return Err(PrivilegeUpdateError::NotAList { key });
    }
    let mut set = PrivilegeSet::EMPTY;
    for item in items {
        let name = match item {
            Value::String(name) => name.as_str(),
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
            _ => "null",
        };
        let privilege = PrivilegeSet::parse_in(vocabulary, [name])
            .map_err(|name| PrivilegeUpdateError::NotAllowed { key, vocabulary, name })?;
        set |= privilege;
    }
    Ok(set)
}

/// Why a 20.02 privilege update was refused, each as Onezone 20.02 answers it (400, ctool
/// release/20.02.20 `src/errors.erl`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrivilegeUpdateError {
    /// The body is no JSON object (`malformedData`).
    Malformed,
    /// Neither `grant` nor `revoke` is given (`missingAtLeastOneValue`, keys `grant` and
    /// `revoke`).
    NothingToUpdate,
    /// `key`'s value is not a list of strings (`badValueListOfStrings`).
    NotAList {
        /// `grant` or `revoke`.
        key: &'static str,
    },
    /// `key`'s list names a privilege `vocabulary` does not have (`badValueListNotAllowed`,
    /// with `vocabulary`'s names as `allowed`).
    NotAllowed {
        /// `grant` or `revoke`.
        key: &'static str,
        /// The vocabulary the names must be of.
        vocabulary: Vocabulary,
        /// The first name refused.
        name: UnknownPrivilege,
    },
}

impl PrivilegeUpdateError {
    /// The refusal in Onezone 20.02's error model.
    pub fn onezone_error(&self) -> OnezoneError {
        match self {
            PrivilegeUpdateError::Malformed => OnezoneError::new(
                "malformedData",
                400,
                "Provided data could not be understood by the server.",
            ),
            PrivilegeUpdateError::NothingToUpdate => OnezoneError::new(
                "missingAtLeastOneValue",
                400,
                "Missing data, you must provide at least one of: [\"grant\",\"revoke\"].",
            )
            .with_details(json!({ "keys": KEYS })),
            PrivilegeUpdateError::NotAList { key } => OnezoneError::new(
                "badValueListOfStrings",
                400,
                format!("Bad value: provided \"{key}\" must be a list of strings."),
            )
            .with_details(json!({ "key": key })),
            PrivilegeUpdateError::NotAllowed { key, vocabulary, name } => {
                name.onezone_error(key, *vocabulary)
            }
        }
    }
}

impl fmt::Display for PrivilegeUpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivilegeUpdateError::Malformed => f.write_str("the body is not a JSON object"),
            PrivilegeUpdateError::NothingToUpdate => {
                f.write_str("give at least one of \"grant\" and \"revoke\"")
            }
            PrivilegeUpdateError::NotAList { key } => {
                write!(f, "\"{key}\" must be a list of strings")
            }
            PrivilegeUpdateError::NotAllowed { key, name, .. } => write!(f, "\"{key}\": {name}"),
        }
    }
}

impl core::error::Error for PrivilegeUpdateError {}

impl Refusal for PrivilegeUpdateError {
    /// 400, `Invalid request: ..`.
    fn onezone_1706(&self) -> (u16, String) {
        (400, format!("Invalid request: {self}"))
    }

    /// [`PrivilegeUpdateError::onezone_error`].
    fn onezone_2002(&self) -> OnezoneError {
        self.onezone_error()
    }
}

impl From<Privilege> for PrivilegeUpdate {
    /// Grants one privilege.
    fn from(privilege: Privilege) -> Self {
        PrivilegeUpdate { grant: PrivilegeSet::only(privilege), revoke: PrivilegeSet::EMPTY }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    use Privilege as P;
    use Vocabulary::{Onezone1706 as V1706, Onezone2002 as V2002};

    fn parse(body: &str) -> Result<PrivilegeUpdate, PrivilegeUpdateError> {
        PrivilegeUpdate::parse_in(V2002, Some(body.as_bytes()))
    }

    fn id(body: &str) -> &'static str {
        parse(body).unwrap_err().onezone_error().id()
    }

    /// oz-worker release/20.02.20 `group_logic_plugin.erl` `validate` (update, user_privileges)
    /// and `entity_logic.erl` `ensure_valid`, `check_type(list_of_atoms, ..)`, `check_value` of
    /// a list of allowed values; ids from ctool release/20.02.20 `src/errors.erl`.
    #[test]
    fn bodies_are_validated_as_onezone_validates_them() {
        assert_eq!(
            parse(r#"{"grant": ["group_add_user", "group_view"], "colour": 1}"#),
            Ok(PrivilegeUpdate {
                grant: PrivilegeSet::from([P::GroupAddUser, P::GroupView]),
                revoke: PrivilegeSet::EMPTY,
            })
        );
        assert_eq!(parse(r#"{"revoke": []}"#), Ok(PrivilegeUpdate::default()));
        assert_eq!(id("[]"), "malformedData");
        assert_eq!(id("{"), "malformedData");
        assert_eq!(id(r#""grant""#), "malformedData");
        assert_eq!(id("{}"), "missingAtLeastOneValue");
        assert_eq!(
            id(r#"{"privileges": ["group_view"], "operation": "set"}"#),
            "missingAtLeastOneValue"
        );
        let none = PrivilegeUpdate::parse_in(V2002, None).unwrap_err();
        assert_eq!(none, PrivilegeUpdateError::NothingToUpdate);
        assert_eq!(none.onezone_error().details(), Some(&json!({"keys": ["grant", "revoke"]})));
        for bad in [r#""group_view""#, "null", "1", r#"{"a": 1}"#, r#"["group_view", 1]"#, "[[]]"] {
            let body = format!(r#"{{"revoke": {bad}}}"#);
            let e = parse(&body).unwrap_err();
            assert_eq!(e, PrivilegeUpdateError::NotAList { key: "revoke" }, "{body}");
            assert_eq!(e.onezone_error().id(), "badValueListOfStrings");
            assert_eq!(e.onezone_error().details(), Some(&json!({"key": "revoke"})));
        }
        // Types first, for the whole list: a bad name before a number is still a type error.
        assert_eq!(id(r#"{"grant": ["group_invite_user", 7]}"#), "badValueListOfStrings");
        // JSON's atoms are strings to Onezone, named by no privilege.
        assert_eq!(id(r#"{"grant": [true]}"#), "badValueListNotAllowed");
        assert_eq!(id(r#"{"grant": [null]}"#), "badValueListNotAllowed");
        for atom in ["true", "false", "null"] {
            let e = parse(&format!(r#"{{"grant": ["group_view", {atom}]}}"#)).unwrap_err();
            let PrivilegeUpdateError::NotAllowed { name, .. } = e else { panic!("{e:?}") };
            assert_eq!(name.name(), atom);
        }
        // `grant` is validated before `revoke`, whatever the order in the body.
        let e = parse(r#"{"revoke": ["group_join_group"], "grant": ["group_invite_group"]}"#);
        let PrivilegeUpdateError::NotAllowed { key, name, .. } = e.unwrap_err() else { panic!() };
        assert_eq!((key, name.name()), ("grant", "group_invite_group"));
    }

    /// Every 17.06 name that 20.02 lacks is refused with 20.02's 21 names as `allowed`, in both
    /// keys (ctool release/20.02.20 `errors.erl` `?ERROR_BAD_VALUE_LIST_NOT_ALLOWED`).
    #[test]
    fn names_of_1706_are_not_allowed() {
        let allowed: Vec<&str> = V2002.privileges().names();
        assert_eq!(allowed.len(), 21);
        for p in V1706.privileges() - V2002.privileges() {
            for key in KEYS {
                let e = parse(&format!(r#"{{"{key}": ["{p}"]}}"#)).unwrap_err();
                let error = e.onezone_error();
                assert_eq!((error.id(), error.status()), ("badValueListNotAllowed", 400), "{p}");
                assert_eq!(error.details(), Some(&json!({"key": key, "allowed": allowed})));
                assert_eq!(
                    error.description(),
                    format!(
                        "Bad value: provided \"{key}\" must be a list containing zero or more \
                         following values: {}.",
                        allowed.join(", ")
                    )
                );
                assert_eq!(
                    e.to_string(),
                    format!("\"{key}\": \"{p}\" is not a group privilege of Onezone 20.02")
                );
            }
        }
        // Every 20.02 name is read, and 17.06's vocabulary refuses them in turn.
        for p in V2002.privileges() {
            assert_eq!(
                parse(&format!(r#"{{"grant": ["{p}"]}}"#)).unwrap().grant,
                PrivilegeSet::only(p)
            );
            let in_1706 = PrivilegeUpdate::parse_in(
                V1706,
                Some(format!(r#"{{"grant": ["{p}"]}}"#).as_bytes()),
            );
            assert_eq!(in_1706.is_ok(), p.is_in(V1706), "{p}");
        }
        assert_eq!(id(r#"{"grant": ["space_view"]}"#), "badValueListNotAllowed");
    }

    #[test]
    fn apply_is_union_of_grant_with_current_minus_revoke() {
        let update = PrivilegeUpdate {
            grant: PrivilegeSet::from([P::GroupUpdate, P::GroupDelete]),
            revoke: PrivilegeSet::from([P::GroupDelete, P::GroupView]),
        };
        let current = PrivilegeSet::from([P::GroupView, P::GroupViewPrivileges]);
        // Granted and revoked at once: granted.
        assert_eq!(
            update.apply(current),
            PrivilegeSet::from([P::GroupUpdate, P::GroupDelete, P::GroupViewPrivileges])
        );
        assert_eq!(PrivilegeUpdate::default().apply(current), current);
        assert_eq!(
            PrivilegeUpdate::from(P::GroupAddUser).apply(PrivilegeSet::EMPTY).names(),
            ["group_add_user"]
        );
    }

    /// A membership stored under 17.06 keeps its meaning: revoking a 20.02 name revokes the
    /// 17.06 names of the same power, which `allows` would otherwise still honour.
    #[test]
    fn revoking_takes_away_the_power_under_every_name() {
        for p in V2002.privileges() {
            let revoke =
                PrivilegeUpdate { grant: PrivilegeSet::EMPTY, revoke: PrivilegeSet::only(p) };
            let after = revoke.apply(V1706.admin() | V2002.admin());
            assert!(!after.allows(p), "{p} still allowed by {after:?}");
            // Only that power goes: every other 20.02 name still holds.
            for other in V2002.privileges() - PrivilegeSet::only(p) {
                assert!(after.allows(other), "revoking {p} took {other}");
            }
        }
        // Names not named stay as stored, in their own vocabulary.
        let stored = PrivilegeSet::from([P::GroupInviteUser, P::GroupJoinGroup, P::GroupView]);
        let update =
            parse(r#"{"revoke": ["group_add_user"], "grant": ["group_view_privileges"]}"#).unwrap();
        assert_eq!(
            update.apply(stored),
            PrivilegeSet::from([P::GroupJoinGroup, P::GroupView, P::GroupViewPrivileges])
        );
        let spaces = PrivilegeSet::from([P::GroupCreateSpace, P::GroupJoinSpace, P::GroupView]);
        let update = parse(r#"{"revoke": ["group_add_space"]}"#).unwrap();
        assert_eq!(update.apply(spaces), PrivilegeSet::member());
    }

    #[test]
    fn refusals_in_both_shapes() {
        let e = PrivilegeUpdateError::NotAList { key: "grant" };
        assert_eq!(
            e.onezone_1706(),
            (400, "Invalid request: \"grant\" must be a list of strings".to_string())
        );
        assert_eq!(e.onezone_2002(), e.onezone_error());
        assert_eq!(PrivilegeUpdateError::Malformed.onezone_error().status(), 400);
        for e in [PrivilegeUpdateError::Malformed, PrivilegeUpdateError::NothingToUpdate, e] {
            assert!(e.onezone_error().description().ends_with('.'));
        }
    }
}
