//! Group privileges, sets of them, and the requests that change them.

use alloc::string::String;
use core::fmt;
use core::iter::FusedIterator;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not, Sub, SubAssign};
use core::str::FromStr;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::vocabulary::{V1706_BITS, Vocabulary};
use crate::text::Quoted;

/// A privilege a user or a child group can hold in a group, in any of Onezone's vocabularies:
/// the 12 of 17.06, the 21 of 20.02 and the 23 of 21.02 (see [`Vocabulary`]).
///
/// Serialized as its Onezone name, e.g. `"group_view"`. The 12 names of 17.06 come first, in
/// alphabetical order (their positions are the bits of [`PrivilegeSet::bits`], which databases
/// store), then the 15 that 20.02 added, then the 2 of 21.02, each alphabetically; `Ord`
/// follows that order. Six names are in every vocabulary (`group_delete`, `group_leave_space`,
/// `group_remove_user`, `group_set_privileges`, `group_update`, `group_view`).
///
/// ```
/// use onezone_tokens::group::Privilege;
/// let p: Privilege = "group_set_privileges".parse()?;
/// assert_eq!(p, Privilege::GroupSetPrivileges);
/// assert_eq!(p.as_str(), "group_set_privileges");
/// assert!("group_fly".parse::<Privilege>().is_err());
/// # Ok::<(), onezone_tokens::group::UnknownPrivilege>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Privilege {
    /// `group_create_space`: create a space on behalf of the group.
    GroupCreateSpace,
    /// `group_delete`: delete the group.
    GroupDelete,
    /// `group_invite_group`: invite a group to become a child of this group.
    GroupInviteGroup,
    /// `group_invite_user`: invite a user to become a member.
    GroupInviteUser,
    /// `group_join_group`: make this group join another group as its child.
    GroupJoinGroup,
    /// `group_join_space`: make this group join a space.
    GroupJoinSpace,
    /// `group_leave_space`: make this group leave a space.
    GroupLeaveSpace,
    /// `group_remove_group`: remove a child group.
    GroupRemoveGroup,
    /// `group_remove_user`: remove a member.
    GroupRemoveUser,
    /// `group_set_privileges`: change the privileges of members and child groups.
    GroupSetPrivileges,
    /// `group_update`: change the group's name and type.
    GroupUpdate,
    /// `group_view`: see the group and its members.
    GroupView,
    /// `group_add_child` (20.02; was `group_invite_group`): add a child group.
    GroupAddChild,
    /// `group_add_cluster` (20.02): make the group join a cluster.
    GroupAddCluster,
    /// `group_add_harvester` (20.02): make the group join or create a harvester.
    GroupAddHarvester,
    /// `group_add_parent` (20.02; was `group_join_group`): make the group join a parent group.
    GroupAddParent,
    /// `group_add_space` (20.02; was `group_create_space` and `group_join_space`): make the
    /// group create or join a space.
    GroupAddSpace,
    /// `group_add_user` (20.02; was `group_invite_user`): add a user.
    GroupAddUser,
    /// `group_create_handle` (20.02): create a handle on behalf of the group.
    GroupCreateHandle,
    /// `group_create_handle_service` (20.02): create a handle service on behalf of the group.
    GroupCreateHandleService,
    /// `group_leave_cluster` (20.02): make the group leave a cluster.
    GroupLeaveCluster,
    /// `group_leave_handle` (20.02): make the group leave a handle.
    GroupLeaveHandle,
    /// `group_leave_handle_service` (20.02): make the group leave a handle service.
    GroupLeaveHandleService,
    /// `group_leave_parent` (20.02): make the group leave a parent group.
    GroupLeaveParent,
    /// `group_remove_child` (20.02; was `group_remove_group`): remove a child group.
    GroupRemoveChild,
    /// `group_remove_harvester` (20.02): make the group leave a harvester.
    GroupRemoveHarvester,
    /// `group_view_privileges` (20.02; given with `group_view` when 17.06 records were
    /// upgraded): see the privileges of members.
    GroupViewPrivileges,
    /// `group_add_atm_inventory` (21.02): make the group join or create an automation
    /// inventory.
    GroupAddAtmInventory,
    /// `group_remove_atm_inventory` (21.02): make the group leave an automation inventory.
    GroupRemoveAtmInventory,
}

impl Privilege {
    /// Every privilege of every vocabulary, in the order of their bits: 17.06's 12, then
    /// 20.02's 15 new ones, then 21.02's 2.
    pub const ALL: [Privilege; 29] = [
        Privilege::GroupCreateSpace,
        Privilege::GroupDelete,
        Privilege::GroupInviteGroup,
        Privilege::GroupInviteUser,
        Privilege::GroupJoinGroup,
        Privilege::GroupJoinSpace,
        Privilege::GroupLeaveSpace,
        Privilege::GroupRemoveGroup,
        Privilege::GroupRemoveUser,
        Privilege::GroupSetPrivileges,
        Privilege::GroupUpdate,
        Privilege::GroupView,
        Privilege::GroupAddChild,
        Privilege::GroupAddCluster,
        Privilege::GroupAddHarvester,
        Privilege::GroupAddParent,
        Privilege::GroupAddSpace,
        Privilege::GroupAddUser,
        Privilege::GroupCreateHandle,
        Privilege::GroupCreateHandleService,
        Privilege::GroupLeaveCluster,
        Privilege::GroupLeaveHandle,
        Privilege::GroupLeaveHandleService,
        Privilege::GroupLeaveParent,
        Privilege::GroupRemoveChild,
        Privilege::GroupRemoveHarvester,
        Privilege::GroupViewPrivileges,
        Privilege::GroupAddAtmInventory,
        Privilege::GroupRemoveAtmInventory,
    ];

    /// The Onezone name, e.g. `"group_view"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Privilege::GroupCreateSpace => "group_create_space",
            Privilege::GroupDelete => "group_delete",
            Privilege::GroupInviteGroup => "group_invite_group",
            Privilege::GroupInviteUser => "group_invite_user",
            Privilege::GroupJoinGroup => "group_join_group",
            Privilege::GroupJoinSpace => "group_join_space",
            Privilege::GroupLeaveSpace => "group_leave_space",
            Privilege::GroupRemoveGroup => "group_remove_group",
            Privilege::GroupRemoveUser => "group_remove_user",
            Privilege::GroupSetPrivileges => "group_set_privileges",
            Privilege::GroupUpdate => "group_update",
            Privilege::GroupView => "group_view",
            Privilege::GroupAddChild => "group_add_child",
            Privilege::GroupAddCluster => "group_add_cluster",
            Privilege::GroupAddHarvester => "group_add_harvester",
            Privilege::GroupAddParent => "group_add_parent",
            Privilege::GroupAddSpace => "group_add_space",
            Privilege::GroupAddUser => "group_add_user",
            Privilege::GroupCreateHandle => "group_create_handle",
            Privilege::GroupCreateHandleService => "group_create_handle_service",
            Privilege::GroupLeaveCluster => "group_leave_cluster",
            Privilege::GroupLeaveHandle => "group_leave_handle",
            Privilege::GroupLeaveHandleService => "group_leave_handle_service",
            Privilege::GroupLeaveParent => "group_leave_parent",
            Privilege::GroupRemoveChild => "group_remove_child",
            Privilege::GroupRemoveHarvester => "group_remove_harvester",
            Privilege::GroupViewPrivileges => "group_view_privileges",
            Privilege::GroupAddAtmInventory => "group_add_atm_inventory",
            Privilege::GroupRemoveAtmInventory => "group_remove_atm_inventory",
        }
    }

    /// This privilege's bit in a [`PrivilegeSet`].
    const fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// Whether the privilege is one of `vocabulary`'s names.
    pub const fn is_in(self, vocabulary: Vocabulary) -> bool {
        vocabulary.privileges().contains(self)
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// At most this many characters of an unknown name are kept in [`UnknownPrivilege`].
const MAX_QUOTED: usize = 64;

/// A string that names no [`Privilege`] (the error of its `FromStr`), or none of one
/// [`Vocabulary`]'s (of [`PrivilegeSet::parse_in`]).
///
/// Keeps the string (its first 64 characters) so the message can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPrivilege {
    name: String,
    vocabulary: Option<Vocabulary>,
}

impl UnknownPrivilege {
    fn new(name: &str) -> Self {
        UnknownPrivilege { name: name.chars().take(MAX_QUOTED).collect(), vocabulary: None }
    }

    /// `name` is a privilege, but not one of `vocabulary`'s.
    pub(super) fn outside(name: &str, vocabulary: Vocabulary) -> Self {
        UnknownPrivilege { vocabulary: Some(vocabulary), ..UnknownPrivilege::new(name) }
    }

    /// The unknown name (cut to its first 64 characters).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The vocabulary the name is not in, when one was asked for (`None`: the name is in no
    /// vocabulary).
    pub fn vocabulary(&self) -> Option<Vocabulary> {
        self.vocabulary
    }
}

impl fmt::Display for UnknownPrivilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.vocabulary {
            None => write!(f, "unknown group privilege \"{}\"", Quoted::short(&self.name)),
            Some(v) => write!(
                f,
                "\"{}\" is not a group privilege of Onezone {}",
                Quoted::short(&self.name),
                v.version()
            ),
        }
    }
}

impl core::error::Error for UnknownPrivilege {}

impl FromStr for Privilege {
    type Err = UnknownPrivilege;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Privilege::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| UnknownPrivilege::new(s))
    }
}

impl Serialize for Privilege {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Privilege {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PrivilegeVisitor;
        impl Visitor<'_> for PrivilegeVisitor {
            type Value = Privilege;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a group privilege name such as \"group_view\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Privilege, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(PrivilegeVisitor)
    }
}

/// A set of [`Privilege`]s, stored as a 32-bit mask (bit `i` is `Privilege::ALL[i]`: 17.06's
/// names keep bits 0 to 11, so integers stored before 20.02's names existed read back as the
/// same sets).
///
/// Serialized as the sorted list of the privileges' names; deserializing accepts any order and
/// repeated names of any vocabulary, and refuses an unknown name, naming it. To read or write
/// the names of one Onezone version, see [`PrivilegeSet::parse_in`] and
/// [`PrivilegeSet::in_vocabulary`]. [`member`](PrivilegeSet::member),
/// [`manager`](PrivilegeSet::manager) and [`admin`](PrivilegeSet::admin) are 17.06's levels;
/// [`Vocabulary::member`] and its siblings give each version's.
///
/// ```
/// use onezone_tokens::group::{Privilege, PrivilegeSet};
/// let manager = PrivilegeSet::manager();
/// assert!(manager.contains(Privilege::GroupInviteUser));
/// assert!(!manager.contains(Privilege::GroupSetPrivileges));
/// assert!(PrivilegeSet::admin().is_superset(manager));
/// assert_eq!(manager - PrivilegeSet::member(), PrivilegeSet::manager().difference(Privilege::GroupView.into()));
/// let json = serde_json::to_string(&PrivilegeSet::member())?;
/// assert_eq!(json, r#"["group_view"]"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PrivilegeSet(u32);

/// The bits of every privilege.
const ALL_BITS: u32 = (1 << Privilege::ALL.len()) - 1;

impl PrivilegeSet {
    /// No privilege.
    pub const EMPTY: PrivilegeSet = PrivilegeSet(0);

    /// The empty set.
    pub const fn empty() -> Self {
        PrivilegeSet::EMPTY
    }

    /// The privileges of a plain member: `group_view`.
    pub const fn member() -> Self {
        PrivilegeSet(Privilege::GroupView.bit())
    }

    /// The privileges of a manager: a member's, plus `group_invite_user`, `group_remove_user`,
    /// `group_join_group`, `group_invite_group` and `group_remove_group`.
    pub const fn manager() -> Self {
        PrivilegeSet(
            Privilege::GroupView.bit()
                | Privilege::GroupInviteUser.bit()
                | Privilege::GroupRemoveUser.bit()
                | Privilege::GroupJoinGroup.bit()
                | Privilege::GroupInviteGroup.bit()
                | Privilege::GroupRemoveGroup.bit(),
        )
    }

    /// All 12 privileges of 17.06, those of an administrator (and of a group's creator).
    pub const fn admin() -> Self {
        PrivilegeSet(V1706_BITS)
    }

    /// The set holding just `privilege`.
    pub const fn only(privilege: Privilege) -> Self {
        PrivilegeSet(privilege.bit())
    }

    /// The set whose mask is `bits` (bit `i` is `Privilege::ALL[i]`), or `None` if a bit
    /// above the 29th is set.
    pub const fn from_bits(bits: u32) -> Option<Self> {
        if bits & !ALL_BITS == 0 { Some(PrivilegeSet(bits)) } else { None }
    }

    /// The mask: bit `i` is set when `Privilege::ALL[i]` is in the set. It stays below
    /// `1 << 29`, so it fits a signed 32-bit database integer.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether `privilege` is in the set.
    pub const fn contains(self, privilege: Privilege) -> bool {
        self.0 & privilege.bit() != 0
    }

    /// Whether every privilege of `other` is in the set.
    pub const fn is_superset(self, other: PrivilegeSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether every privilege of the set is in `other`.
    pub const fn is_subset(self, other: PrivilegeSet) -> bool {
        other.is_superset(self)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The number of privileges in the set.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The privileges in either set.
    #[must_use]
    pub const fn union(self, other: PrivilegeSet) -> Self {
        PrivilegeSet(self.0 | other.0)
    }

    /// The privileges in both sets.
    #[must_use]
    pub const fn intersection(self, other: PrivilegeSet) -> Self {
        PrivilegeSet(self.0 & other.0)
    }

    /// The privileges of the set that are not in `other`.
    #[must_use]
    pub const fn difference(self, other: PrivilegeSet) -> Self {
        PrivilegeSet(self.0 & !other.0)
    }

    /// The privileges (of every vocabulary) not in the set.
    #[must_use]
    pub const fn complement(self) -> Self {
        PrivilegeSet(!self.0 & ALL_BITS)
    }

    /// Adds `privilege`; returns whether it was absent.
    pub fn insert(&mut self, privilege: Privilege) -> bool {
        let absent = !self.contains(privilege);
        self.0 |= privilege.bit();
        absent
    }

    /// Removes `privilege`; returns whether it was present.
    pub fn remove(&mut self, privilege: Privilege) -> bool {
        let present = self.contains(privilege);
        self.0 &= !privilege.bit();
        present
    }

    /// The privileges of the set, in the order of [`Privilege::ALL`].
    pub fn iter(self) -> PrivilegeIter {
        PrivilegeIter { bits: self.0 }
    }
}

impl fmt::Debug for PrivilegeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Privilege::as_str)).finish()
    }
}

impl From<Privilege> for PrivilegeSet {
    fn from(privilege: Privilege) -> Self {
        PrivilegeSet::only(privilege)
    }
}

impl<const N: usize> From<[Privilege; N]> for PrivilegeSet {
    fn from(privileges: [Privilege; N]) -> Self {
        privileges.into_iter().collect()
    }
}

impl FromIterator<Privilege> for PrivilegeSet {
    fn from_iter<I: IntoIterator<Item = Privilege>>(iter: I) -> Self {
        let mut set = PrivilegeSet::EMPTY;
        set.extend(iter);
        set
    }
}

impl Extend<Privilege> for PrivilegeSet {
    fn extend<I: IntoIterator<Item = Privilege>>(&mut self, iter: I) {
        for privilege in iter {
            self.insert(privilege);
        }
    }
}

impl IntoIterator for PrivilegeSet {
    type Item = Privilege;
    type IntoIter = PrivilegeIter;
    fn into_iter(self) -> PrivilegeIter {
        self.iter()
    }
}

impl BitOr for PrivilegeSet {
    type Output = PrivilegeSet;
    fn bitor(self, rhs: PrivilegeSet) -> PrivilegeSet {
        self.union(rhs)
    }
}

impl BitOrAssign for PrivilegeSet {
    fn bitor_assign(&mut self, rhs: PrivilegeSet) {
        *self = self.union(rhs);
    }
}

impl BitAnd for PrivilegeSet {
    type Output = PrivilegeSet;
    fn bitand(self, rhs: PrivilegeSet) -> PrivilegeSet {
        self.intersection(rhs)
    }
}

impl BitAndAssign for PrivilegeSet {
    fn bitand_assign(&mut self, rhs: PrivilegeSet) {
        *self = self.intersection(rhs);
    }
}

impl Sub for PrivilegeSet {
    type Output = PrivilegeSet;
    fn sub(self, rhs: PrivilegeSet) -> PrivilegeSet {
        self.difference(rhs)
    }
}

impl SubAssign for PrivilegeSet {
    fn sub_assign(&mut self, rhs: PrivilegeSet) {
        *self = self.difference(rhs);
    }
}

impl Not for PrivilegeSet {
    type Output = PrivilegeSet;
    fn not(self) -> PrivilegeSet {
        self.complement()
    }
}

/// The privileges of a [`PrivilegeSet`], in the order of [`Privilege::ALL`].
#[derive(Debug, Clone)]
pub struct PrivilegeIter {
    bits: u32,
}

impl Iterator for PrivilegeIter {
    type Item = Privilege;

    fn next(&mut self) -> Option<Privilege> {
        if self.bits == 0 {
            return None;
        }
        let index = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Privilege::ALL.get(index).copied()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.bits.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for PrivilegeIter {}
impl FusedIterator for PrivilegeIter {}

impl Serialize for PrivilegeSet {
    /// The names, sorted (as Onezone's `ordsets` sort them).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for name in self.names() {
            seq.serialize_element(name)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for PrivilegeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SetVisitor;
        // Any vocabulary's names (a 17.06 name and a 20.02 one may meet in one stored set).
        impl<'de> Visitor<'de> for SetVisitor {
            type Value = PrivilegeSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of group privilege names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PrivilegeSet, A::Error> {
                let mut set = PrivilegeSet::EMPTY;
                while let Some(privilege) = seq.next_element::<Privilege>()? {
                    set.insert(privilege);
                }
                Ok(set)
            }
        }
        deserializer.deserialize_seq(SetVisitor)
    }
}

/// How a [`PrivilegeChange`] combines its privileges with the current ones.
///
/// Serialized as `"set"`, `"grant"` or `"revoke"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// Replace the current privileges (the default).
    #[default]
    Set,
    /// Add to the current privileges.
    Grant,
    /// Take away from the current privileges.
    Revoke,
}

/// A request to change the privileges of a member or of a child group, in Onezone's form:
/// `{"operation": "set" | "grant" | "revoke", "privileges": [...]}`, where `operation` may be
/// left out (it defaults to `set`). Other keys are ignored, as Onezone ignores them. Only a JSON
/// object is read: `["grant", ["group_update"]]` is refused, never read by position.
///
/// ```
/// use onezone_tokens::group::{Operation, Privilege, PrivilegeChange, PrivilegeSet};
/// let change: PrivilegeChange =
///     serde_json::from_str(r#"{"operation": "grant", "privileges": ["group_update"]}"#)?;
/// assert_eq!(change.operation, Operation::Grant);
/// let after = change.apply(PrivilegeSet::member());
/// assert_eq!(after, PrivilegeSet::from([Privilege::GroupUpdate, Privilege::GroupView]));
///
/// let set: PrivilegeChange = serde_json::from_str(r#"{"privileges": []}"#)?;
/// assert_eq!(set.apply(PrivilegeSet::admin()), PrivilegeSet::EMPTY);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PrivilegeChange {
    /// How to combine [`PrivilegeChange::privileges`] with the current privileges.
    #[serde(default)]
    pub operation: Operation,
    /// The privileges to set, grant or revoke.
    pub privileges: PrivilegeSet,
}

impl<'de> Deserialize<'de> for PrivilegeChange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(default)]
            operation: Operation,
            privileges: PrivilegeSet,
        }
        let Fields { operation, privileges } = crate::json::object_only(deserializer)?;
        Ok(PrivilegeChange { operation, privileges })
    }
}

impl PrivilegeChange {
    /// Replace the current privileges with `privileges`.
    pub const fn set(privileges: PrivilegeSet) -> Self {
        PrivilegeChange { operation: Operation::Set, privileges }
    }

    /// Add `privileges` to the current ones.
    pub const fn grant(privileges: PrivilegeSet) -> Self {
        PrivilegeChange { operation: Operation::Grant, privileges }
    }

    /// Take `privileges` away from the current ones.
    pub const fn revoke(privileges: PrivilegeSet) -> Self {
        PrivilegeChange { operation: Operation::Revoke, privileges }
    }

    /// The privileges after applying the change to `current`.
    #[must_use]
    pub const fn apply(self, current: PrivilegeSet) -> PrivilegeSet {
        match self.operation {
            Operation::Set => self.privileges,
            Operation::Grant => current.union(self.privileges),
            Operation::Revoke => current.difference(self.privileges),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    /// 17.06's names at bits 0 to 11, as databases store them: these positions never change.
    const STORED_1706: [&str; 12] = [
        "group_create_space",
        "group_delete",
        "group_invite_group",
        "group_invite_user",
        "group_join_group",
        "group_join_space",
        "group_leave_space",
        "group_remove_group",
        "group_remove_user",
        "group_set_privileges",
        "group_update",
        "group_view",
    ];

    /// Integers stored by the 12-privilege (`u16`) `PrivilegeSet` read back as the same sets:
    /// every one of the 4096, name by name, and a few pinned with their JSON.
    #[test]
    fn stored_1706_integers_decode_to_the_same_sets() {
        for bits in 0u32..0x1000 {
            let set = PrivilegeSet::from_bits(bits).unwrap();
            let expected: Vec<&str> = STORED_1706
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, name)| *name)
                .collect();
            assert_eq!(set.names(), expected, "{bits:#x}");
            assert_eq!(set.bits(), bits);
            assert_eq!(serde_json::to_value(set).unwrap(), serde_json::json!(expected));
        }
        for (bits, json) in [
            (0x0800, r#"["group_view"]"#),
            (0x0fff, &*serde_json::to_string(&STORED_1706).unwrap()),
            (
                0x0a5a,
                r#"["group_delete","group_invite_user","group_join_group","group_leave_space","group_set_privileges","group_view"]"#,
            ),
            (0x0000, "[]"),
        ] {
            let set = PrivilegeSet::from_bits(bits).unwrap();
            assert_eq!(serde_json::to_string(&set).unwrap(), json);
            assert_eq!(serde_json::from_str::<PrivilegeSet>(json).unwrap().bits(), bits);
        }
        assert_eq!(PrivilegeSet::manager().bits(), 0x099c);
        assert_eq!(PrivilegeSet::admin().bits(), 0x0fff);
        // The new names take the bits after them.
        assert_eq!(PrivilegeSet::only(Privilege::GroupAddChild).bits(), 1 << 12);
        assert_eq!(PrivilegeSet::only(Privilege::GroupRemoveAtmInventory).bits(), 1 << 28);
        assert_eq!(PrivilegeSet::from_bits(1 << 29), None);
        assert_eq!(PrivilegeSet::from_bits(u32::MAX), None);
    }

    #[test]
    fn names_round_trip_and_are_sorted() {
        let names: Vec<&str> = Privilege::ALL.iter().map(|p| p.as_str()).collect();
        for part in [&names[..12], &names[12..27], &names[27..]] {
            let mut sorted = part.to_vec();
            sorted.sort_unstable();
            assert_eq!(part, sorted);
        }
        assert_eq!(names[..12], STORED_1706);
        assert_eq!(
            names[12..],
            [
                "group_add_child",
                "group_add_cluster",
                "group_add_harvester",
                "group_add_parent",
                "group_add_space",
                "group_add_user",
                "group_create_handle",
                "group_create_handle_service",
                "group_leave_cluster",
                "group_leave_handle",
                "group_leave_handle_service",
                "group_leave_parent",
                "group_remove_child",
                "group_remove_harvester",
                "group_view_privileges",
                "group_add_atm_inventory",
                "group_remove_atm_inventory",
            ]
        );
        for p in Privilege::ALL {
            assert_eq!(p.as_str().parse::<Privilege>(), Ok(p));
            assert_eq!(p.to_string(), p.as_str());
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, alloc::format!("\"{}\"", p.as_str()));
            assert_eq!(serde_json::from_str::<Privilege>(&json).unwrap(), p);
        }
    }

    #[test]
    fn unknown_names_are_named() {
        let err = "group_fly".parse::<Privilege>().unwrap_err();
        assert_eq!(err.name(), "group_fly");
        assert_eq!(err.to_string(), "unknown group privilege \"group_fly\"");
        let long = "x".repeat(1000);
        assert_eq!(long.parse::<Privilege>().unwrap_err().name().len(), MAX_QUOTED);
        let err = serde_json::from_str::<PrivilegeSet>(r#"["group_view", "space_view"]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("space_view"), "{err}");
        assert!("GROUP_VIEW".parse::<Privilege>().is_err());
        assert!(serde_json::from_str::<PrivilegeSet>(r#"[1]"#).is_err());
        assert!(serde_json::from_str::<PrivilegeSet>(r#""group_view""#).is_err());
    }

    #[test]
    fn levels() {
        assert_eq!(PrivilegeSet::member().iter().collect::<Vec<_>>(), [Privilege::GroupView]);
        assert_eq!(
            PrivilegeSet::manager().iter().collect::<Vec<_>>(),
            [
                Privilege::GroupInviteGroup,
                Privilege::GroupInviteUser,
                Privilege::GroupJoinGroup,
                Privilege::GroupRemoveGroup,
                Privilege::GroupRemoveUser,
                Privilege::GroupView,
            ]
        );
        assert_eq!(PrivilegeSet::admin().len(), 12);
        assert_eq!(PrivilegeSet::admin().iter().collect::<Vec<_>>(), Privilege::ALL[..12]);
        assert!(PrivilegeSet::member().is_subset(PrivilegeSet::manager()));
        assert!(PrivilegeSet::manager().is_subset(PrivilegeSet::admin()));
        assert_eq!((!PrivilegeSet::admin()).len(), 17);
        assert_eq!(
            !PrivilegeSet::admin() | PrivilegeSet::admin(),
            PrivilegeSet::from_bits((1 << 29) - 1).unwrap()
        );
        assert_eq!(PrivilegeSet::from_bits(0x0fff), Some(PrivilegeSet::admin()));
    }

    #[test]
    fn set_operations() {
        let mut s = PrivilegeSet::empty();
        assert!(s.is_empty());
        assert!(s.insert(Privilege::GroupUpdate));
        assert!(!s.insert(Privilege::GroupUpdate));
        assert!(s.contains(Privilege::GroupUpdate));
        assert_eq!(s.len(), 1);
        let t = s | PrivilegeSet::member();
        assert_eq!(t.len(), 2);
        assert_eq!(t & PrivilegeSet::member(), PrivilegeSet::member());
        assert_eq!(t - PrivilegeSet::member(), s);
        assert!(s.remove(Privilege::GroupUpdate));
        assert!(!s.remove(Privilege::GroupUpdate));
        let mut u = PrivilegeSet::admin();
        u -= PrivilegeSet::manager();
        u &= !PrivilegeSet::only(Privilege::GroupDelete);
        u |= PrivilegeSet::member();
        assert_eq!(u.len(), 12 - 6 - 1 + 1);
        assert_eq!(PrivilegeSet::admin().iter().len(), 12);
        assert_eq!(alloc::format!("{:?}", PrivilegeSet::member()), "{\"group_view\"}");
    }

    #[test]
    fn set_serde_is_sorted_and_forgiving_in_order() {
        // Names of both vocabularies, sorted together.
        let mixed = PrivilegeSet::from([Privilege::GroupView, Privilege::GroupAddUser]);
        assert_eq!(serde_json::to_string(&mixed).unwrap(), r#"["group_add_user","group_view"]"#);
        let set: PrivilegeSet =
            serde_json::from_str(r#"["group_view", "group_delete", "group_view"]"#).unwrap();
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"["group_delete","group_view"]"#);
        let all = serde_json::to_string(&PrivilegeSet::admin()).unwrap();
        let back: Vec<String> = serde_json::from_str(&all).unwrap();
        let mut sorted = back.clone();
        sorted.sort();
        assert_eq!(back, sorted);
        assert_eq!(serde_json::to_string(&PrivilegeSet::EMPTY).unwrap(), "[]");
    }

    #[test]
    fn changes() {
        let c: PrivilegeChange = serde_json::from_str(r#"{"privileges": ["group_view"]}"#).unwrap();
        assert_eq!(c, PrivilegeChange::set(PrivilegeSet::member()));
        let c: PrivilegeChange =
            serde_json::from_str(r#"{"operation": "revoke", "privileges": ["group_view"]}"#)
                .unwrap();
        assert_eq!(c.apply(PrivilegeSet::manager()).len(), 5);
        assert_eq!(
            PrivilegeChange::grant(PrivilegeSet::admin()).apply(PrivilegeSet::EMPTY).len(),
            12
        );
        assert!(
            serde_json::from_str::<PrivilegeChange>(r#"{"operation": "add", "privileges": []}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<PrivilegeChange>(r#"{"operation": "set"}"#).is_err());
        // Unknown keys are ignored, as Onezone ignores them; the declared one is what counts.
        let change: PrivilegeChange =
            serde_json::from_str(r#"{"privileges": [], "privilege": ["group_view"]}"#).unwrap();
        assert_eq!(change, PrivilegeChange::set(PrivilegeSet::EMPTY));
        assert_eq!(
            serde_json::to_string(&PrivilegeChange::grant(PrivilegeSet::member())).unwrap(),
            r#"{"operation":"grant","privileges":["group_view"]}"#
        );
    }
}
