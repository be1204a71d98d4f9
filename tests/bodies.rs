//! Request bodies and error bodies as a server embedding the crate meets them (issue 16, items
//! 3 and 4; defects 1-4, 6, 7): every request type reads a JSON object only, names the key it
//! refuses and never a Rust type; a usage limit past `i64::MAX` is refused; a 5xx body tells
//! nothing of its detail.

use onezone_tokens::group::{DirectoryError, GroupId, PrivilegeChange, RowsError};
use onezone_tokens::invite::{
    GroupInviteTokenRequest, InviteError, JoinRequest, NamedTokenUpdate, RequestError, Status,
    UsageLimit, read_json_object,
};
use onezone_tokens::token::{Caveat, TokenError};

/// Bodies that are no JSON object. Before the fix `[[],5,[..]]` was read by position (a 5-use
/// token granting `group_update`), `["t"]` joined, and a lone form feed was no body at all.
const NOT_OBJECTS: [&str; 11] = [
    "[]",
    r#"[[],5,["group_view","group_update"]]"#,
    r#"["t"]"#,
    r#"["grant", ["group_update"]]"#,
    "[true]",
    "null",
    "5",
    "\"x\"",
    "false",
    "\u{c}",
    "\u{c}{}",
];

/// The Rust names behind the bodies: no message shows one.
const RUST_NAMES: [&str; 10] = [
    "struct",
    "enum",
    "GroupInviteTokenRequest",
    "JoinRequest",
    "NamedTokenUpdate",
    "PrivilegeChange",
    "CaveatJson",
    "Fields",
    "u64",
    "u32",
];

#[track_caller]
fn no_rust_names(message: &str) {
    for name in RUST_NAMES {
        assert!(!message.contains(name), "{name} in {message:?}");
    }
}

/// A request type's reader, the value dropped.
type Reader = fn(&[u8]) -> Result<(), RequestError>;

/// Each request type's reader: `from_body` where it has one, else `read_json_object`.
fn readers() -> Vec<(&'static str, Reader)> {
    vec![
        ("GroupInviteTokenRequest", |b| GroupInviteTokenRequest::from_body(Some(b)).map(drop)),
        ("JoinRequest", |b| JoinRequest::from_body(Some(b)).map(drop)),
        ("NamedTokenUpdate", |b| NamedTokenUpdate::from_body(Some(b)).map(drop)),
        ("PrivilegeChange", |b| read_json_object::<PrivilegeChange>(b).map(drop)),
    ]
}

#[test]
fn every_request_type_reads_a_json_object_only() {
    for (name, read) in readers() {
        for body in NOT_OBJECTS {
            let refused = read(body.as_bytes()).unwrap_err();
            assert_eq!(refused, RequestError::NotAnObject, "{name} {body:?}");
            let message = InviteError::from(refused).to_string();
            assert_eq!(message, "Invalid request: the body must be a JSON object");
        }
    }
    // serde alone refuses them too: an `axum::Json<JoinRequest>` or a `serde_json::from_str`
    // never reads fields by position.
    for body in NOT_OBJECTS {
        let refused = [
            serde_json::from_str::<GroupInviteTokenRequest>(body).err(),
            serde_json::from_str::<JoinRequest>(body).err(),
            serde_json::from_str::<NamedTokenUpdate>(body).err(),
            serde_json::from_str::<PrivilegeChange>(body).err(),
            serde_json::from_str::<Caveat>(body).err(),
        ];
        for e in refused {
            let e = e.unwrap_or_else(|| panic!("{body:?} read"));
            no_rust_names(&e.to_string());
        }
    }
    assert!(serde_json::from_str::<Caveat>(r#"["time", 4102444800]"#).is_err());
}

#[test]
fn a_refused_value_names_its_key_never_a_rust_type() {
    let cases: [(&str, &[u8], &str); 10] = [
        ("GroupInviteTokenRequest", br#"{"usageLimit": 0}"#, "usageLimit"),
        ("GroupInviteTokenRequest", br#"{"usageLimit": "many"}"#, "usageLimit"),
        ("GroupInviteTokenRequest", br#"{"privileges": "group_view"}"#, "privileges"),
        ("GroupInviteTokenRequest", br#"{"caveats": [["time", 1]]}"#, "caveats"),
        (
            "GroupInviteTokenRequest",
            br#"{"caveats": [{"type": "time", "validUntil": "x"}]}"#,
            "caveats",
        ),
        (
            "GroupInviteTokenRequest",
            br#"{"caveats": [{"type": "asn", "whitelist": [4294967296]}]}"#,
            "caveats",
        ),
        ("JoinRequest", br#"{"token": 5}"#, "token"),
        ("JoinRequest", br#"{"token": null}"#, "token"),
        ("NamedTokenUpdate", br#"{"revoked": "yes"}"#, "revoked"),
        ("PrivilegeChange", br#"{"operation": "add", "privileges": []}"#, "operation"),
    ];
    for (name, body, key) in cases {
        let (_, read) = readers().into_iter().find(|(n, _)| *n == name).unwrap();
        let refused = read(body).unwrap_err();
        assert!(
            matches!(&refused, RequestError::BadValue { key: k, .. } if k == key),
            "{name} {}: {refused:?}",
            String::from_utf8_lossy(body)
        );
        let message = InviteError::from(refused).to_string();
        assert!(
            message.starts_with(&format!("Invalid request: bad value for `{key}`: ")),
            "{message}"
        );
        no_rust_names(&message);
    }
    // A missing key is named by serde's own words.
    let refused = JoinRequest::from_body(Some(b"{}")).unwrap_err().to_string();
    assert!(refused.starts_with("missing field `token`"), "{refused}");
    no_rust_names(&refused);
}

#[test]
fn a_usage_limit_past_i64_is_refused_naming_usage_limit() {
    let read = |limit: &str| {
        GroupInviteTokenRequest::from_body(Some(format!(r#"{{"usageLimit": {limit}}}"#).as_bytes()))
    };
    assert_eq!(UsageLimit::MAX, i64::MAX as u64);
    let max = read("9223372036854775807").unwrap().usage_limit;
    assert_eq!(max, Some(UsageLimit::Limited(UsageLimit::MAX.try_into().unwrap())));
    assert_eq!(read("\"infinity\"").unwrap().usage_limit, Some(UsageLimit::Infinity));
    for limit in
        ["9223372036854775808", "18446744073709551615", "18446744073709551616", "1e3", "-1", "0"]
    {
        match read(limit) {
            Err(RequestError::BadValue { key, reason }) => {
                assert_eq!(key, "usageLimit", "{limit}");
                assert!(
                    reason.ends_with(
                        "expected an integer of at least 1 and at most 9223372036854775807, or \"infinity\""
                    ),
                    "{limit}: {reason}"
                );
            }
            other => panic!("{limit}: {other:?}"),
        }
    }
}

#[test]
fn absent_and_blank_bodies_and_unknown_keys() {
    // The optional body: absent, empty and JSON white space are the empty request.
    for body in [None, Some(&b""[..]), Some(b" \t\r\n"), Some(b"{}")] {
        assert_eq!(
            GroupInviteTokenRequest::from_body(body).unwrap(),
            GroupInviteTokenRequest::default()
        );
    }
    // Unknown keys are ignored, as Onezone ignores them (documented so since; it said "an
    // error" before).
    let request =
        GroupInviteTokenRequest::from_body(Some(br#"{"usageLimit": 2, "colour": [1]}"#)).unwrap();
    assert_eq!(request.usage_limit, Some(UsageLimit::Limited(2.try_into().unwrap())));
    let join = JoinRequest::from_body(Some(br#"{"token": "t", "extra": {"a": 1}}"#)).unwrap();
    assert_eq!(join.token, "t");
    // The join body is required.
    assert_eq!(JoinRequest::from_body(None).unwrap_err(), RequestError::MissingBody);
    assert_eq!(JoinRequest::from_body(Some(b"  ")).unwrap_err(), RequestError::MissingBody);
    assert_eq!(
        NamedTokenUpdate::from_body(Some(b"\n")).unwrap_err(),
        RequestError::NothingToUpdate
    );
    // Text that is not JSON is refused; so is a key given twice.
    for body in [&b"{"[..], b"{\"token\": \"t\"} x"] {
        assert!(
            matches!(JoinRequest::from_body(Some(body)), Err(RequestError::Json(_))),
            "{body:?}"
        );
    }
    let twice = JoinRequest::from_body(Some(br#"{"token": "a", "token": "b"}"#)).unwrap_err();
    assert!(twice.to_string().contains("duplicate field `token`"), "{twice}");
}

#[test]
fn a_5xx_body_is_generic_and_the_detail_stays_for_the_log() {
    let internal = [
        InviteError::InconsistentFacts("privileges in a group said not to exist"),
        InviteError::InconsistentRows(RowsError::Cycle { group: GroupId::new("g").unwrap() }),
        InviteError::Mint(TokenError::InvalidSignature),
    ];
    for e in internal {
        assert_eq!(e.status(), Status::Internal);
        assert_eq!(e.body().error, "Internal server error", "{e:?}");
        // The detail: in Display or in source(), for the server's log.
        let detail = e.to_string();
        let source = core::error::Error::source(&e).map(|s| s.to_string());
        assert!(detail.len() > "Internal server error".len() || source.is_some(), "{e:?}");
    }
    // A 4xx body is Onezone's message, as Display.
    let refused = InviteError::Refused(DirectoryError::WouldCreateCycle {
        parent: GroupId::new("p").unwrap(),
        child: GroupId::new("p").unwrap(),
    });
    assert_eq!(refused.body().error, refused.to_string());
}

/// The `http` feature (CI: `cargo test --features http --test bodies`).
#[cfg(feature = "http")]
mod http_feature {
    use super::*;

    #[test]
    fn statuses_convert_to_http_status_codes() {
        let statuses = [
            Status::BadRequest,
            Status::Unauthorized,
            Status::Forbidden,
            Status::NotFound,
            Status::Internal,
        ];
        for status in statuses {
            assert_eq!(http::StatusCode::from(status).as_u16(), status.code());
        }
    }

    #[test]
    fn an_error_is_a_json_response_and_a_5xx_tells_no_detail() {
        let cases = [
            (InviteError::Unauthenticated, 401, "Authentication error".to_owned()),
            (
                InviteError::from(RequestError::NotAnObject),
                400,
                "Invalid request: the body must be a JSON object".to_owned(),
            ),
            (
                InviteError::InconsistentFacts("a secret detail"),
                500,
                "Internal server error".to_owned(),
            ),
        ];
        for (error, status, message) in cases {
            let response: http::Response<String> = error.clone().into();
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.headers()[http::header::CONTENT_TYPE], "application/json");
            let body: serde_json::Value = serde_json::from_str(response.body()).unwrap();
            assert_eq!(body, serde_json::json!({ "error": message }));
            assert_eq!(error.to_http_response().body(), response.body());
        }
    }
}
