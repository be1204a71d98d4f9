//! What a directory says: groups, members, privileges, links.

use super::*;

impl Directory {
    /// The group with this id.
    pub fn group(&self, id: &GroupId) -> Option<&Group> {
        self.group_idx(id).and_then(|g| self.node(g)).map(|node| &node.group)
    }

    /// Whether `user` is a direct member of `group` (false if the group does not exist).
    pub fn is_direct_member(&self, user: &UserId, group: &GroupId) -> bool {
        self.direct_privileges(user, group).is_some()
    }

    /// Whether `user` is an effective member of `group`: a direct member, or an effective member
    /// of one of its children (false if the group does not exist).
    pub fn is_effective_member(&self, user: &UserId, group: &GroupId) -> bool {
        self.effective(user, group).is_some()
    }

    /// The direct privileges of `user` in `group`, or `None` if it is not a direct member.
    pub fn direct_privileges(&self, user: &UserId, group: &GroupId) -> Option<PrivilegeSet> {
        let g = self.group_idx(group)?;
        let u = self.user_idx(user)?;
        self.node(g)?.members.get(&u).copied()
    }

    /// The effective privileges of `user` in `group`: its direct privileges there united with
    /// the privileges that each child of `group` of which the user is an effective member holds
    /// in `group`. Empty if the user is no effective member (or the group does not exist); an
    /// effective member may also have none.
    pub fn effective_privileges(&self, user: &UserId, group: &GroupId) -> PrivilegeSet {
        self.effective(user, group).unwrap_or(PrivilegeSet::EMPTY)
    }

    pub(super) fn sorted_users(
        &self,
        users: impl Iterator<Item = (u32, PrivilegeSet)>,
    ) -> Vec<(&UserId, PrivilegeSet)> {
        let mut list: Vec<_> = users.filter_map(|(u, p)| Some((self.user_id(u)?, p))).collect();
        list.sort_unstable_by(|a, b| a.0.cmp(b.0));
        list
    }

    /// The direct members of `group` with their direct privileges, sorted by user id; `None` if
    /// the group does not exist.
    pub fn members(&self, group: &GroupId) -> Option<Vec<(&UserId, PrivilegeSet)>> {
        let node = self.node(self.group_idx(group)?)?;
        Some(self.sorted_users(node.members.iter().map(|(&u, &p)| (u, p))))
    }

    /// How many direct members `group` has (0 if it does not exist), without listing them.
    pub fn member_count(&self, group: &GroupId) -> usize {
        self.group_idx(group).and_then(|g| self.node(g)).map_or(0, |node| node.members.len())
    }

    /// How many child groups `group` has (0 if it does not exist), without listing them.
    pub fn child_count(&self, group: &GroupId) -> usize {
        self.group_idx(group).and_then(|g| self.node(g)).map_or(0, |node| node.children.len())
    }

    /// The effective members of `group` with their effective privileges, sorted by user id;
    /// `None` if the group does not exist.
    pub fn effective_members(&self, group: &GroupId) -> Option<Vec<(&UserId, PrivilegeSet)>> {
        let g = self.group_idx(group)?;
        let node = self.node(g)?;
        let privileges = |u: u32| self.access.get(g, u).unwrap_or_default();
        Some(self.sorted_users(node.effective.iter().map(|&u| (u, privileges(u)))))
    }

    /// The children of `group` with the privileges each holds in it, sorted by id; `None` if the
    /// group does not exist.
    pub fn children(&self, group: &GroupId) -> Option<Vec<(&GroupId, PrivilegeSet)>> {
        let node = self.node(self.group_idx(group)?)?;
        let mut list: Vec<_> =
            node.children.iter().filter_map(|(&c, &p)| Some((self.group_id(c)?, p))).collect();
        list.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Some(list)
    }

    /// The groups of which `group` is a child, sorted by id; `None` if the group does not exist.
    pub fn parents(&self, group: &GroupId) -> Option<Vec<&GroupId>> {
        let node = self.node(self.group_idx(group)?)?;
        let mut list: Vec<_> = node.parents.iter().filter_map(|&p| self.group_id(p)).collect();
        list.sort_unstable();
        Some(list)
    }

    /// The privileges `child` holds in `parent`, or `None` if it is not its child.
    pub fn child_privileges(&self, child: &GroupId, parent: &GroupId) -> Option<PrivilegeSet> {
        let c = self.group_idx(child)?;
        self.node(self.group_idx(parent)?)?.children.get(&c).copied()
    }
}
