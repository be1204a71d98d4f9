//! Tokens in Onezone 20.02's REST JSON: a token type read from `{"accessToken": {}}` and the
//! like (ctool `src/auth/token_type.erl` `from_json`), a subject as `{"type", "id"}` (ctool
//! `aai.erl` `subject_to_json`), what `POST /tokens/examine` answers (oz-worker release/20.02.20
//! `src/http/rest/translators/token_rest_translator.erl`), and `POST /tokens/confine`'s
//! attenuation.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Value, json};

use super::caveat::Caveat;
use super::identifier::{InviteKind, Persistence, Subject, TokenIdentifier, TokenType};
use super::verify::{TokenCaveat, TokenError, UnverifiedToken};
use crate::macaroon::Encoding;

impl TokenType {
    /// Reads a type from Onezone's JSON, the inverse of [`TokenType::onezone_json`]:
    /// `{"accessToken": {}}` (with an optional `sessionId`), `{"identityToken": {}}` or
    /// `{"inviteToken": {"inviteType": .., "<target key>": .., "parameters": {}}}`. `None` for
    /// anything else (Onezone: `badValueTokenType`), including an invite whose target is not a
    /// valid id.
    ///
    /// ```
    /// use onezone_tokens::token::{InviteKind, TokenType};
    /// let json = serde_json::json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": "g1"}});
    /// let read = TokenType::from_onezone_json(&json).unwrap();
    /// assert_eq!(read, TokenType::Invite { kind: InviteKind::UserJoinGroup, target: "g1".into(), params: String::new() });
    /// assert_eq!(TokenType::from_onezone_json(&read.onezone_json()), Some(read));
    /// assert_eq!(TokenType::from_onezone_json(&serde_json::json!("accessToken")), None);
    /// ```
    pub fn from_onezone_json(value: &Value) -> Option<TokenType> {
        let object = value.as_object()?;
        if object.len() != 1 {
            return None;
        }
        let (key, inner) = object.iter().next()?;
        let inner = inner.as_object()?;
        let token_type = match key.as_str() {
            "accessToken" => match inner.get("sessionId") {
                None | Some(Value::Null) => TokenType::Access { session: None },
                Some(Value::String(session)) => {
                    TokenType::Access { session: Some(session.clone()) }
                }
                Some(_) => return None,
            },
            "identityToken" => TokenType::Identity,
            "inviteToken" => {
                let kind = InviteKind::from_name(inner.get("inviteType")?.as_str()?)?;
                let target = inner.get(kind.target_key())?.as_str()?;
                TokenType::Invite { kind, target: target.into(), params: String::new() }
            }
            _ => return None,
        };
        token_type.validate().ok()?;
        Some(token_type)
    }
}

impl<S: AsRef<str>> Subject<S> {
    /// The subject in Onezone's JSON (ctool `aai.erl` `subject_to_json`): `{"type": "user",
    /// "id": ..}`, `"group"`, `"oneprovider"`, or `{"type": "nobody", "id": null}`.
    ///
    /// ```
    /// use onezone_tokens::token::Subject;
    /// assert_eq!(Subject::User("alice").onezone_json(), serde_json::json!({"type": "user", "id": "alice"}));
    /// ```
    pub fn onezone_json(&self) -> Value {
        let (kind, id) = match self {
            Subject::User(id) => ("user", Some(id.as_ref())),
            Subject::Group(id) => ("group", Some(id.as_ref())),
            Subject::Provider(id) => ("oneprovider", Some(id.as_ref())),
            Subject::Nobody => ("nobody", None),
        };
        json!({ "type": kind, "id": id })
    }
}

/// What `POST /tokens/examine` answers for a token, nothing verified (oz-worker release/20.02.20
/// `token_rest_translator.erl`): `{"onezoneDomain", "id", "persistence", "subject", "type",
/// "caveats"}`. A legacy identifier reads as a named access token of no known subject.
///
/// ```
/// use onezone_tokens::macaroon::Secret;
/// use onezone_tokens::token::{TokenIdentifier, UnverifiedToken, examine_json, mint};
/// let id = TokenIdentifier::parse("2/tmp-3/usr-alice/act/t1")?;
/// let caveats = ["time < 1900000000".parse()?];
/// let token = mint(&Secret::new(&b"s"[..]), "oz.example.org", &id, &caveats)?;
/// let examined = examine_json(&UnverifiedToken::parse(&token)?)?;
/// assert_eq!(examined, serde_json::json!({
///     "onezoneDomain": "oz.example.org", "id": "t1", "persistence": "temporary",
///     "subject": {"type": "user", "id": "alice"}, "type": {"accessToken": {}},
///     "caveats": [{"type": "time", "validUntil": 1900000000u64}],
/// }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`TokenError::UnknownCaveat`] for a caveat Onezone does not know (20.02 cannot read such a
/// token).
pub fn examine_json(token: &UnverifiedToken) -> Result<Value, TokenError> {
    let caveats = known_caveats(token)?;
    let (persistence, subject, token_type) = match token.identifier() {
        TokenIdentifier::V2(v2) => (
            match v2.persistence {
                Persistence::Named => "named",
                Persistence::Temporary { .. } => "temporary",
            },
            v2.subject.onezone_json(),
            v2.token_type.onezone_json(),
        ),
        TokenIdentifier::Legacy(_) => (
            "named",
            Subject::<&str>::Nobody.onezone_json(),
            TokenType::<&str>::Access { session: None }.onezone_json(),
        ),
    };
    let domain = token.macaroon().location().map(|l| String::from_utf8_lossy(l).into_owned());
    Ok(json!({
        "onezoneDomain": domain,
        "id": token.identifier().id(),
        "persistence": persistence,
        "subject": subject,
        "type": token_type,
        "caveats": caveats,
    }))
}

fn known_caveats(token: &UnverifiedToken) -> Result<Vec<Caveat>, TokenError> {
    token
        .caveats()
        .into_iter()
        .map(|c| match c {
            TokenCaveat::Known(caveat) => Ok(caveat),
            TokenCaveat::Unknown { text, error } => {
                Err(TokenError::UnknownCaveat { caveat: text, error })
            }
        })
        .collect()
}

/// `POST /tokens/confine`: the token with `caveats` added (anyone holding a token may narrow
/// it; no secret is needed), written in the format and encoding it was read in.
///
/// ```
/// use onezone_tokens::macaroon::Secret;
/// use onezone_tokens::token::{TokenIdentifier, TokenCaveat, UnverifiedToken, confine, mint};
/// let id = TokenIdentifier::parse("2/nmd/usr-alice/act/t1")?;
/// let token = UnverifiedToken::parse(&mint(&Secret::new(&b"s"[..]), "oz", &id, &[])?)?;
/// let narrower = UnverifiedToken::parse(&confine(&token, &["interface = rest".parse()?])?)?;
/// assert_eq!(narrower.caveats(), [TokenCaveat::Known("interface = rest".parse()?)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`TokenError::Malformed`] if the result cannot be written (past the format's limits).
pub fn confine(token: &UnverifiedToken, caveats: &[Caveat]) -> Result<String, TokenError> {
    let mut macaroon = token.macaroon();
    for caveat in caveats {
        macaroon.add_first_party_caveat(caveat.to_string().into_bytes());
    }
    let encoding = if token.escaped() { Encoding::Escaped } else { Encoding::Base64Url };
    macaroon.serialize(token.format(), encoding).map_err(TokenError::Malformed)
}
