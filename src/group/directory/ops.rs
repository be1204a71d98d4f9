//! Changing a directory: groups, memberships, links and privileges, each checked first.

use super::*;

impl Directory {
    /// Creates a group; `creator` becomes its direct member with all privileges
    /// ([`PrivilegeSet::admin`]).
    ///
    /// Refused if the id is taken ([`DirectoryError::GroupExists`]), the name is blank, longer
    /// than [`MAX_NAME_LEN`](crate::group::MAX_NAME_LEN) bytes or holds a control character
    /// ([`DirectoryError::InvalidName`]), or a limit would be exceeded.
    pub fn create_group(
        &mut self,
        creator: &UserId,
        id: GroupId,
        name: impl Into<String>,
        group_type: GroupType,
    ) -> Result<(), DirectoryError> {
        let name = name.into();
        if let Some(problem) = name_problem(&name) {
            return Err(DirectoryError::InvalidName { group: id, problem });
        }
        if self.group_index.contains(id.as_str()) {
            return Err(DirectoryError::GroupExists(id));
        }
        let g = match to_index(self.groups.len()) {
            Some(g) if self.groups.len() < self.limits.group_cap() => g,
            _ => {
                return Err(DirectoryError::TooManyGroups {
                    group: id,
                    max: self.limits.group_cap(),
                });
            }
        };
        if self.limits.max_members_per_group == 0 {
            return Err(DirectoryError::TooManyMembers {
                group: id,
                user: creator.clone(),
                max: 0,
            });
        }
        let u = self.intern_user(creator)?;
        self.group_index.insert(id.as_str(), g);
        let mut node = GroupNode::new(Group { id, name, group_type });
        node.members.insert(u, PrivilegeSet::admin());
        node.effective.insert(u);
        self.access.set(g, u, Some(PrivilegeSet::admin()));
        self.groups.push(node);
        if let Some(Some(user)) = self.users.get_mut(u as usize) {
            user.direct += 1;
            user.groups.insert(g);
        }
        Ok(())
    }

    /// Makes `user` a direct member of `group` with `privileges`. No actor is checked: this is
    /// the raw operation behind joining with an invite token.
    ///
    /// Refused if the group does not exist, the user is already a direct member, or a limit
    /// would be exceeded.
    pub fn add_user(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<(), DirectoryError> {
        let g = self.require(group)?;
        let node = self.node(g).ok_or_else(|| DirectoryError::NoSuchGroup(group.clone()))?;
        if self.user_idx(user).is_some_and(|u| node.members.contains_key(&u)) {
            return Err(DirectoryError::AlreadyMember { user: user.clone(), group: group.clone() });
        }
        if node.members.len() >= self.limits.max_members_per_group {
            return Err(DirectoryError::TooManyMembers {
                group: group.clone(),
                user: user.clone(),
                max: self.limits.max_members_per_group,
            });
        }
        let u = self.intern_user(user)?;
        if let Some(node) = self.groups.get_mut(g as usize) {
            node.members.insert(u, privileges);
        }
        if let Some(Some(user)) = self.users.get_mut(u as usize) {
            user.direct += 1;
        }
        let order = self.up_closure(g);
        self.refresh(&[u], &order);
        Ok(())
    }

    /// Removes `user`'s direct membership of `group` and returns the direct privileges it had.
    /// No actor is checked (see [`Directory::remove_user_as`]).
    ///
    /// Refused if the group does not exist or the user is not a direct member. The user stays
    /// an effective member if it is one through a child.
    pub fn remove_user(
        &mut self,
        group: &GroupId,
        user: &UserId,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let g = self.require(group)?;
        let not_a_member =
            || DirectoryError::NotAMember { user: user.clone(), group: group.clone() };
        let u = self.user_idx(user).ok_or_else(not_a_member)?;
        let old = self
            .groups
            .get_mut(g as usize)
            .and_then(|node| node.members.remove(&u))
            .ok_or_else(not_a_member)?;
        let order = self.up_closure(g);
        self.refresh(&[u], &order);
        self.release_user(u);
        Ok(old)
    }

    /// [`Directory::remove_user`] on behalf of `actor`, who needs `group_remove_user` among its
    /// effective privileges in `group`.
    pub fn remove_user_as(
        &mut self,
        actor: &UserId,
        group: &GroupId,
        user: &UserId,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let g = self.require(group)?;
        self.authorize(actor, g, group, Privilege::GroupRemoveUser)?;
        self.remove_user(group, user)
    }

    /// Makes `child` a child of `parent`, holding `privileges` there: the effective members of
    /// `child` become effective members of `parent` (and of its ancestors) with those
    /// privileges. No actor is checked: this is the raw operation behind a group joining another
    /// with an invite token.
    ///
    /// Refused if a group does not exist, `child` is `parent` or one of its ancestors
    /// ([`DirectoryError::WouldCreateCycle`]), it is already a child, or a limit (children,
    /// depth) would be exceeded.
    pub fn add_child(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<(), DirectoryError> {
        let p = self.require(parent)?;
        let c = self.require(child)?;
        let parent_node =
            self.node(p).ok_or_else(|| DirectoryError::NoSuchGroup(parent.clone()))?;
        if parent_node.children.contains_key(&c) {
            return Err(DirectoryError::AlreadyChild {
                child: child.clone(),
                parent: parent.clone(),
            });
        }
        // A self-link is never a child already; `shape` finds it closes a cycle (`p` is in `order`).
        // Refusals come in this order: a cycle, too many children, too deep.
        let order = self.up_closure(p);
        let shape = self.shape(p, c, &order);
        if !shape.closes_cycle && parent_node.children.len() >= self.limits.max_children_per_group {
            return Err(DirectoryError::TooManyChildren {
                parent: parent.clone(),
                child: child.clone(),
                max: self.limits.max_children_per_group,
            });
        }
        shape.check(parent, child, &self.limits)?;
        let child_height = self.node(c).map_or(0, |node| node.height);

        if let Some(node) = self.groups.get_mut(p as usize) {
            node.children.insert(c, privileges);
            node.height = node.height.max(child_height + 1);
        }
        if let Some(node) = self.groups.get_mut(c as usize) {
            node.parents.insert(p);
        }
        // Heights only grow: push them up, children before parents.
        for &x in &order {
            let Some(node) = self.node(x) else { continue };
            let (height, parents): (usize, Vec<u32>) =
                (node.height, node.parents.iter().copied().collect());
            for q in parents {
                if let Some(up) = self.groups.get_mut(q as usize) {
                    up.height = up.height.max(height + 1);
                }
            }
        }
        let users = self.effective_user_list(c);
        self.refresh(&users, &order);
        Ok(())
    }

    /// What a new link `parent` → `child` would do to the graph (see [`LinkShape`]); `None` if
    /// a group does not exist. [`LinkShape::check`] on it refuses what [`Directory::add_child`]
    /// refuses for the graph's shape.
    pub fn link_shape(&self, parent: &GroupId, child: &GroupId) -> Option<LinkShape> {
        let (p, c) = (self.group_idx(parent)?, self.group_idx(child)?);
        Some(self.shape(p, c, &self.up_closure(p)))
    }

    /// The shape of a new link `p` → `c`, given `order`, the up-closure of `p`.
    pub(super) fn shape(&self, p: u32, c: u32, order: &[u32]) -> LinkShape {
        // The longest chain of links above each group of `order`: parents come after children
        // in `order`, so walk it backwards.
        let mut above: Map<u32, usize> = Map::default();
        for &x in order.iter().rev() {
            if x == c {
                return LinkShape::new(true, 0);
            }
            let depth = self.node(x).map_or(0, |node| {
                node.parents.iter().filter_map(|q| above.get(q)).map(|d| d + 1).max().unwrap_or(0)
            });
            above.insert(x, depth);
        }
        let child_height = self.node(c).map_or(0, |node| node.height);
        LinkShape::new(false, above.get(&p).copied().unwrap_or(0) + 1 + child_height)
    }

    /// Unlinks `child` from `parent` and returns the privileges it held there. No actor is
    /// checked (see [`Directory::remove_child_as`]).
    ///
    /// Refused if a group does not exist or `child` is not a child of `parent`.
    pub fn remove_child(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let p = self.require(parent)?;
        let c = self.require(child)?;
        let old =
            self.groups.get_mut(p as usize).and_then(|node| node.children.remove(&c)).ok_or_else(
                || DirectoryError::NotAChild { child: child.clone(), parent: parent.clone() },
            )?;
        if let Some(node) = self.groups.get_mut(c as usize) {
            node.parents.remove(&p);
        }
        let order = self.up_closure(p);
        // Heights may shrink: recompute them, children before parents.
        for &x in &order {
            let height = self.node(x).map_or(0, |node| {
                node.children
                    .keys()
                    .filter_map(|&k| self.node(k))
                    .map(|child| child.height + 1)
                    .max()
                    .unwrap_or(0)
            });
            if let Some(node) = self.groups.get_mut(x as usize) {
                node.height = height;
            }
        }
        let users = self.effective_user_list(c);
        self.refresh(&users, &order);
        Ok(old)
    }

    /// [`Directory::remove_child`] on behalf of `actor`, who needs `group_remove_group` among
    /// its effective privileges in `parent`.
    pub fn remove_child_as(
        &mut self,
        actor: &UserId,
        parent: &GroupId,
        child: &GroupId,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let p = self.require(parent)?;
        self.authorize(actor, p, parent, Privilege::GroupRemoveGroup)?;
        self.remove_child(parent, child)
    }

    /// Changes the direct privileges of `user` in `group` on behalf of `actor`, who needs
    /// `group_set_privileges` among its effective privileges in `group`. Returns the user's new
    /// direct privileges.
    ///
    /// Refused if the group does not exist, the actor lacks the privilege, or `user` is not a
    /// direct member (checked in that order).
    pub fn change_user_privileges(
        &mut self,
        actor: &UserId,
        group: &GroupId,
        user: &UserId,
        change: PrivilegeChange,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let g = self.require(group)?;
        self.authorize(actor, g, group, Privilege::GroupSetPrivileges)?;
        let not_a_member =
            || DirectoryError::NotAMember { user: user.clone(), group: group.clone() };
        let u = self.user_idx(user).ok_or_else(not_a_member)?;
        let old =
            self.node(g).and_then(|node| node.members.get(&u).copied()).ok_or_else(not_a_member)?;
        let new = change.apply(old);
        if new != old {
            if let Some(node) = self.groups.get_mut(g as usize) {
                node.members.insert(u, new);
            }
            let order = self.up_closure(g);
            self.refresh(&[u], &order);
        }
        Ok(new)
    }

    /// Changes the privileges `child` holds in `parent` on behalf of `actor`, who needs
    /// `group_set_privileges` among its effective privileges in `parent`. Returns the child's
    /// new privileges there.
    ///
    /// Refused if a group does not exist, the actor lacks the privilege, or `child` is not a
    /// child of `parent`.
    pub fn change_child_privileges(
        &mut self,
        actor: &UserId,
        parent: &GroupId,
        child: &GroupId,
        change: PrivilegeChange,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let p = self.require(parent)?;
        self.authorize(actor, p, parent, Privilege::GroupSetPrivileges)?;
        let c = self.require(child)?;
        let old =
            self.node(p).and_then(|node| node.children.get(&c).copied()).ok_or_else(|| {
                DirectoryError::NotAChild { child: child.clone(), parent: parent.clone() }
            })?;
        let new = change.apply(old);
        if new != old {
            if let Some(node) = self.groups.get_mut(p as usize) {
                node.children.insert(c, new);
            }
            let order = self.up_closure(p);
            let users = self.effective_user_list(c);
            self.refresh(&users, &order);
        }
        Ok(new)
    }
}
