//! Reading and writing a directory with serde, re-checking everything on the way in.

use super::*;

impl Directory {
    /// Reads a directory serialized by its `Serialize` implementation, checking it against
    /// `limits` (the `Deserialize` implementation uses the default ones).
    ///
    /// ```
    /// use onezone_tokens::group::{Directory, DirectoryLimits};
    /// let json = r#"{"groups": [{"groupId": "a", "name": "A"}, {"groupId": "b", "name": "B"}],
    ///     "members": [], "children": [{"parentId": "a", "childId": "b", "privileges": []}]}"#;
    /// let flat = DirectoryLimits::default().with_max_depth(0);
    /// let mut de = serde_json::Deserializer::from_str(json);
    /// let err = Directory::deserialize_with_limits(&mut de, flat).unwrap_err();
    /// assert!(err.to_string().contains("nest groups 1 levels deep"));
    /// ```
    pub fn deserialize_with_limits<'de, D: Deserializer<'de>>(
        deserializer: D,
        limits: DirectoryLimits,
    ) -> Result<Self, D::Error> {
        let snapshot = Snapshot::deserialize(deserializer)?;
        Directory::from_snapshot(snapshot, limits)
            .map_err(|e| de::Error::custom(format_args!("invalid group directory: {e}")))
    }

    fn from_snapshot(snapshot: Snapshot, limits: DirectoryLimits) -> Result<Self, DirectoryError> {
        let mut dir = Directory::with_limits(limits);
        for group in snapshot.groups {
            if let Some(problem) = name_problem(&group.name) {
                return Err(DirectoryError::InvalidName { group: group.id, problem });
            }
            if dir.group_index.contains(group.id.as_str()) {
                return Err(DirectoryError::GroupExists(group.id));
            }
            let g = match to_index(dir.groups.len()) {
                Some(g) if dir.groups.len() < limits.group_cap() => g,
                _ => {
                    return Err(DirectoryError::TooManyGroups {
                        group: group.id,
                        max: limits.group_cap(),
                    });
                }
            };
            dir.group_index.insert(group.id.as_str(), g);
            dir.groups.push(GroupNode::new(group));
        }
        for link in snapshot.children {
            let p = dir.require(&link.parent)?;
            let c = dir.require(&link.child)?;
            if p == c {
                return Err(DirectoryError::WouldCreateCycle {
                    parent: link.parent,
                    child: link.child,
                });
            }
            let Some(node) = dir.groups.get_mut(p as usize) else { continue };
            if node.children.contains_key(&c) {
                return Err(DirectoryError::AlreadyChild {
                    child: link.child,
                    parent: link.parent,
                });
            }
            if node.children.len() >= limits.max_children_per_group {
                return Err(DirectoryError::TooManyChildren {
                    parent: link.parent,
                    child: link.child,
                    max: limits.max_children_per_group,
                });
            }
            node.children.insert(c, link.privileges);
            if let Some(node) = dir.groups.get_mut(c as usize) {
                node.parents.insert(p);
            }
        }
        let order = dir.children_first()?;
        for &x in &order {
            let Some(node) = dir.node(x) else { continue };
            let deepest = node
                .children
                .keys()
                .filter_map(|&c| Some((c, dir.node(c)?.height + 1)))
                .max_by_key(|&(c, h)| (h, core::cmp::Reverse(c)));
            let height = deepest.map_or(0, |(_, h)| h);
            if let Some((c, h)) = deepest.filter(|&(_, h)| h > limits.max_depth) {
                return Err(DirectoryError::TooDeep {
                    parent: node.group.id.clone(),
                    child: dir.group_id(c).cloned().unwrap_or_else(|| node.group.id.clone()),
                    depth: h,
                    max: limits.max_depth,
                });
            }
            if let Some(node) = dir.groups.get_mut(x as usize) {
                node.height = height;
            }
        }
        for member in snapshot.members {
            let g = dir.require(&member.group)?;
            let Some(node) = dir.node(g) else { continue };
            if dir.user_idx(&member.user).is_some_and(|u| node.members.contains_key(&u)) {
                return Err(DirectoryError::AlreadyMember {
                    user: member.user,
                    group: member.group,
                });
            }
            if node.members.len() >= limits.max_members_per_group {
                return Err(DirectoryError::TooManyMembers {
                    group: member.group,
                    user: member.user,
                    max: limits.max_members_per_group,
                });
            }
            let u = dir.intern_user(&member.user)?;
            if let Some(node) = dir.groups.get_mut(g as usize) {
                node.members.insert(u, member.privileges);
            }
            if let Some(Some(user)) = dir.users.get_mut(u as usize) {
                user.direct += 1;
            }
        }
        // The index, children first: a group's effective members are its direct members and
        // the effective members of its children.
        for &x in &order {
            let Some(node) = dir.node(x) else { continue };
            let mut effective = node.members.clone();
            for (&c, &held) in &node.children {
                let Some(child) = dir.node(c) else { continue };
                for &u in &child.effective {
                    *effective.entry(u).or_default() |= held;
                }
            }
            let mut members = Set::default();
            members.reserve(effective.len());
            for (u, privileges) in effective {
                if let Some(Some(user)) = dir.users.get_mut(u as usize) {
                    user.groups.insert(x);
                }
                dir.access.set(x, u, Some(privileges));
                members.insert(u);
            }
            if let Some(node) = dir.groups.get_mut(x as usize) {
                node.effective = members;
            }
        }
        Ok(dir)
    }

    /// Every group, each after all of its children; refused if the links form a cycle.
    fn children_first(&self) -> Result<Vec<u32>, DirectoryError> {
        let mut pending: Vec<usize> = self.groups.iter().map(|node| node.children.len()).collect();
        let mut ready: Vec<u32> = (0..self.groups.len())
            .filter(|&i| pending.get(i) == Some(&0))
            .filter_map(to_index)
            .collect();
        let mut order = Vec::with_capacity(self.groups.len());
        while let Some(x) = ready.pop() {
            order.push(x);
            let Some(node) = self.node(x) else { continue };
            for &p in &node.parents {
                if let Some(count) = pending.get_mut(p as usize) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        ready.push(p);
                    }
                }
            }
        }
        // Every group left has a child left: follow such children until one repeats.
        let left = |g: &u32| pending.get(*g as usize).is_some_and(|&n| n > 0);
        let Some(first) = self
            .groups
            .iter()
            .find(|node| self.group_idx(&node.group.id).is_some_and(|g| left(&g)))
        else {
            return Ok(order);
        };
        let mut at = self.group_idx(&first.group.id);
        let mut seen: Set<u32> = Set::default();
        while let Some(x) = at {
            if !seen.insert(x) {
                break;
            }
            at = self.node(x).and_then(|node| node.children.keys().copied().filter(left).min());
        }
        let group = at.and_then(|g| self.group_id(g)).unwrap_or(&first.group.id);
        Err(DirectoryError::Cycle { group: group.clone() })
    }
}

/// The serialized form of a [`Directory`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    groups: Vec<Group>,
    members: Vec<Membership>,
    children: Vec<Link>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Membership {
    #[serde(rename = "groupId")]
    group: GroupId,
    #[serde(rename = "userId")]
    user: UserId,
    privileges: PrivilegeSet,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    #[serde(rename = "parentId")]
    parent: GroupId,
    #[serde(rename = "childId")]
    child: GroupId,
    privileges: PrivilegeSet,
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    groups: Vec<&'a Group>,
    members: Vec<MembershipRef<'a>>,
    children: Vec<LinkRef<'a>>,
}

#[derive(Serialize)]
struct MembershipRef<'a> {
    #[serde(rename = "groupId")]
    group: &'a GroupId,
    #[serde(rename = "userId")]
    user: &'a UserId,
    privileges: PrivilegeSet,
}

#[derive(Serialize)]
struct LinkRef<'a> {
    #[serde(rename = "parentId")]
    parent: &'a GroupId,
    #[serde(rename = "childId")]
    child: &'a GroupId,
    privileges: PrivilegeSet,
}

impl Serialize for Directory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut groups: Vec<&Group> = self.groups().collect();
        groups.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let mut members = Vec::new();
        let mut children = Vec::new();
        for node in &self.groups {
            let group = &node.group.id;
            for (&u, &privileges) in &node.members {
                if let Some(user) = self.user_id(u) {
                    members.push(MembershipRef { group, user, privileges });
                }
            }
            for (&c, &privileges) in &node.children {
                if let Some(child) = self.group_id(c) {
                    children.push(LinkRef { parent: group, child, privileges });
                }
            }
        }
        members.sort_unstable_by(|a, b| (a.group, a.user).cmp(&(b.group, b.user)));
        children.sort_unstable_by(|a, b| (a.parent, a.child).cmp(&(b.parent, b.child)));
        SnapshotRef { groups, members, children }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Directory {
    /// Reads a directory with the default [`DirectoryLimits`], re-checking every invariant.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Directory::deserialize_with_limits(deserializer, DirectoryLimits::default())
    }
}
