//! Onezone's group privilege vocabularies (17.06, 20.02, 21.02), their levels, and the map
//! between them.

use alloc::vec::Vec;
use core::fmt;

use super::privilege::{Privilege, PrivilegeSet, UnknownPrivilege};

/// Which Onezone version's group privilege names a set is read or written in.
///
/// | version | names | source |
/// |---|---|---|
/// | 17.06 | 12 (`group_invite_user`, `group_join_group`, ...) | the 17.06 REST API |
/// | 20.02 | 21 (`group_add_user`, `group_add_parent`, ...) | ctool release/20.02.20 `include/privileges.hrl` |
/// | 21.02 | 23: 20.02's and `group_add_atm_inventory`, `group_remove_atm_inventory` | ctool release/21.02.2 `include/privileges.hrl` |
///
/// 20.02 renamed and split 17.06's names; oz-worker 20.02.20 `od_group.erl` `upgrade_record`
/// (record version 6) maps stored 17.06 sets onto the new names ([`PrivilegeSet::upgraded`]).
///
/// ```
/// use onezone_tokens::group::{Privilege, PrivilegeSet, Vocabulary};
///
/// // A 17.06 manager, written for a 20.02 client, and read back.
/// let names = PrivilegeSet::manager().in_vocabulary(Vocabulary::Onezone2002).names();
/// assert_eq!(names, [
///     "group_add_child", "group_add_parent", "group_add_user", "group_remove_child",
///     "group_remove_user", "group_view",
/// ]);
/// let read = PrivilegeSet::parse_in(Vocabulary::Onezone2002, names)?;
/// assert_eq!(read.in_vocabulary(Vocabulary::Onezone1706), PrivilegeSet::manager());
///
/// // 17.06's names are not 20.02's (oz-worker answers `badValueListNotAllowed`).
/// let err = PrivilegeSet::parse_in(Vocabulary::Onezone2002, ["group_invite_user"]).unwrap_err();
/// assert_eq!(err.to_string(), "\"group_invite_user\" is not a group privilege of Onezone 20.02");
///
/// // Either name authorizes inviting a user.
/// assert!(PrivilegeSet::only(Privilege::GroupAddUser).allows(Privilege::GroupInviteUser));
/// # Ok::<(), onezone_tokens::group::UnknownPrivilege>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Vocabulary {
    /// Onezone 17.06 (the API line up to 18.02.0-beta1): 12 names.
    Onezone1706,
    /// Onezone 20.02: 21 names.
    Onezone2002,
    /// Onezone 21.02: 20.02's 21 names and 2 for automation inventories.
    Onezone2102,
}

/// 17.06's 12 names: bits 0 to 11.
pub(super) const V1706_BITS: u32 = (1 << 12) - 1;

const fn bits_of(privileges: &[Privilege]) -> u32 {
    let mut bits = 0;
    let mut rest = privileges;
    while let [first, tail @ ..] = rest {
        bits |= 1 << (*first as u32);
        rest = tail;
    }
    bits
}

/// The names 17.06 and 20.02 share.
const SHARED: [Privilege; 6] = [
    Privilege::GroupDelete,
    Privilege::GroupLeaveSpace,
    Privilege::GroupRemoveUser,
    Privilege::GroupSetPrivileges,
    Privilege::GroupUpdate,
    Privilege::GroupView,
];

/// The 15 names 20.02 added (ctool release/20.02.20 `include/privileges.hrl`).
const NEW_IN_2002: [Privilege; 15] = [
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
];

const V2002_BITS: u32 = bits_of(&SHARED) | bits_of(&NEW_IN_2002);
const V2102_BITS: u32 =
    V2002_BITS | bits_of(&[Privilege::GroupAddAtmInventory, Privilege::GroupRemoveAtmInventory]);

/// ctool release/20.02.20 `src/privileges/privileges.erl` `group_manager/0`.
const MANAGER_2002: u32 = bits_of(&[
    Privilege::GroupView,
    Privilege::GroupViewPrivileges,
    Privilege::GroupAddUser,
    Privilege::GroupRemoveUser,
    Privilege::GroupAddParent,
    Privilege::GroupLeaveParent,
    Privilege::GroupAddChild,
    Privilege::GroupRemoveChild,
    Privilege::GroupAddHarvester,
    Privilege::GroupRemoveHarvester,
]);

/// oz-worker 20.02.20 `src/datastore/models/od_group.erl` `upgrade_record(6, ..)`: what each
/// 17.06 name became. Names not listed stay as they are (`(Other) -> Other`).
const UPGRADE: [(Privilege, &[Privilege]); 7] = [
    (Privilege::GroupInviteGroup, &[Privilege::GroupAddChild]),
    (Privilege::GroupRemoveGroup, &[Privilege::GroupRemoveChild]),
    (Privilege::GroupJoinGroup, &[Privilege::GroupAddParent]),
    (Privilege::GroupInviteUser, &[Privilege::GroupAddUser]),
    (Privilege::GroupCreateSpace, &[Privilege::GroupAddSpace]),
    (Privilege::GroupJoinSpace, &[Privilege::GroupAddSpace]),
    (Privilege::GroupView, &[Privilege::GroupView, Privilege::GroupViewPrivileges]),
];

impl Vocabulary {
    /// Every vocabulary, oldest first.
    pub const ALL: [Vocabulary; 3] =
        [Vocabulary::Onezone1706, Vocabulary::Onezone2002, Vocabulary::Onezone2102];

    /// The version, as `17.06`, `20.02` or `21.02`.
    pub const fn version(self) -> &'static str {
        match self {
            Vocabulary::Onezone1706 => "17.06",
            Vocabulary::Onezone2002 => "20.02",
            Vocabulary::Onezone2102 => "21.02",
        }
    }

    const fn bits(self) -> u32 {
        match self {
            Vocabulary::Onezone1706 => V1706_BITS,
            Vocabulary::Onezone2002 => V2002_BITS,
            Vocabulary::Onezone2102 => V2102_BITS,
        }
    }

    /// Every name of the vocabulary (12, 21 or 23).
    pub const fn privileges(self) -> PrivilegeSet {
        set(self.bits())
    }

    /// A plain member's privileges: `group_view` in every version (ctool `privileges.erl`
    /// `group_member/0`).
    pub const fn member(self) -> PrivilegeSet {
        PrivilegeSet::member()
    }

    /// A manager's privileges: 17.06's [`PrivilegeSet::manager`]; in 20.02 a member's plus
    /// `group_view_privileges`, `group_add_user`, `group_remove_user`, `group_add_parent`,
    /// `group_leave_parent`, `group_add_child`, `group_remove_child`, `group_add_harvester` and
    /// `group_remove_harvester`; in 21.02 also `group_add_atm_inventory` and
    /// `group_remove_atm_inventory` (ctool release/20.02.20 and release/21.02.2
    /// `src/privileges/privileges.erl` `group_manager/0`).
    pub const fn manager(self) -> PrivilegeSet {
        match self {
            Vocabulary::Onezone1706 => PrivilegeSet::manager(),
            Vocabulary::Onezone2002 => set(MANAGER_2002),
            Vocabulary::Onezone2102 => set(MANAGER_2002 | (V2102_BITS & !V2002_BITS)),
        }
    }

    /// An administrator's privileges: every name of the vocabulary (ctool
    /// `group_admin/0`), those a group's creator gets.
    pub const fn admin(self) -> PrivilegeSet {
        self.privileges()
    }

    /// The privilege needed in a group to invite a user into it (a `ujg` token):
    /// `group_invite_user` in 17.06, `group_add_user` since 20.02.
    pub const fn to_invite_user(self) -> Privilege {
        match self {
            Vocabulary::Onezone1706 => Privilege::GroupInviteUser,
            _ => Privilege::GroupAddUser,
        }
    }

    /// The privilege needed in a group to invite a child group into it (a `gjg` token):
    /// `group_invite_group` in 17.06, `group_add_child` since 20.02.
    pub const fn to_invite_group(self) -> Privilege {
        match self {
            Vocabulary::Onezone1706 => Privilege::GroupInviteGroup,
            _ => Privilege::GroupAddChild,
        }
    }

    /// The privilege a group's member needs in it to make it join a parent group:
    /// `group_join_group` in 17.06, `group_add_parent` since 20.02.
    pub const fn to_join_parent(self) -> Privilege {
        match self {
            Vocabulary::Onezone1706 => Privilege::GroupJoinGroup,
            _ => Privilege::GroupAddParent,
        }
    }
}

impl fmt::Display for Vocabulary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Onezone {}", self.version())
    }
}

const fn set(bits: u32) -> PrivilegeSet {
    match PrivilegeSet::from_bits(bits) {
        Some(set) => set,
        None => PrivilegeSet::EMPTY,
    }
}

impl PrivilegeSet {
    /// The names of the set, sorted (as Onezone's `ordsets` sort them), whatever their
    /// vocabulary. Write [`in_vocabulary`](PrivilegeSet::in_vocabulary) first to give one
    /// version's names.
    pub fn names(self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.iter().map(Privilege::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Reads names of one vocabulary, in any order and repeated or not.
    ///
    /// # Errors
    /// [`UnknownPrivilege`] naming the first name that is not one of `vocabulary`'s
    /// ([`UnknownPrivilege::vocabulary`] is then `Some`).
    pub fn parse_in<'a>(
        vocabulary: Vocabulary,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, UnknownPrivilege> {
        let mut set = PrivilegeSet::EMPTY;
        for name in names {
            let privilege: Privilege = name.parse()?;
            if !privilege.is_in(vocabulary) {
                return Err(UnknownPrivilege::outside(name, vocabulary));
            }
            set.insert(privilege);
        }
        Ok(set)
    }

    /// Whether every privilege of the set is one of `vocabulary`'s names.
    pub const fn is_in(self, vocabulary: Vocabulary) -> bool {
        vocabulary.privileges().is_superset(self)
    }

    /// The migration of a set known to be 17.06's, as 20.02 upgraded stored records (oz-worker
    /// 20.02.20 `od_group.erl` `upgrade_record`): `group_invite_user` becomes `group_add_user`,
    /// `group_invite_group` `group_add_child`, `group_join_group` `group_add_parent`,
    /// `group_remove_group` `group_remove_child`, `group_create_space` and `group_join_space`
    /// `group_add_space`, and `group_view` `group_view` plus `group_view_privileges`. Every
    /// other name stays.
    ///
    /// `group_view` is a name of both versions, so this is for sets whose version is known (a
    /// stored 17.06 record); [`in_vocabulary`](PrivilegeSet::in_vocabulary) maps only the
    /// names a version lacks.
    #[must_use]
    pub fn upgraded(self) -> Self {
        let mut out = PrivilegeSet::EMPTY;
        for privilege in self {
            match UPGRADE.iter().find(|(old, _)| *old == privilege) {
                Some((_, new)) => out.extend(new.iter().copied()),
                None => {
                    out.insert(privilege);
                }
            }
        }
        out
    }

    /// The set in 17.06's names: the inverse of [`upgraded`](PrivilegeSet::upgraded) name by
    /// name. `group_add_space` gives both `group_create_space` and `group_join_space`;
    /// 20.02's names without a 17.06 counterpart (`group_view_privileges`, `group_leave_parent`,
    /// the cluster, handle, harvester and automation inventory ones) are dropped, as 17.06
    /// cannot say them. 17.06 names stay.
    #[must_use]
    pub fn downgraded(self) -> Self {
        let mut out = self.intersection(Vocabulary::Onezone1706.privileges());
        for (old, new) in UPGRADE {
            if new.iter().any(|p| *p != Privilege::GroupViewPrivileges && self.contains(*p)) {
                out.insert(old);
            }
        }
        out
    }

    /// The set in `vocabulary`'s names: the names the vocabulary has stay, the others are
    /// mapped by [`downgraded`](PrivilegeSet::downgraded) (into 17.06) or
    /// [`upgraded`](PrivilegeSet::upgraded) (into 20.02 or 21.02), and what the vocabulary
    /// cannot say is dropped (20.02 has no automation inventories).
    ///
    /// Round trips: a 17.06 set written in 20.02 and read back is the same set, except that
    /// `group_create_space` or `group_join_space` alone comes back as both (20.02 has one name
    /// for the two). A 20.02 set written in 17.06 and read back is the same set except for the
    /// names 17.06 lacks (`group_view_privileges`, `group_leave_parent`, the cluster, handle
    /// and harvester ones), which are lost.
    #[must_use]
    pub fn in_vocabulary(self, vocabulary: Vocabulary) -> Self {
        let own = vocabulary.privileges();
        let foreign = self.difference(own);
        let mapped = match vocabulary {
            Vocabulary::Onezone1706 => foreign.downgraded(),
            _ => foreign.upgraded(),
        };
        self.intersection(own).union(mapped.intersection(own))
    }

    /// Whether the set authorizes what `privilege` does, under its name in any vocabulary:
    /// it holds `privilege`, or the name 17.06 or 20.02 gives the same power
    /// (`group_invite_user` and `group_add_user`, `group_invite_group` and `group_add_child`,
    /// `group_join_group` and `group_add_parent`, `group_remove_group` and
    /// `group_remove_child`, `group_create_space` or `group_join_space` and `group_add_space`).
    /// A directory whose sets hold either vocabulary checks permissions with it, so that a
    /// 17.06 `group_invite_user` and a 20.02 `group_add_user` both authorize an invitation.
    pub fn allows(self, privilege: Privilege) -> bool {
        self.contains(privilege) || !self.intersection(equivalents(privilege)).is_empty()
    }
}

/// The names of other vocabularies that give the power of `privilege`.
pub(super) fn equivalents(privilege: Privilege) -> PrivilegeSet {
    let mut out = PrivilegeSet::EMPTY;
    for (old, new) in UPGRADE {
        if old == Privilege::GroupView {
            continue; // the same name in both: `group_view_privileges` was added, not renamed
        }
        if old == privilege {
            out.extend(new.iter().copied());
        }
        if new.contains(&privilege) {
            out.insert(old);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    use Privilege as P;
    use Vocabulary::{Onezone1706 as V1706, Onezone2002 as V2002, Onezone2102 as V2102};

    fn names(set: PrivilegeSet) -> Vec<&'static str> {
        set.names()
    }

    /// The vocabularies as ctool lists them (release/20.02.20 and release/21.02.2
    /// `include/privileges.hrl`, group privileges).
    #[test]
    fn vocabularies_are_onezones() {
        assert_eq!(V1706.privileges().len(), 12);
        assert_eq!(V2002.privileges().len(), 21);
        assert_eq!(V2102.privileges().len(), 23);
        assert_eq!(
            names(V2002.privileges()),
            [
                "group_add_child",
                "group_add_cluster",
                "group_add_harvester",
                "group_add_parent",
                "group_add_space",
                "group_add_user",
                "group_create_handle",
                "group_create_handle_service",
                "group_delete",
                "group_leave_cluster",
                "group_leave_handle",
                "group_leave_handle_service",
                "group_leave_parent",
                "group_leave_space",
                "group_remove_child",
                "group_remove_harvester",
                "group_remove_user",
                "group_set_privileges",
                "group_update",
                "group_view",
                "group_view_privileges",
            ]
        );
        assert_eq!(
            names(V2102.privileges() - V2002.privileges()),
            ["group_add_atm_inventory", "group_remove_atm_inventory"]
        );
        assert_eq!(V1706.privileges(), PrivilegeSet::admin());
        assert_eq!((V1706.privileges() & V2002.privileges()).len(), 6);
        assert_eq!(V1706.privileges() | V2102.privileges(), PrivilegeSet::from_iter(P::ALL));
        assert!(P::GroupInviteUser.is_in(V1706) && !P::GroupInviteUser.is_in(V2002));
        assert!(P::GroupAddAtmInventory.is_in(V2102) && !P::GroupAddAtmInventory.is_in(V2002));
        assert_eq!(V2102.to_string(), "Onezone 21.02");
    }

    /// ctool `src/privileges/privileges.erl` `group_member/0`, `group_manager/0`,
    /// `group_admin/0` of release/20.02.20 and release/21.02.2; 17.06's from its API docs.
    #[test]
    fn levels_of_each_version() {
        for v in Vocabulary::ALL {
            assert_eq!(names(v.member()), ["group_view"]);
            assert_eq!(v.admin(), v.privileges());
            assert!(v.member().is_subset(v.manager()) && v.manager().is_subset(v.admin()));
            assert!(v.manager().is_in(v));
        }
        assert_eq!(
            names(V1706.manager()),
            [
                "group_invite_group",
                "group_invite_user",
                "group_join_group",
                "group_remove_group",
                "group_remove_user",
                "group_view",
            ]
        );
        let manager_2002 = [
            "group_add_child",
            "group_add_harvester",
            "group_add_parent",
            "group_add_user",
            "group_leave_parent",
            "group_remove_child",
            "group_remove_harvester",
            "group_remove_user",
            "group_view",
            "group_view_privileges",
        ];
        assert_eq!(names(V2002.manager()), manager_2002);
        let mut manager_2102 = manager_2002.to_vec();
        manager_2102.extend(["group_add_atm_inventory", "group_remove_atm_inventory"]);
        manager_2102.sort_unstable();
        assert_eq!(names(V2102.manager()), manager_2102);
    }

    /// oz-worker 20.02.20 `src/datastore/models/od_group.erl` `upgrade_record(6, ..)`, name by
    /// name.
    #[test]
    fn the_upgrade_map_is_od_groups() {
        let upgrade = |p: Privilege| names(PrivilegeSet::only(p).upgraded());
        for (old, new) in [
            (P::GroupInviteGroup, &["group_add_child"][..]),
            (P::GroupRemoveGroup, &["group_remove_child"]),
            (P::GroupJoinGroup, &["group_add_parent"]),
            (P::GroupInviteUser, &["group_add_user"]),
            (P::GroupCreateSpace, &["group_add_space"]),
            (P::GroupJoinSpace, &["group_add_space"]),
            (P::GroupView, &["group_view", "group_view_privileges"]),
            (P::GroupUpdate, &["group_update"]),
            (P::GroupDelete, &["group_delete"]),
            (P::GroupSetPrivileges, &["group_set_privileges"]),
            (P::GroupRemoveUser, &["group_remove_user"]),
            (P::GroupLeaveSpace, &["group_leave_space"]),
        ] {
            assert_eq!(upgrade(old), new, "{old}");
        }
        // 20.02's names are left as they are (`(Other) -> Other`); `group_view` is both.
        for p in V2102.privileges() - PrivilegeSet::member() {
            assert_eq!(upgrade(p), [p.as_str()]);
        }
        // Every 17.06 set upgrades into 20.02's names.
        for bits in 0..0x1000 {
            assert!(PrivilegeSet::from_bits(bits).unwrap().upgraded().is_in(V2002));
        }
    }

    /// Every name, read in one vocabulary, written in the other and read back: the same set
    /// wherever the map allows, and exactly these exceptions where it does not.
    #[test]
    fn every_name_round_trips_where_the_map_allows() {
        for p in V1706.privileges() {
            let one = PrivilegeSet::only(p);
            let written = one.in_vocabulary(V2002);
            assert!(written.is_in(V2002));
            let back = PrivilegeSet::parse_in(V2002, written.names()).unwrap().in_vocabulary(V1706);
            let expected = match p {
                // 20.02 has one name for the two.
                P::GroupCreateSpace | P::GroupJoinSpace => {
                    PrivilegeSet::from([P::GroupCreateSpace, P::GroupJoinSpace])
                }
                _ => one,
            };
            assert_eq!(back, expected, "{p}");
        }
        for p in V2102.privileges() {
            let one = PrivilegeSet::only(p);
            let written = one.in_vocabulary(V1706);
            assert!(written.is_in(V1706));
            let back = PrivilegeSet::parse_in(V1706, written.names()).unwrap().in_vocabulary(V2102);
            let expected = match p {
                // No 17.06 name says these.
                P::GroupViewPrivileges
                | P::GroupLeaveParent
                | P::GroupAddCluster
                | P::GroupLeaveCluster
                | P::GroupCreateHandleService
                | P::GroupLeaveHandleService
                | P::GroupCreateHandle
                | P::GroupLeaveHandle
                | P::GroupAddHarvester
                | P::GroupRemoveHarvester
                | P::GroupAddAtmInventory
                | P::GroupRemoveAtmInventory => PrivilegeSet::EMPTY,
                _ => one,
            };
            assert_eq!(back, expected, "{p}");
        }
        // Whole 17.06 sets without exactly one of the two space names round-trip.
        for bits in 0..0x1000 {
            let set = PrivilegeSet::from_bits(bits).unwrap();
            let spaces = set & PrivilegeSet::from([P::GroupCreateSpace, P::GroupJoinSpace]);
            if spaces.len() != 1 {
                assert_eq!(set.in_vocabulary(V2002).in_vocabulary(V1706), set, "{bits:#x}");
            }
        }
        // 20.02 drops 21.02's names; 21.02 keeps them.
        let atm = PrivilegeSet::only(P::GroupAddAtmInventory);
        assert_eq!(atm.in_vocabulary(V2002), PrivilegeSet::EMPTY);
        assert_eq!(atm.in_vocabulary(V2102), atm);
        assert_eq!(V2002.admin().in_vocabulary(V1706), V1706.admin());
        assert_eq!(V1706.admin().in_vocabulary(V2002).len(), 11);
        // A stored 17.06 record migrates as oz-worker did: members get `group_view_privileges`.
        assert_eq!(
            names(PrivilegeSet::member().upgraded()),
            ["group_view", "group_view_privileges"]
        );
        // A set mixing both vocabularies writes in either.
        let mixed = PrivilegeSet::from([P::GroupInviteUser, P::GroupAddChild, P::GroupView]);
        assert_eq!(
            names(mixed.in_vocabulary(V2002)),
            ["group_add_child", "group_add_user", "group_view"]
        );
        assert_eq!(
            names(mixed.in_vocabulary(V1706)),
            ["group_invite_group", "group_invite_user", "group_view"]
        );
    }

    /// Every 20.02 set (all 2^21), written in 17.06 and read back, keeps exactly the names
    /// 17.06 can say.
    #[test]
    fn every_2002_set_round_trips_through_1706_where_it_can() {
        let names: Vec<Privilege> = V2002.privileges().iter().collect();
        let unsayable = PrivilegeSet::from([
            P::GroupViewPrivileges,
            P::GroupLeaveParent,
            P::GroupAddCluster,
            P::GroupLeaveCluster,
            P::GroupCreateHandleService,
            P::GroupLeaveHandleService,
            P::GroupCreateHandle,
            P::GroupLeaveHandle,
            P::GroupAddHarvester,
            P::GroupRemoveHarvester,
        ]);
        for mask in 0u32..(1 << names.len()) {
            let set: PrivilegeSet = names
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, p)| *p)
                .collect();
            let old = set.in_vocabulary(V1706);
            assert!(old.is_in(V1706));
            assert_eq!(old.in_vocabulary(V2002), set - unsayable, "{set:?}");
        }
    }

    #[test]
    fn reading_in_a_vocabulary_refuses_the_others_names() {
        let read = PrivilegeSet::parse_in(V1706, ["group_view", "group_invite_user", "group_view"]);
        assert_eq!(read, Ok(PrivilegeSet::from([P::GroupView, P::GroupInviteUser])));
        let err = PrivilegeSet::parse_in(V2002, ["group_view", "group_invite_user"]).unwrap_err();
        assert_eq!((err.name(), err.vocabulary()), ("group_invite_user", Some(V2002)));
        let err = PrivilegeSet::parse_in(V1706, ["group_add_user"]).unwrap_err();
        assert_eq!(err.to_string(), "\"group_add_user\" is not a group privilege of Onezone 17.06");
        let err = PrivilegeSet::parse_in(V2002, ["group_add_atm_inventory"]).unwrap_err();
        assert_eq!(err.vocabulary(), Some(V2002));
        let err = PrivilegeSet::parse_in(V2102, ["space_view"]).unwrap_err();
        assert_eq!((err.name(), err.vocabulary()), ("space_view", None));
        assert_eq!(PrivilegeSet::parse_in(V2102, V2102.privileges().names()), Ok(V2102.admin()));
    }

    /// Inviting and joining are authorized under either version's name (oz-worker 20.02.20
    /// `group_logic_plugin.erl`: `group_add_user`, `group_add_child`, `group_add_parent`).
    #[test]
    fn invite_authorization_under_either_vocabulary() {
        assert_eq!(V1706.to_invite_user(), P::GroupInviteUser);
        assert_eq!(V2002.to_invite_user(), P::GroupAddUser);
        assert_eq!(V1706.to_invite_group(), P::GroupInviteGroup);
        assert_eq!(V2102.to_invite_group(), P::GroupAddChild);
        assert_eq!(V1706.to_join_parent(), P::GroupJoinGroup);
        assert_eq!(V2002.to_join_parent(), P::GroupAddParent);
        let to_invite: [fn(Vocabulary) -> Privilege; 2] =
            [Vocabulary::to_invite_user, Vocabulary::to_invite_group];
        for needed in to_invite {
            for held in Vocabulary::ALL {
                for asked in Vocabulary::ALL {
                    let holder = PrivilegeSet::only(needed(held));
                    assert!(holder.allows(needed(asked)), "{held} {asked}");
                    assert!(!PrivilegeSet::member().allows(needed(asked)));
                }
            }
        }
        for held in Vocabulary::ALL {
            for asked in Vocabulary::ALL {
                assert!(PrivilegeSet::only(held.to_join_parent()).allows(asked.to_join_parent()));
            }
        }
        // `group_add_space` covers both 17.06 names; one of them covers only itself and 20.02's.
        let add_space = PrivilegeSet::only(P::GroupAddSpace);
        assert!(add_space.allows(P::GroupCreateSpace) && add_space.allows(P::GroupJoinSpace));
        let create = PrivilegeSet::only(P::GroupCreateSpace);
        assert!(create.allows(P::GroupAddSpace) && !create.allows(P::GroupJoinSpace));
        // Nothing beyond the renames: a user inviter cannot add children, viewing is viewing.
        assert!(!PrivilegeSet::only(P::GroupAddUser).allows(P::GroupInviteGroup));
        assert!(!PrivilegeSet::only(P::GroupView).allows(P::GroupViewPrivileges));
        assert!(!PrivilegeSet::only(P::GroupViewPrivileges).allows(P::GroupView));
        for p in P::ALL {
            let all_but = PrivilegeSet::from_iter(P::ALL) - PrivilegeSet::only(p) - equivalents(p);
            assert!(!all_but.allows(p), "{p}");
            assert!(PrivilegeSet::only(p).allows(p));
        }
    }
}
