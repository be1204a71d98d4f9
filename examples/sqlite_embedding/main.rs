//! A server whose groups and invite records live in its own SQLite database, normalized, embeds
//! the crate without a `Directory`: each request reads the few rows it needs, the library
//! decides, and the handler writes what the decision says in one transaction.
//! Run with `cargo run --example sqlite_embedding`.
//!
//! The story: alice creates a department and a lab inside it; bob may not invite; alice invites;
//! carol joins; two connections race on a one-use token and exactly one wins; the lab's manager
//! inherits nothing she was not given; a cycle between groups is refused.

mod store;

use std::sync::{Arc, Barrier};

use onezone_tokens::group::{DirectoryLimits, GroupId, GroupType, PrivilegeSet, UserId};
use onezone_tokens::invite::IssuePolicy;
use onezone_tokens::token::CaveatContext;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rusqlite::Connection;
use store::Failure;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        println!(
            "usage: cargo run --example sqlite_embedding\n\nIssues and uses invite tokens over a throwaway SQLite database (normalized tables),\nwith the storage-neutral API of onezone_tokens::invite. Takes no arguments."
        );
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("onezone-sqlite-embedding-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("onezone.db");
    let result = run(&path);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn open(path: &std::path::Path) -> Result<Connection, Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(conn)
}

fn say(result: Result<String, Failure>) {
    match result {
        Ok(location) => println!("   201 Created, Location: {location}\n"),
        Err(e) => println!("   {e}\n"),
    }
}

fn run(path: &std::path::Path) -> Result<(), Error> {
    let now: u64 = 1_800_000_000;
    let mut rng = StdRng::seed_from_u64(2017);
    let policy = IssuePolicy::new("onezone.example.org").with_default_ttl(3600);
    let limits = DirectoryLimits::default();
    let ctx = CaveatContext { now: now + 60, ..Default::default() };
    let user = |id: &str| UserId::new(id);
    let (alice, bob, carol, dave, erin) =
        (user("alice")?, user("bob")?, user("carol")?, user("dave")?, user("erin")?);
    let (dept, lab) = (GroupId::new("dept")?, GroupId::new("lab")?);

    let mut conn = open(path)?;
    conn.execute_batch(onezone_tokens::storage::SCHEMA)?;
    store::create_group(&conn, &alice, &dept, "Department", GroupType::Organization)?;
    store::add_user(&conn, &dept, &bob, PrivilegeSet::member())?;
    store::create_group(&conn, &erin, &lab, "Lab", GroupType::Team)?;
    store::add_child(&conn, &dept, &lab, PrivilegeSet::manager())?;
    println!(
        "1. Tables: dept (alice admin, bob member); lab (erin admin) is dept's child as manager."
    );
    let erin_in_dept = store::effective_privileges(&conn, &erin, &dept, &limits)?;
    println!(
        "   erin's effective privileges in dept, from one recursive query: {erin_in_dept:?}\n"
    );

    println!("2. bob: POST /groups/dept/users/token");
    match store::issue(&mut conn, Some(&bob), "dept", None, &policy, &limits, now, &mut rng, false)
    {
        Ok(_) => return Err("bob may not invite".into()),
        Err(e) => println!("   {e}\n"),
    }

    println!("3. alice: POST /groups/dept/users/token {{}}");
    let token = store::issue(
        &mut conn,
        Some(&alice),
        "dept",
        Some(b"{}"),
        &policy,
        &limits,
        now,
        &mut rng,
        false,
    )?
    .token;
    println!(
        "   200 {{\"token\": \"{}...\"}} (the record is a row of invite_tokens)\n",
        &token[..24]
    );

    println!("4. carol: POST /user/groups/join");
    say(store::join_group(&mut conn, &carol, &token, &ctx, &limits));

    println!("5. carol again with the same token:");
    say(store::join_group(&mut conn, &carol, &token, &ctx, &limits));

    println!("6. A fresh one-use token; dave and frank race for it on two connections:");
    let token = store::issue(
        &mut conn,
        Some(&alice),
        "dept",
        None,
        &policy,
        &limits,
        now,
        &mut rng,
        false,
    )?
    .token;
    let barrier = Arc::new(Barrier::new(2));
    let racers: Vec<_> = [dave.clone(), UserId::new("frank")?]
        .into_iter()
        .map(|who| {
            let (barrier, token, ctx, path) =
                (barrier.clone(), token.clone(), ctx.clone(), path.to_owned());
            std::thread::spawn(move || -> Result<(UserId, Result<String, Failure>), String> {
                let mut conn = open(&path).map_err(|e| e.to_string())?;
                barrier.wait();
                let result = store::join_group(&mut conn, &who, &token, &ctx, &limits);
                Ok((who, result))
            })
        })
        .collect();
    let mut wins = 0;
    for racer in racers {
        let (who, result) = racer.join().map_err(|_| "a racer panicked")??;
        print!("   {who}:");
        wins += usize::from(result.is_ok());
        say(result);
    }
    let token_id = onezone_tokens::invite::InviteToken::parse(&token)?.token_id().to_owned();
    let count = store::usage_count(&conn, &token_id)?;
    println!("   winners: {wins}; the token's usage count: {count:?}\n");
    if wins != 1 || count != Some(1) {
        return Err("a one-use token must be used exactly once".into());
    }

    println!("7. erin invites a group into lab; alice makes dept join lab with it: a cycle.");
    let token =
        store::issue(&mut conn, Some(&erin), "lab", None, &policy, &limits, now, &mut rng, true)?
            .token;
    say(store::join_parent(&mut conn, Some(&alice), "dept", &token, &ctx, &limits));
    Ok(())
}
