//! Keeping the index of effective privileges up to date after a change.

use super::*;

impl Directory {
    /// Refuses unless `actor` holds `privilege` among its effective privileges in group `g`.
    pub(super) fn authorize(
        &self,
        actor: &UserId,
        g: u32,
        group: &GroupId,
        privilege: Privilege,
    ) -> Result<(), DirectoryError> {
        let held =
            self.user_idx(actor).and_then(|u| self.access.get(g, u)).unwrap_or(PrivilegeSet::EMPTY);
        // Under either vocabulary's name: a 20.02 `group_remove_child` removes a child as a
        // 17.06 `group_remove_group` does.
        if held.allows(privilege) {
            Ok(())
        } else {
            Err(DirectoryError::MissingPrivilege {
                actor: actor.clone(),
                group: group.clone(),
                privilege,
            })
        }
    }

    /// The index of `id`, interning it if new. Fails (changing nothing) only on the user limit.
    pub(super) fn intern_user(&mut self, id: &UserId) -> Result<u32, DirectoryError> {
        if let Some(u) = self.user_idx(id) {
            return Ok(u);
        }
        let too_many =
            || DirectoryError::TooManyUsers { user: id.clone(), max: self.limits.user_cap() };
        if self.user_index.len() >= self.limits.user_cap() {
            return Err(too_many());
        }
        let node = UserNode { id: id.clone(), direct: 0, groups: Set::default() };
        let u = match self.free_users.pop() {
            Some(u) => u,
            None => to_index(self.users.len()).ok_or_else(too_many)?,
        };
        match self.users.get_mut(u as usize) {
            Some(slot) => *slot = Some(node),
            None => self.users.push(Some(node)),
        }
        self.user_index.insert(id.as_str(), u);
        Ok(u)
    }

    /// Frees user `u`'s slot once it has no direct membership left (and so no effective one).
    pub(super) fn release_user(&mut self, u: u32) {
        let Some(slot) = self.users.get_mut(u as usize) else { return };
        let Some(node) = slot.as_mut() else { return };
        node.direct = node.direct.saturating_sub(1);
        if node.direct == 0 {
            debug_assert!(node.groups.is_empty());
            if let Some(node) = slot.take() {
                self.user_index.remove(node.id.as_str());
                self.free_users.push(u);
            }
        }
    }

    pub(super) fn effective_user_list(&self, g: u32) -> Vec<u32> {
        self.node(g).map(|node| node.effective.iter().copied().collect()).unwrap_or_default()
    }

    /// `origin` and all its ancestors, each before all of its own ancestors (`origin` first).
    pub(super) fn up_closure(&self, origin: u32) -> Vec<u32> {
        // The common case, a tree: follow the single parents.
        let mut chain = vec![origin];
        let mut at = origin;
        loop {
            let Some(node) = self.node(at) else { return chain };
            match node.parents.len() {
                0 => return chain,
                1 => match node.parents.iter().next() {
                    Some(&p) => {
                        chain.push(p);
                        at = p;
                    }
                    None => return chain,
                },
                _ => break,
            }
        }
        // A group with several parents: reverse post-order of a depth-first walk up.
        let mut visited: Set<u32> = Set::default();
        let mut post = Vec::new();
        let mut stack = vec![(origin, false)];
        while let Some((x, expanded)) = stack.pop() {
            if expanded {
                post.push(x);
                continue;
            }
            if !visited.insert(x) {
                continue;
            }
            stack.push((x, true));
            if let Some(node) = self.node(x) {
                stack.extend(
                    node.parents.iter().filter(|p| !visited.contains(*p)).map(|&p| (p, false)),
                );
            }
        }
        post.reverse();
        post
    }

    /// Recomputes the effective entries of each of `users` in the groups of `order` (a group,
    /// then its ancestors, each before its own ancestors) from the definition, given that the
    /// entries of every other group are right. Only the first group of `order` and the parents
    /// of groups whose entry changed are looked at.
    pub(super) fn refresh(&mut self, users: &[u32], order: &[u32]) {
        let Some(&origin) = order.first() else { return };
        let mut dirty: Set<u32> = Set::default();
        for &u in users {
            dirty.clear();
            dirty.insert(origin);
            for &a in order {
                if !dirty.contains(&a) {
                    continue;
                }
                let (Some(node), Some(user)) = (self.node(a), self.user_node(u)) else { continue };
                let mut member = false;
                let mut privileges = PrivilegeSet::EMPTY;
                if let Some(&direct) = node.members.get(&u) {
                    member = true;
                    privileges |= direct;
                }
                // The children of `a` of which `u` is an effective member: walk the smaller side.
                if node.children.len() <= user.groups.len() {
                    for (c, &held) in &node.children {
                        if user.groups.contains(c) {
                            member = true;
                            privileges |= held;
                        }
                    }
                } else {
                    for g in &user.groups {
                        if let Some(&held) = node.children.get(g) {
                            member = true;
                            privileges |= held;
                        }
                    }
                }
                let new = member.then_some(privileges);
                if self.access.get(a, u) == new {
                    continue;
                }
                dirty.extend(node.parents.iter().copied());
                self.access.set(a, u, new);
                if let Some(node) = self.groups.get_mut(a as usize) {
                    match new {
                        Some(_) => node.effective.insert(u),
                        None => node.effective.remove(&u),
                    };
                }
                if let Some(Some(user)) = self.users.get_mut(u as usize) {
                    match new {
                        Some(_) => user.groups.insert(a),
                        None => user.groups.remove(&a),
                    };
                }
            }
        }
    }
}
