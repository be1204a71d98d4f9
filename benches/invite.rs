//! The invite operations end to end, against minting the same token with the engine alone.
//!
//! `issue_invite_token` does the group lookup, the privilege check, the request parsing, two
//! random draws, the identifier and caveat formatting and the mint; the engine row does only the
//! mint of a token of the same shape (same identifier length, one time caveat, V1 escaped).
//! The `in_memory` rows read their facts from a `Directory` (the names of 0.1's rows, so that
//! `--baseline` compares them with the API before facts); the `facts` rows take facts a server
//! read from its own storage, and the join row there is the decision alone.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use onezone_tokens::group::{Directory, GroupId, GroupType, UserId};
use onezone_tokens::invite::in_memory::{issue_invite_token, join_group_with_token};
use onezone_tokens::invite::{
    GroupAccess, InviteToken, InviteUser, IssuePolicy, UserJoinFacts, authorize,
};
use onezone_tokens::macaroon::{Encoding, Format, Macaroon, RootKey};
use onezone_tokens::token::CaveatContext;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const NOW: u64 = 1_800_000_000;

fn bench(c: &mut Criterion) {
    let alice = UserId::new("alice").unwrap();
    let group = GroupId::new("HwUpk8jrwxKOe45uzLFX2GVC8lKEasj4q253sptVqF8").unwrap();
    let mut directory = Directory::new();
    directory.create_group(&alice, group.clone(), "Physicists", GroupType::Team).unwrap();
    let policy = IssuePolicy::new("onezone.example.org");
    let mut rng = StdRng::seed_from_u64(1);

    let sample =
        issue_invite_token(&directory, Some(&alice), group.as_str(), None, &policy, NOW, &mut rng)
            .unwrap();
    let identifier = format!("2/nmd/usr-alice/ujg:{group}:/{}", sample.record.token_id);
    let caveat = format!("time < {}", NOW + policy.default_ttl);

    let mut g = c.benchmark_group("issue_invite_token");
    g.bench_function("issue_invite_token", |b| {
        b.iter(|| {
            issue_invite_token(
                black_box(&directory),
                Some(&alice),
                group.as_str(),
                Some(b"{}"),
                &policy,
                NOW,
                &mut rng,
            )
            .unwrap()
        })
    });
    let access = GroupAccess::from_directory(&directory, Some(&alice), &group);
    g.bench_function("facts", |b| {
        b.iter(|| {
            // Onezone's checks (the proof), then the request and the mint.
            let caller = authorize(InviteUser, &group, Some(&alice), black_box(&access)).unwrap();
            onezone_tokens::invite::issue_invite_token(&caller, Some(b"{}"), &policy, NOW, &mut rng)
                .unwrap()
        })
    });
    g.bench_function("engine_mint_same_token", |b| {
        b.iter(|| {
            // The same work the engine must do: a fresh random secret, derive, sign, serialize.
            let mut secret = [0u8; 32];
            rng.fill_bytes(&mut secret);
            let key = RootKey::derive(&secret);
            let mut m = Macaroon::new(&key, black_box(identifier.as_bytes()))
                .with_location(&b"onezone.example.org"[..]);
            m.add_first_party_caveat(caveat.as_bytes());
            m.serialize(Format::V1, Encoding::Escaped).unwrap()
        })
    });
    g.finish();

    let carol = UserId::new("carol").unwrap();
    let ctx = CaveatContext { now: NOW + 1, ..Default::default() };
    c.bench_function("join_group_with_token", |b| {
        b.iter_batched(
            || {
                let issued = issue_invite_token(
                    &directory,
                    Some(&alice),
                    group.as_str(),
                    None,
                    &policy,
                    NOW,
                    &mut rng,
                )
                .unwrap();
                (directory.clone(), issued)
            },
            |(mut d, mut issued)| {
                let _join = join_group_with_token(
                    &mut d,
                    &mut issued.record,
                    &carol,
                    &issued.response.token,
                    &ctx,
                )
                .unwrap();
                d
            },
            criterion::BatchSize::SmallInput,
        )
    });
    // The decision alone, over facts: parse the token, verify it, check the facts.
    let issued =
        issue_invite_token(&directory, Some(&alice), group.as_str(), None, &policy, NOW, &mut rng)
            .unwrap();
    let token = InviteToken::parse(&issued.response.token).unwrap();
    let needs = token.user_join(&carol, &issued.record, &ctx).unwrap().needs().clone();
    let facts = UserJoinFacts::from_directory(&directory, &needs);
    let limits = *directory.limits();
    c.bench_function("join_group_with_token/facts", |b| {
        b.iter(|| {
            let token = InviteToken::parse(black_box(&issued.response.token)).unwrap();
            onezone_tokens::invite::join_group_with_token(
                &carol,
                &token,
                &issued.record,
                &facts,
                &ctx,
                &limits,
            )
            .unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
