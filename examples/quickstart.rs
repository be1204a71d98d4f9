//! The main example: Onezone's group invite API (`POST /groups/{id}/users/token`, then joining)
//! from start to end, as a server embedding the crate would run it. Run with
//! `cargo run --example quickstart`.
//!
//! alice creates a group; bob, a plain member, may not mint an invite; alice mints one; the token
//! is inspected; carol joins with it; a second use fails on the usage limit; an expired token
//! fails with its reason.

use onezone_tokens::group::{Directory, GroupId, GroupType, PrivilegeSet, UserId};
use onezone_tokens::invite::in_memory::{issue_invite_token, join_group_with_token};
use onezone_tokens::invite::{InviteError, InviteToken, IssuePolicy};
use onezone_tokens::token::{CaveatContext, TokenCaveat, UnverifiedToken};
use rand::SeedableRng;
use rand::rngs::StdRng;

const USAGE: &str = "\
usage: cargo run --example quickstart [-- --help]

The main example: a group invite token issued, inspected and used, as a server embedding the
crate runs it (alice, bob and carol; a usage limit; an expired token). Takes no arguments.";

/// `--help` prints the usage and exits 0; any other argument exits 2 (the example takes none).
fn answer_help(usage: &str) {
    if let Some(arg) = std::env::args().nth(1) {
        if arg == "--help" || arg == "-h" {
            println!("{usage}");
            std::process::exit(0);
        }
        eprintln!("error: unexpected argument `{arg}` (see --help)");
        std::process::exit(2);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    answer_help(USAGE);
    // Time and randomness are the server's to give; fixed here so the story is reproducible.
    let now: u64 = 1_800_000_000;
    let mut rng = StdRng::seed_from_u64(2017);
    let policy = IssuePolicy::new("onezone.example.org").with_default_ttl(3600);
    let (alice, bob, carol, dave) =
        (UserId::new("alice")?, UserId::new("bob")?, UserId::new("carol")?, UserId::new("dave")?);
    let group = GroupId::new("HwUpk8jrwxKOe45uzLFX2GVC8lKEasj4q253sptVqF8")?;

    let mut directory = Directory::new();
    directory.create_group(&alice, group.clone(), "Physicists", GroupType::Team)?;
    directory.add_user(&group, &bob, PrivilegeSet::member())?;
    println!("1. alice creates group {group} (she gets admin); bob joins as a plain member.\n");

    println!("2. bob asks: POST /groups/{group}/users/token");
    let refused =
        issue_invite_token(&directory, Some(&bob), group.as_str(), None, &policy, now, &mut rng)
            .expect_err("bob lacks group_invite_user");
    print_error(&refused);

    println!("3. alice asks the same, with body {{}}");
    let issued = issue_invite_token(
        &directory,
        Some(&alice),
        group.as_str(),
        Some(b"{}"),
        &policy,
        now,
        &mut rng,
    )?;
    println!("   200 {}", serde_json::to_string(&issued.response)?);
    let mut record = issued.record;
    println!(
        "   the server stores: token id {}, usage limit {}, privileges {:?}\n",
        record.token_id,
        record.usage_limit,
        record.privileges.iter().map(|p| p.as_str()).collect::<Vec<_>>()
    );

    println!("4. What the token says (nothing in it is trusted yet):");
    let token = UnverifiedToken::parse(&issued.response.token)?;
    println!("   identifier {}", token.identifier());
    for caveat in token.caveats() {
        if let TokenCaveat::Known(c) = caveat {
            println!("   caveat     {c}  (JSON {})", serde_json::to_string(&c)?);
        }
    }
    println!();

    println!("5. carol: POST /user/groups/join {{\"token\": ...}}");
    // The server finds the record by the token id, then joins inside one transaction.
    assert_eq!(InviteToken::parse(&issued.response.token)?.token_id(), record.token_id);
    let ctx = CaveatContext { now: now + 60, ..Default::default() };
    let joined =
        join_group_with_token(&mut directory, &mut record, &carol, &issued.response.token, &ctx)?;
    println!("   201 Created, Location: {}", joined.location());
    println!(
        "   carol's effective privileges: {:?}; uses so far: {}\n",
        directory
            .effective_privileges(&carol, &group)
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>(),
        record.usage_count
    );

    println!("6. dave tries the same token again:");
    let spent =
        join_group_with_token(&mut directory, &mut record, &dave, &issued.response.token, &ctx)
            .expect_err("the usage limit is 1");
    print_error(&spent);

    println!("7. A fresh token, used by dave two hours later (it lives one hour):");
    let issued =
        issue_invite_token(&directory, Some(&alice), group.as_str(), None, &policy, now, &mut rng)?;
    let mut record = issued.record;
    let late = CaveatContext { now: now + 7200, ..Default::default() };
    let expired =
        join_group_with_token(&mut directory, &mut record, &dave, &issued.response.token, &late)
            .expect_err("the token expired");
    print_error(&expired);
    println!("   dave is a member: {}", directory.is_effective_member(&dave, &group));
    Ok(())
}

fn print_error(e: &InviteError) {
    let body = serde_json::to_string(&e.body()).unwrap_or_default();
    println!("   {} {body}\n", e.status().code());
}
