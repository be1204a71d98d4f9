//! Managing issued invites as Onezone 20.02's token routes do: revoking one named token by id
//! (`PATCH /tokens/named/{id}` with `{"revoked": true}`) and listing open invites with their
//! usage and expiry, never their secret. Only the token's subject (its issuer) or a holder of
//! the Onezone-admin privilege `oz_tokens_manage` may.

use onezone_tokens::group::{Directory, GroupId, GroupType, PrivilegeSet, UserId};
use onezone_tokens::invite::in_memory::{issue_invite_token, join_group_with_token};
use onezone_tokens::invite::{
    AdminAccess, InviteError, InviteFilter, InviteRecord, InviteSummary, IssuePolicy,
    NamedTokenUpdate, RequestError, Status, authorize_named_token, list_named_tokens,
    update_named_token,
};
use onezone_tokens::token::{CaveatContext, TokenError};
use rand::SeedableRng;
use rand::rngs::StdRng;

const NOW: u64 = 1_800_000_000;
const ADMIN: AdminAccess = AdminAccess { oz_tokens_manage: true };

fn uid(s: &str) -> UserId {
    UserId::new(s).unwrap()
}
fn gid(s: &str) -> GroupId {
    GroupId::new(s).unwrap()
}
fn ctx() -> CaveatContext {
    CaveatContext { now: NOW + 1, ..Default::default() }
}

/// alice creates g1 and makes bob an admin of it too; each issues an invite.
fn setup() -> (Directory, (String, InviteRecord), (String, InviteRecord)) {
    let mut d = Directory::new();
    d.create_group(&uid("alice"), gid("g1"), "G", GroupType::Team).unwrap();
    d.add_user(&gid("g1"), &uid("bob"), PrivilegeSet::admin()).unwrap();
    let issue = |who: &str, seed| {
        let issued = issue_invite_token(
            &d,
            Some(&uid(who)),
            "g1",
            None,
            &IssuePolicy::new("oz"),
            NOW,
            &mut StdRng::seed_from_u64(seed),
        )
        .unwrap();
        (issued.response.token, issued.record)
    };
    let a = issue("alice", 1);
    let b = issue("bob", 2);
    (d, a, b)
}

#[test]
fn the_issuer_revokes_its_named_token_by_id_and_it_stops_working() {
    let (mut d, (token, mut record), _) = setup();
    let revoke = Some(&br#"{"revoked": true, "name": "ignored", "frob": 1}"#[..]);
    let update =
        update_named_token(Some(&uid("alice")), AdminAccess::NONE, Some(&record), revoke).unwrap();
    assert_eq!(update.token_id, record.token_id);
    assert!(update.revoked);
    assert!(update.apply(&mut record));
    let err =
        join_group_with_token(&mut d, &mut record, &uid("carol"), &token, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::TokenRejected(TokenError::Revoked));
    assert_eq!(record.usage_count, 0);
    // Onezone lets the subject reinstate it.
    let reinstate = Some(&br#"{"revoked": false}"#[..]);
    update_named_token(Some(&uid("alice")), AdminAccess::NONE, Some(&record), reinstate)
        .unwrap()
        .apply(&mut record);
    let _join = join_group_with_token(&mut d, &mut record, &uid("carol"), &token, &ctx()).unwrap();
}

#[test]
fn only_the_subject_or_an_oz_tokens_manage_admin_may_manage_a_token() {
    let (_, (_, record), _) = setup();
    let revoke = Some(&br#"{"revoked": true}"#[..]);
    // bob is an admin of the token's group: group privileges do not matter to Onezone here.
    let err = update_named_token(Some(&uid("bob")), AdminAccess::NONE, Some(&record), revoke)
        .unwrap_err();
    assert_eq!(err, InviteError::NotTokenSubject);
    assert_eq!(err.status(), Status::Forbidden);
    assert_eq!(
        err.to_string(),
        "You are not authorized to perform this operation (only the token's subject or an \
         Onezone admin with oz_tokens_manage may manage it)"
    );
    assert!(update_named_token(Some(&uid("bob")), ADMIN, Some(&record), revoke).is_ok());
    assert_eq!(
        authorize_named_token(Some(&uid("bob")), AdminAccess::NONE, Some(&record)).unwrap_err(),
        InviteError::NotTokenSubject
    );
    assert_eq!(
        authorize_named_token(Some(&uid("alice")), AdminAccess::NONE, Some(&record)).unwrap(),
        &record
    );
}

#[test]
fn checks_come_in_onezones_order() {
    let (_, (_, record), _) = setup();
    let bad = Some(&b"{bad"[..]);
    let status = |r: Result<_, InviteError>| r.map(|_| ()).unwrap_err().status().code();
    // No such token beats everything, then authentication, then the subject, then the body.
    assert_eq!(status(update_named_token(None, AdminAccess::NONE, None, bad)), 404);
    assert_eq!(
        update_named_token(None, AdminAccess::NONE, None, bad).unwrap_err().to_string(),
        "The resource could not be found"
    );
    assert_eq!(status(update_named_token(None, AdminAccess::NONE, Some(&record), bad)), 401);
    assert_eq!(
        status(update_named_token(Some(&uid("bob")), AdminAccess::NONE, Some(&record), bad)),
        403
    );
    let alice_id = uid("alice");
    let alice = Some(&alice_id);
    assert_eq!(status(update_named_token(alice, AdminAccess::NONE, Some(&record), bad)), 400);
    for body in [None, Some(&b""[..]), Some(&b"{}"[..]), Some(&br#"{"name": "x"}"#[..])] {
        let err = update_named_token(alice, AdminAccess::NONE, Some(&record), body).unwrap_err();
        assert_eq!(err, InviteError::InvalidRequest(RequestError::NothingToUpdate));
        assert_eq!(
            err.to_string(),
            "Invalid request: missing data, you must provide at least one of: revoked"
        );
    }
    let err = NamedTokenUpdate::from_body(Some(br#"{"revoked": "yes"}"#)).unwrap_err();
    assert!(matches!(&err, RequestError::BadValue { key, .. } if key == "revoked"), "{err}");
}

#[test]
fn listings_show_usage_and_expiry_of_open_invites_but_never_the_secret() {
    let (mut d, (token, mut alices), (_, bobs)) = setup();
    let mut spent = alices.clone();
    spent.token_id = "spent".into();
    spent.usage_count = 1;
    let mut revoked = alices.clone();
    revoked.token_id = "revoked".into();
    revoked.revoked = true;
    let mut elsewhere = alices.clone();
    elsewhere.token_id = "elsewhere".into();
    elsewhere.group_id = gid("g2");
    let records = [alices.clone(), bobs.clone(), spent, revoked, elsewhere];

    let open = InviteFilter::open_in_group(gid("g1"), NOW + 1);
    let listed =
        list_named_tokens(Some(&uid("alice")), AdminAccess::NONE, &records, &open).unwrap();
    assert_eq!(listed, vec![InviteSummary::from(&alices)]);
    let all =
        list_named_tokens(Some(&uid("alice")), AdminAccess::NONE, &records, &InviteFilter::all())
            .unwrap();
    assert_eq!(all.len(), 4, "alice's own, bob's hidden");
    let admin = list_named_tokens(Some(&uid("bob")), ADMIN, &records, &open).unwrap();
    assert_eq!(admin.len(), 2);
    // Expired: nothing is open any more.
    let later = InviteFilter::open_in_group(gid("g1"), alices.valid_until);
    assert!(list_named_tokens(Some(&uid("alice")), ADMIN, &records, &later).unwrap().is_empty());

    // Usage shows; the secret and the token never do.
    let _join = join_group_with_token(&mut d, &mut alices, &uid("carol"), &token, &ctx()).unwrap();
    let json = serde_json::to_value(InviteSummary::from(&alices)).unwrap();
    assert_eq!(json["usageCount"], 1);
    assert_eq!(json["usageLimit"], 1);
    assert_eq!(json["validUntil"], alices.valid_until);
    assert_eq!(json["privileges"], serde_json::json!(["group_view"]));
    let text = json.to_string();
    let secret = serde_json::to_value(&alices).unwrap()["secret"].as_str().unwrap().to_owned();
    assert!(!text.contains(&secret) && !text.contains(&token) && !text.contains("secret"));
    assert!(!alices.is_open_at(NOW + 1), "used up");
}
