//! How fast `Directory::effective_privileges` answers as a directory grows.
//!
//! Directories of 10, 1 000 and 100 000 groups are built as a random forest (a deterministic
//! seed, an inline PRNG): each group is created by a random user, then joins a random earlier
//! group as a child (unless it is a root, one in ten, or the chain would pass 10 links, in
//! which case it joins an ancestor of that group), then gets ~9 more random members. There are as
//! many users as groups, so each user is a direct member of ~10 groups.
//!
//! - `effective_privileges/mixed/N`: a pre-generated list of 4096 (user, group) pairs, cycled
//!   through; half are effective memberships (a user and a random ancestor of one of its
//!   groups), half are random pairs (almost all non-members).
//! - `effective_privileges/member/N`: only the effective memberships.
//! - `add_remove_user/N`: a mutation for scale: a new user joins a random group and leaves.
//! - `id_lookup/100000`: why a hash map: looking up one of 100 000 ids in a `BTreeMap`, in
//!   hashbrown with foldhash (what the directory uses), and in std's `HashMap` (SipHash).

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use onezone_tokens::group::{Directory, GroupId, GroupType, PrivilegeSet, UserId};

/// SplitMix64: small, fast, and good enough for shuffling a benchmark.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Onezone-like ids: 32 hex digits.
fn group_id(i: usize) -> GroupId {
    GroupId::new(format!(
        "{:016x}{:016x}",
        i as u64 ^ 0x5eed,
        (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    ))
    .unwrap()
}

fn user_id(i: usize) -> UserId {
    UserId::new(format!("{:016x}{:016x}", (i as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9), i as u64))
        .unwrap()
}

const MAX_DEPTH: usize = 10;
const MEMBERS: usize = 10;
const PAIRS: usize = 4096;

struct World {
    dir: Directory,
    groups: Vec<GroupId>,
    users: Vec<UserId>,
    /// (user, group) pairs of effective membership, and random pairs.
    members: Vec<(UserId, GroupId)>,
    mixed: Vec<(UserId, GroupId)>,
}

fn build(n: usize, seed: u64) -> World {
    let mut rng = Rng(seed);
    let groups: Vec<GroupId> = (0..n).map(group_id).collect();
    let users: Vec<UserId> = (0..n).map(user_id).collect();
    let mut dir = Directory::new();
    let mut parent: Vec<Option<usize>> = Vec::with_capacity(n);
    let mut depth: Vec<usize> = Vec::with_capacity(n);
    let mut direct: Vec<(usize, usize)> = Vec::with_capacity(n * MEMBERS);
    let levels = [
        PrivilegeSet::member(),
        PrivilegeSet::manager(),
        PrivilegeSet::admin(),
        PrivilegeSet::from_bits(0x0a5a).unwrap(),
    ];
    for (i, id) in groups.iter().enumerate() {
        let creator = rng.below(n);
        dir.create_group(&users[creator], id.clone(), format!("group {i}"), GroupType::Team)
            .unwrap();
        direct.push((creator, i));
        let mut up = if i == 0 || rng.below(10) == 0 { None } else { Some(rng.below(i)) };
        while let Some(j) = up.filter(|&j| depth[j] >= MAX_DEPTH) {
            up = parent[j];
        }
        if let Some(j) = up {
            dir.add_child(&groups[j], id, levels[rng.below(levels.len())]).unwrap();
        }
        depth.push(up.map_or(0, |j| depth[j] + 1));
        parent.push(up);
        for _ in 1..MEMBERS {
            let user = rng.below(n);
            if dir.add_user(id, &users[user], levels[rng.below(levels.len())]).is_ok() {
                direct.push((user, i));
            }
        }
    }
    let mut members = Vec::with_capacity(PAIRS);
    let mut mixed = Vec::with_capacity(PAIRS);
    for k in 0..PAIRS {
        let (user, mut group) = direct[rng.below(direct.len())];
        for _ in 0..rng.below(MAX_DEPTH + 1) {
            group = parent[group].unwrap_or(group);
        }
        let member = (users[user].clone(), groups[group].clone());
        assert!(dir.is_effective_member(&member.0, &member.1));
        members.push(member.clone());
        mixed.push(if k % 2 == 0 {
            member
        } else {
            (users[rng.below(n)].clone(), groups[rng.below(n)].clone())
        });
    }
    World { dir, groups, users, members, mixed }
}

fn bench_groups(c: &mut Criterion) {
    let worlds: Vec<(usize, World)> = [10, 1_000, 100_000]
        .into_iter()
        .map(|n| {
            let start = Instant::now();
            let world = build(n, 0x0123_4567_89ab_cdef ^ n as u64);
            let hits =
                world.mixed.iter().filter(|(u, g)| world.dir.is_effective_member(u, g)).count();
            eprintln!(
                "built {n} groups, {} users in {:.2?} ({} of {} mixed pairs are memberships)",
                world.dir.user_count(),
                start.elapsed(),
                hits,
                world.mixed.len(),
            );
            (n, world)
        })
        .collect();

    let mut group = c.benchmark_group("effective_privileges");
    for (n, world) in &worlds {
        for (name, pairs) in [("mixed", &world.mixed), ("member", &world.members)] {
            group.bench_with_input(BenchmarkId::new(name, n), pairs, |b, pairs| {
                let mut i = 0;
                b.iter(|| {
                    let (user, group) = &pairs[i % PAIRS];
                    i += 1;
                    black_box(world.dir.effective_privileges(black_box(user), black_box(group)))
                })
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("add_remove_user");
    for (n, world) in &worlds {
        let mut dir = world.dir.clone();
        let newcomer = UserId::new("newcomer").unwrap();
        let mut rng = Rng(7);
        let targets: Vec<GroupId> =
            (0..PAIRS).map(|_| world.groups[rng.below(world.groups.len())].clone()).collect();
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let mut i = 0;
            b.iter(|| {
                let target = &targets[i % PAIRS];
                i += 1;
                dir.add_user(target, &newcomer, PrivilegeSet::manager()).unwrap();
                dir.remove_user(target, &newcomer).unwrap()
            })
        });
    }
    group.finish();

    let (_, big) = &worlds[2];
    let mut group = c.benchmark_group("id_lookup");
    let keys: Vec<&UserId> = {
        let mut rng = Rng(11);
        (0..PAIRS).map(|_| &big.users[rng.below(big.users.len())]).collect()
    };
    let btree: BTreeMap<UserId, u32> =
        big.users.iter().enumerate().map(|(i, u)| (u.clone(), i as u32)).collect();
    let mut brown: hashbrown::HashMap<UserId, u32, foldhash::fast::RandomState> =
        hashbrown::HashMap::default();
    brown.extend(big.users.iter().enumerate().map(|(i, u)| (u.clone(), i as u32)));
    let sip: HashMap<UserId, u32> =
        big.users.iter().enumerate().map(|(i, u)| (u.clone(), i as u32)).collect();
    macro_rules! lookup {
        ($name:literal, $map:expr) => {
            group.bench_function(BenchmarkId::new($name, big.users.len()), |b| {
                let mut i = 0;
                b.iter(|| {
                    let key = keys[i % PAIRS];
                    i += 1;
                    black_box($map.get(black_box(key)))
                })
            });
        };
    }
    lookup!("btreemap", btree);
    lookup!("hashbrown_foldhash", brown);
    lookup!("std_hashmap_siphash", sip);
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench_groups
}
criterion_main!(benches);
