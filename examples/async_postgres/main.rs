//! An async server's invite handlers over PostgreSQL: the embedding of `onezone-tokens` in a
//! tokio service, through the library's storage contract (`onezone_tokens::storage`) and its
//! decisions. Issue, a user join, a child join under the link lock, verify; then races: 50 joins
//! on a one-use token and on a five-use token (exactly 1 and 5 winners), and 20 two-group cycle
//! races (never a cycle). It prints what happened and exits non-zero if anything is off.
//!
//! ```sh
//! ONEZONE_PG_URL=postgres://user@127.0.0.1:5432/scratch cargo run --example async_postgres
//! ```
//! (CI runs it against the throwaway PostgreSQL of `server/pg.sh`.) Its rows are prefixed with a
//! fresh run id, so it can run again on the same database.
//!
//! Why tokio-postgres: it is the async client that the reference server's sync `postgres` crate
//! wraps (one wire implementation in the workspace), it has no compile-time database step, and
//! it binds parameters by their declared SQL types, strictly: exactly the case the contract's
//! `CAST(.. AS BIGINT)` is for (sqlx behaves the same way; any driver that binds `&str`, `i64`,
//! `bool` and `&[u8]` fits).
//!
//! Async rules shown here: the library's calls are synchronous and quick, made between
//! `.await`s; the random generator is made inside the synchronous block that issues
//! (`rand::rng()` held across an `.await` would make the handler's future `!Send`); each request
//! is one transaction, and exactly-once is the database's job (`USE_INVITE`, `INSERT ... ON
//! CONFLICT DO NOTHING`, the link lock).

mod db;

use std::process::ExitCode;
use std::sync::Arc;

use db::Failure;
use onezone_tokens::group::{DirectoryLimits, GroupId, PrivilegeSet, UserId};
use onezone_tokens::invite::{
    ChildJoinFacts, GroupInviteToken, InviteError, InviteGroup, InviteToken, InviteUser,
    IssuePolicy, JoinParent, UserJoinFacts, authorize, group_from_path, issue_child_invite_token,
    issue_invite_token,
};
use onezone_tokens::storage::{self, Dialect};
use onezone_tokens::token::CaveatContext;
use tokio::sync::Barrier;
use tokio_postgres::{Client, NoTls};

const NOW: u64 = 1_800_000_000; // a server passes `onezone_tokens::unix_seconds(SystemTime::now())`

/// What every handler needs: the issuing policy and the group limits.
struct Server {
    url: String,
    policy: IssuePolicy,
    limits: DirectoryLimits,
}

type Result<T, E = Failure> = std::result::Result<T, E>;

async fn connect(url: &str) -> Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("connection: {e}");
        }
    });
    Ok(client)
}

// ----- the handlers -----

/// `POST /groups/{id}/users/token` (`child`: `/children/token`).
async fn issue(
    s: &Server,
    db: &mut Client,
    caller: &UserId,
    id: &str,
    child: bool,
) -> Result<GroupInviteToken> {
    let group = group_from_path(id)?;
    let tx = db.transaction().await?;
    let access = db::access(&tx, Some(caller), &group, &s.limits).await?;
    let issued = {
        // The generator lives in this block only: nothing here awaits.
        let mut rng = rand::rng();
        if child {
            let caller = authorize(InviteGroup, &group, Some(caller), &access)?;
            issue_child_invite_token(&caller, None, &s.policy, NOW, &mut rng)?
        } else {
            let caller = authorize(InviteUser, &group, Some(caller), &access)?;
            issue_invite_token(&caller, Some(br#"{"usageLimit": 1}"#), &s.policy, NOW, &mut rng)?
        }
    };
    db::put_invite(&tx, &issued.record).await?;
    tx.commit().await?;
    Ok(issued.response)
}

/// `POST /user/groups/join`: the `Location` of the `201 Created` answer.
async fn join_group(s: &Server, db: &mut Client, user: &UserId, token: &str) -> Result<String> {
    let token = InviteToken::parse(token)?;
    let ctx = CaveatContext::at(NOW + 60);
    let tx = db.transaction().await?;
    let record = db::invite(&tx, token.token_id()).await?.ok_or(InviteError::InvalidToken)?;
    let pending = token.user_join(user, &record, &ctx)?; // signature, caveats, uses left
    let needs = pending.needs();
    let facts = UserJoinFacts {
        issuer: db::access(&tx, Some(&needs.issuer), &needs.group, &s.limits).await?,
        membership: db::membership(&tx, needs, &s.limits).await?,
    };
    let join = pending.decide(&facts, &s.limits)?;
    // A named invite's use (a temporary one, which this example never reads, has none).
    if let Some(token_use) = &join.token_use
        && !db::changed(&tx, storage::USE_INVITE, &[&token_use.token_id]).await?
    {
        return Err(token_use.spent().into()); // dropping `tx` rolls back
    }
    let bits = storage::privileges_to_column(join.privileges);
    let params: &[&(dyn tokio_postgres::types::ToSql + Sync)] =
        &[&join.group.as_str(), &join.user.as_str(), &bits];
    if !db::changed(&tx, storage::INSERT_MEMBERSHIP, params).await? {
        return Err(join.already_member().into());
    }
    tx.commit().await?;
    Ok(join.location())
}

/// `POST /groups/{id}/parents/join`: group `id` joins the token's group as its child.
async fn join_parent(
    s: &Server,
    db: &mut Client,
    actor: &UserId,
    id: &str,
    token: &str,
) -> Result<String> {
    let child = group_from_path(id)?;
    let ctx = CaveatContext::at(NOW + 60);
    let tx = db.transaction().await?;
    // 404, 401, 403 for the joining group come before the token is read.
    let access = db::access(&tx, Some(actor), &child, &s.limits).await?;
    let child = authorize(JoinParent, &child, Some(actor), &access)?;
    let token = InviteToken::parse(token)?;
    let record = db::invite(&tx, token.token_id()).await?.ok_or(InviteError::InvalidToken)?;
    let pending = token.child_join(&child, &record, &ctx)?;
    // The shape check and the insert must not interleave with another link's.
    if let Some(lock) = Dialect::Postgres.lock_child_links() {
        tx.batch_execute(lock).await?;
    }
    let needs = pending.needs();
    let facts = ChildJoinFacts {
        issuer: db::access(&tx, Some(&needs.issuer), &needs.parent, &s.limits).await?,
        link: db::child_link(&tx, needs, &s.limits).await?,
    };
    let join = pending.decide(&facts, &s.limits)?;
    if let Some(token_use) = &join.token_use
        && !db::changed(&tx, storage::USE_INVITE, &[&token_use.token_id]).await?
    {
        return Err(token_use.spent().into());
    }
    let bits = storage::privileges_to_column(join.privileges);
    let params: &[&(dyn tokio_postgres::types::ToSql + Sync)] =
        &[&join.parent.as_str(), &join.child.as_str(), &bits];
    if !db::changed(&tx, storage::INSERT_CHILD_LINK, params).await? {
        return Err(join.already_child().into());
    }
    tx.commit().await?;
    Ok(join.location())
}

// ----- a world to run them in (the server's other routes) -----

/// Creates a group whose creator is its admin (no checks: setup only).
async fn create_group(db: &Client, creator: &UserId, group: &GroupId) -> Result<()> {
    let (g, c) = (group.as_str(), creator.as_str());
    db.execute(storage::INSERT_GROUP, &[&g, &g, &"team", &c]).await?;
    let admin = storage::privileges_to_column(PrivilegeSet::admin());
    db.execute(storage::INSERT_MEMBERSHIP, &[&g, &c, &admin]).await?;
    Ok(())
}

fn id<T>(make: fn(String) -> Result<T, onezone_tokens::group::IdError>, text: String) -> T {
    make(text.clone()).unwrap_or_else(|e| panic!("{text}: {e}")) // ids made here, never from input
}

/// `n` requests at once, each on its own connection, released together; the number that won.
async fn race<F, Fut>(s: &Arc<Server>, n: usize, request: F) -> Result<usize>
where
    F: Fn(Arc<Server>, Client, usize) -> Fut,
    Fut: std::future::Future<Output = Result<String>> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::new();
    for i in 0..n {
        let client = connect(&s.url).await?;
        let (barrier, fut) = (barrier.clone(), request(s.clone(), client, i));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            fut.await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.map_err(|e| Failure::Db(e.to_string()))? {
            Ok(_) => won += 1,
            Err(Failure::Api(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(won)
}

async fn run(url: String) -> Result<bool> {
    let s = Arc::new(Server {
        url: url.clone(),
        policy: IssuePolicy::new("onezone.example.org"),
        limits: DirectoryLimits::default(),
    });
    let mut db = connect(&url).await?;
    db.batch_execute(storage::SCHEMA).await?;
    let run_id = format!("r{:08x}", rand::random::<u32>());
    let user = |name: &str| id(UserId::new, format!("{run_id}-{name}"));
    let group = |name: &str| id(GroupId::new, format!("{run_id}-{name}"));
    let (alice, carol, dave) = (user("alice"), user("carol"), user("dave"));
    let (lab, dept) = (group("lab"), group("dept"));
    create_group(&db, &alice, &lab).await?;
    create_group(&db, &dave, &dept).await?;
    let mut ok = true;
    let mut check = |what: &str, good: bool| {
        println!("{} {what}", if good { "ok  " } else { "FAIL" });
        ok &= good;
    };

    // Issue, verify, join.
    let invite = issue(&s, &mut db, &alice, lab.as_str(), false).await?;
    let token = InviteToken::parse(&invite.token)?;
    let record = db::invite(&db, token.token_id()).await?.ok_or(InviteError::InvalidToken)?;
    let verified = token.verify(&record, &CaveatContext::at(NOW + 60))?;
    check("alice issues a one-use invite to lab; it verifies against its record", {
        verified.group() == &lab && verified.uses_left() == Some(1)
    });
    let refused = issue(&s, &mut db, &carol, lab.as_str(), false).await;
    check("carol, no member of lab, may not issue one (403)", {
        matches!(&refused, Err(Failure::Api(e)) if e.status().code() == 403)
    });
    let joined = join_group(&s, &mut db, &carol, &invite.token).await?;
    check(&format!("carol joins lab: 201, Location: {joined}"), true);
    let again = join_group(&s, &mut db, &dave, &invite.token).await;
    check("dave's join with the spent token is refused (400)", {
        matches!(&again, Err(Failure::Api(InviteError::UsageLimitReached { .. })))
    });

    // A child join under the link lock: dept joins lab.
    let child_invite = issue(&s, &mut db, &alice, lab.as_str(), true).await?;
    let located = join_parent(&s, &mut db, &dave, dept.as_str(), &child_invite.token).await?;
    check(&format!("dave joins dept to lab as its child: 201, Location: {located}"), true);

    // 50 joins racing on a one-use and on a five-use token.
    for (uses, body) in [(1u64, r#"{"usageLimit": 1}"#), (5, r#"{"usageLimit": 5}"#)] {
        let g = group(&format!("race{uses}"));
        create_group(&db, &alice, &g).await?;
        let issued = {
            let access = db::access(&db, Some(&alice), &g, &s.limits).await?;
            let caller = authorize(InviteUser, &g, Some(&alice), &access)?;
            let mut rng = rand::rng();
            issue_invite_token(&caller, Some(body.as_bytes()), &s.policy, NOW, &mut rng)?
        };
        db::put_invite(&db, &issued.record).await?;
        let token = Arc::new(issued.response.token);
        let won = race(&s, 50, |s, mut client, i| {
            let (token, joiner) = (token.clone(), user(&format!("joiner{i}")));
            async move { join_group(&s, &mut client, &joiner, &token).await }
        })
        .await?;
        let members: i64 = db
            .query_one("SELECT COUNT(*) FROM group_users WHERE group_id = $1", &[&g.as_str()])
            .await?
            .try_get(0)?;
        let used = db::invite(&db, &issued.record.token_id).await?.map(|r| r.usage_count);
        check(
            &format!(
                "50 joins race on a {uses}-use token: {won} won, {} new members, usage count {}",
                members - 1,
                used.unwrap_or(0)
            ),
            won as u64 == uses && members - 1 == uses as i64 && used == Some(uses),
        );
    }

    // 20 two-group cycle races: a joins b while b joins a; at most one link may stand.
    let mut cycles = 0;
    let mut links = 0;
    for i in 0..20 {
        let (a, b) = (group(&format!("a{i}")), group(&format!("b{i}")));
        create_group(&db, &alice, &a).await?;
        create_group(&db, &alice, &b).await?;
        let into_a = issue(&s, &mut db, &alice, a.as_str(), true).await?.token;
        let into_b = issue(&s, &mut db, &alice, b.as_str(), true).await?.token;
        let pair = Arc::new([(b.clone(), into_a), (a.clone(), into_b)]);
        let alice = alice.clone();
        race(&s, 2, move |s, mut client, i| {
            let (pair, alice) = (pair.clone(), alice.clone());
            async move {
                let (joining, token) = &pair[i];
                join_parent(&s, &mut client, &alice, joining.as_str(), token).await
            }
        })
        .await?;
        let stood: i64 = db
            .query_one(
                "SELECT COUNT(*) FROM group_children WHERE (parent_id = $1 AND child_id = $2)
                 OR (parent_id = $2 AND child_id = $1)",
                &[&a.as_str(), &b.as_str()],
            )
            .await?
            .try_get(0)?;
        links += stood;
        cycles += i64::from(stood > 1);
    }
    check(&format!("20 two-group cycle races: {links} links made, {cycles} cycles"), {
        cycles == 0 && links == 20
    });
    Ok(ok)
}

#[tokio::main]
async fn main() -> ExitCode {
    const USAGE: &str = "usage: async_postgres [postgres://...]\n\nRuns the invite handlers \
        and their races on a scratch PostgreSQL database\n(the URL, or ONEZONE_PG_URL).";
    let arg = std::env::args().nth(1);
    if matches!(arg.as_deref(), Some("--help" | "-h")) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let Some(url) = arg.or_else(|| std::env::var("ONEZONE_PG_URL").ok()) else {
        eprintln!("error: no database URL\n{USAGE}");
        return ExitCode::from(2);
    };
    match run(url).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
