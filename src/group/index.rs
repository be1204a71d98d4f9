//! The directory's hot tables: string ids → dense indices, and (group, user) → privileges.
//!
//! On a directory of 100 000 groups the lookups of a query miss the caches, so cache misses are
//! what a query costs, and these tables are laid out to have few:
//!
//! - [`IdIndex`] (hashbrown's `HashTable`) holds ids of up to 38 bytes inline in its slots
//!   (Onezone's are 32 characters): comparing the probed id does not follow a pointer to a heap
//!   string. Its control bytes (one per slot, 128 KiB for 100 000 ids) stay cached.
//! - [`Access`], millions of entries, is a [`FlatTable`]: open addressing with linear probing
//!   over one flat array of 12-byte entries, with no control bytes, so a lookup usually costs
//!   one miss where hashbrown's layout costs two once its control bytes no longer fit the cache.

use alloc::vec::Vec;
use core::hash::{BuildHasher, Hasher};

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use super::privilege::PrivilegeSet;

/// A slot value with a distinguished "vacant" state.
pub(crate) trait Vacant {
    /// The vacant slot.
    fn vacant() -> Self;
    /// Whether the slot is vacant.
    fn is_vacant(&self) -> bool;
}

/// Open addressing with linear probing. At most 3/4 full (so a probe always ends); deletion
/// shifts the rest of the cluster back (no tombstones). The caller supplies hashes and, for
/// moving slots, a function rehashing a slot.
#[derive(Clone)]
pub(crate) struct FlatTable<T> {
    /// Empty, or a power of two of slots.
    slots: Vec<T>,
    len: usize,
}

impl<T> Default for FlatTable<T> {
    fn default() -> Self {
        FlatTable { slots: Vec::new(), len: 0 }
    }
}

impl<T: Vacant> FlatTable<T> {
    /// The number of values.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// The slot holding the value `eq` accepts, or else the vacant slot ending its probe; `None`
    /// for a table without slots.
    fn probe(&self, hash: u64, eq: impl Fn(&T) -> bool) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = (hash as usize) & mask;
        loop {
            let slot = self.slots.get(i)?;
            if slot.is_vacant() || eq(slot) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The value `eq` accepts, among those of this hash.
    pub(crate) fn find(&self, hash: u64, eq: impl Fn(&T) -> bool) -> Option<&T> {
        self.slots.get(self.probe(hash, eq)?).filter(|slot| !slot.is_vacant())
    }

    /// The value `eq` accepts, among those of this hash, to change it in place (without
    /// changing its hash).
    pub(crate) fn find_mut(&mut self, hash: u64, eq: impl Fn(&T) -> bool) -> Option<&mut T> {
        let i = self.probe(hash, eq)?;
        self.slots.get_mut(i).filter(|slot| !slot.is_vacant())
    }

    /// Adds `value`, which `eq` must accept and which must not be in the table yet.
    pub(crate) fn insert_new(
        &mut self,
        hash: u64,
        value: T,
        eq: impl Fn(&T) -> bool,
        rehash: impl Fn(&T) -> u64,
    ) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(&rehash);
        }
        let free = self.probe(hash, eq);
        if let Some(slot) = free.and_then(|i| self.slots.get_mut(i)) {
            debug_assert!(slot.is_vacant());
            *slot = value;
            self.len += 1;
        }
    }

    /// Removes and returns the value `eq` accepts, among those of this hash.
    pub(crate) fn remove(
        &mut self,
        hash: u64,
        eq: impl Fn(&T) -> bool,
        rehash: impl Fn(&T) -> u64,
    ) -> Option<T> {
        let mut hole = self.probe(hash, eq)?;
        let removed = core::mem::replace(self.slots.get_mut(hole)?, T::vacant());
        if removed.is_vacant() {
            return None;
        }
        self.len -= 1;
        let mask = self.slots.len() - 1;
        // Walk the rest of the cluster; a value whose probe does not start in (hole, j] moves
        // into the hole, leaving a new hole where it was.
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let Some(slot) = self.slots.get(j) else { break };
            if slot.is_vacant() {
                break;
            }
            let home = (rehash(slot) as usize) & mask;
            let stays = if hole <= j { hole < home && home <= j } else { hole < home || home <= j };
            if !stays {
                self.slots.swap(hole, j);
                hole = j;
            }
        }
        Some(removed)
    }

    fn grow(&mut self, rehash: &impl Fn(&T) -> u64) {
        let size = (self.slots.len() * 2).max(16);
        let mut slots = Vec::with_capacity(size);
        slots.resize_with(size, T::vacant);
        let old = core::mem::replace(&mut self.slots, slots);
        let mask = size - 1;
        for value in old.into_iter().filter(|slot| !slot.is_vacant()) {
            let mut i = (rehash(&value) as usize) & mask;
            while self.slots.get(i).is_some_and(|slot| !slot.is_vacant()) {
                i = (i + 1) & mask;
            }
            if let Some(slot) = self.slots.get_mut(i) {
                *slot = value;
            }
        }
    }
}

/// The longest id stored inline: as long as fits a 48-byte slot.
const INLINE: usize = 38;

/// An id as the index keeps it: inline up to [`INLINE`] bytes.
type Key = crate::id::SmallId<INLINE>;

#[derive(Clone)]
struct Slot {
    key: Key,
    index: u32,
}

/// A map from ids to `u32` indices.
#[derive(Clone, Default)]
pub(crate) struct IdIndex {
    table: HashTable<Slot>,
    /// Seeded per index: the ids are chosen by callers.
    state: RandomState,
}

fn hash_id(state: &RandomState, id: &[u8]) -> u64 {
    let mut hasher = state.build_hasher();
    hasher.write(id);
    hasher.finish()
}

impl IdIndex {
    /// The index of `id`.
    pub(crate) fn get(&self, id: &str) -> Option<u32> {
        let id = id.as_bytes();
        let slot = self.table.find(hash_id(&self.state, id), |slot| slot.key.as_bytes() == id)?;
        Some(slot.index)
    }

    /// Whether `id` has an index.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Gives `id` (which must have none yet) the index `index`.
    pub(crate) fn insert(&mut self, id: &str, index: u32) {
        debug_assert!(!self.contains(id));
        let state = &self.state;
        let slot = Slot { key: Key::new(id), index };
        self.table.insert_unique(hash_id(state, id.as_bytes()), slot, |slot| {
            hash_id(state, slot.key.as_bytes())
        });
    }

    /// Removes `id`, returning its index.
    pub(crate) fn remove(&mut self, id: &str) -> Option<u32> {
        let id = id.as_bytes();
        let entry =
            self.table.find_entry(hash_id(&self.state, id), |slot| slot.key.as_bytes() == id);
        entry.ok().map(|entry| entry.remove().0.index)
    }

    /// The number of ids.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }
}

/// Bits of a group or user index in an [`Access`] entry: indices are below
/// `(1 << INDEX_BITS) - 1`.
pub(crate) const INDEX_BITS: u32 = 26;

/// An [`Access`] entry: the pair's key (group index << 26 | user index, 52 bits) split in two
/// `u32`s, and the privileges' bits (29 of every vocabulary: 17.06's 12 no longer fit a `u64`
/// beside the key with 20.02's names), 12 bytes in all. No key is all ones, the vacant slot:
/// indices stay below `(1 << INDEX_BITS) - 1`.
#[derive(Clone, Copy)]
struct Packed {
    key_high: u32,
    key_low: u32,
    privileges: u32,
}

impl Vacant for Packed {
    fn vacant() -> Self {
        Packed { key_high: u32::MAX, key_low: u32::MAX, privileges: 0 }
    }

    fn is_vacant(&self) -> bool {
        self.key_high == u32::MAX && self.key_low == u32::MAX
    }
}

impl Packed {
    fn new(key: u64, privileges: PrivilegeSet) -> Self {
        // The key has 52 bits: the high part fits a u32.
        Packed { key_high: (key >> 32) as u32, key_low: key as u32, privileges: privileges.bits() }
    }

    fn key(self) -> u64 {
        (u64::from(self.key_high) << 32) | u64::from(self.key_low)
    }

    fn privileges(self) -> Option<PrivilegeSet> {
        PrivilegeSet::from_bits(self.privileges)
    }
}

/// (group index, user index) → effective privileges: the table every query ends in, 12 bytes
/// an entry.
#[derive(Clone, Default)]
pub(crate) struct Access {
    table: FlatTable<Packed>,
    /// Seeded per directory: which users share groups follows from callers' choices.
    state: RandomState,
}

fn hash_pair(state: &RandomState, key: u64) -> u64 {
    let mut hasher = state.build_hasher();
    hasher.write_u64(key);
    hasher.finish()
}

impl Access {
    /// The privileges of the pair, if it is an effective membership.
    pub(crate) fn get(&self, g: u32, u: u32) -> Option<PrivilegeSet> {
        let key = (u64::from(g) << INDEX_BITS) | u64::from(u);
        self.table.find(hash_pair(&self.state, key), |e| e.key() == key)?.privileges()
    }

    /// Sets (`Some`) or removes (`None`) the pair's privileges.
    pub(crate) fn set(&mut self, g: u32, u: u32, privileges: Option<PrivilegeSet>) {
        let key = (u64::from(g) << INDEX_BITS) | u64::from(u);
        let state = &self.state;
        let hash = hash_pair(state, key);
        let rehash = |e: &Packed| hash_pair(state, e.key());
        match privileges {
            Some(p) => {
                let entry = Packed::new(key, p);
                match self.table.find_mut(hash, |e| e.key() == key) {
                    Some(slot) => *slot = entry,
                    None => self.table.insert_new(hash, entry, |e| e.key() == key, rehash),
                }
            }
            None => {
                self.table.remove(hash, |e| e.key() == key, rehash);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;

    #[test]
    fn access_packs_pairs() {
        let mut access = Access::default();
        let top = (1 << INDEX_BITS) - 2;
        let pairs = [(0, 0), (0, 1), (1, 0), (top, 0), (0, top), (top, top), (5, 7)];
        for (i, &(g, u)) in pairs.iter().enumerate() {
            assert_eq!(access.get(g, u), None);
            let p = PrivilegeSet::from_bits((i as u32 * 0x1a5_1a5) & 0x1fff_ffff).unwrap();
            access.set(g, u, Some(p));
            assert_eq!(access.get(g, u), Some(p));
        }
        access.set(top, top, Some(PrivilegeSet::admin()));
        assert_eq!(access.get(top, top), Some(PrivilegeSet::admin()));
        assert_eq!(access.get(0, 1), Some(PrivilegeSet::from_bits(0x1a5_1a5).unwrap()));
        access.set(0, 1, None);
        access.set(0, 1, None);
        assert_eq!(access.get(0, 1), None);
        assert_eq!(access.get(0, 0), Some(PrivilegeSet::EMPTY));
        let p = PrivilegeSet::from_bits((6 * 0x1a5_1a5) & 0x1fff_ffff).unwrap();
        assert_eq!(access.get(5, 7), Some(p));
        for g in 10..2000 {
            access.set(g, g + 1, Some(PrivilegeSet::member()));
        }
        for g in 10..2000 {
            assert_eq!(access.get(g, g + 1), Some(PrivilegeSet::member()));
            assert_eq!(access.get(g + 1, g), None);
        }
    }

    #[test]
    fn access_matches_a_btreemap() {
        use alloc::collections::BTreeMap;
        let mut access = Access::default();
        let mut reference = BTreeMap::new();
        let mut x: u64 = 0x1234_5678;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (g, u) = ((x % 5) as u32, ((x >> 8) % 60) as u32);
            // More inserts than removals early, more removals late: the table grows and drains.
            let insert = (x >> 20) % 20_000 > u64::from(step);
            let p = PrivilegeSet::from_bits(((x >> 32) & 0x1fff_ffff) as u32).unwrap();
            if insert {
                access.set(g, u, Some(p));
                reference.insert((g, u), p);
            } else {
                access.set(g, u, None);
                reference.remove(&(g, u));
            }
            assert_eq!(access.table.len(), reference.len());
            if step % 97 == 0 || !insert {
                for g in 0..5 {
                    for u in 0..60 {
                        assert_eq!(
                            access.get(g, u),
                            reference.get(&(g, u)).copied(),
                            "step {step}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn ids_match_a_btreemap() {
        use alloc::collections::BTreeMap;
        let mut index = IdIndex::default();
        let mut reference: BTreeMap<String, u32> = BTreeMap::new();
        let mut x: u64 = 0x9876_5432;
        let name = |n: u64| {
            if n.is_multiple_of(3) {
                format!("{}-{n}", "long".repeat(12))
            } else {
                format!("id{n}")
            }
        };
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = name(x % 300);
            let insert = (x >> 20) % 20_000 > u64::from(step);
            if insert {
                if let alloc::collections::btree_map::Entry::Vacant(entry) = reference.entry(id) {
                    index.insert(entry.key(), step);
                    entry.insert(step);
                }
            } else {
                assert_eq!(index.remove(&id), reference.remove(&id));
            }
            assert_eq!(index.len(), reference.len());
            if step % 101 == 0 || !insert {
                for n in 0..300 {
                    let id = name(n);
                    assert_eq!(index.get(&id), reference.get(&id).copied(), "step {step}");
                }
            }
        }
    }

    #[test]
    fn slots_are_compact() {
        assert_eq!(core::mem::size_of::<Slot>(), 48);
    }

    #[test]
    fn short_and_long_ids() {
        let mut index = IdIndex::default();
        let ids: [String; 5] = [
            String::from("a"),
            "x".repeat(INLINE),
            "y".repeat(INLINE + 1),
            "z".repeat(128),
            String::from("0123456789abcdef0123456789abcdef"),
        ];
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id), None);
            index.insert(id, i as u32);
        }
        assert_eq!(index.len(), 5);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id), Some(i as u32));
        }
        // Prefixes and extensions are other ids.
        assert_eq!(index.get(&"x".repeat(INLINE - 1)), None);
        assert_eq!(index.get(&"y".repeat(INLINE)), None);
        assert_eq!(index.get(""), None);
        assert_eq!(index.remove(&ids[2]), Some(2));
        assert_eq!(index.remove(&ids[2]), None);
        assert_eq!(index.get(&ids[2]), None);
        assert_eq!(index.get(&ids[3]), Some(3));
        // Growth keeps every entry.
        for i in 0..10_000u32 {
            index.insert(&format!("id{i}"), 100 + i);
        }
        for i in 0..10_000u32 {
            assert_eq!(index.get(&format!("id{i}")), Some(100 + i));
        }
        assert_eq!(index.get(&ids[4]), Some(4));
    }
}
