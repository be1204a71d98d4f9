//! HTTP basic authentication against salted Argon2id password hashes.
//!
//! Argon2id with its default cost (19 MiB, 2 passes) takes tens of milliseconds a check by
//! design, too slow to pay on every request. A successful check is therefore remembered in
//! memory, for the life of the process, as an HMAC-SHA-256 of the password under a random
//! per-process key: a request with the same user and password is then checked in constant time
//! against that tag, without Argon2. Nothing of it is ever written anywhere, and a wrong password
//! always goes through the full Argon2 check (as does an unknown user, against a dummy hash), so
//! the time of a 401 does not tell whether a user exists. At most as many Argon2 checks run at
//! once as the machine has cores: each takes 19 MiB.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::HeaderValue;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use onezone_tokens::group::UserId;
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::Sha256;
use tokio::sync::Semaphore;

type Tag = Hmac<Sha256>;

/// The Argon2id cost of new password hashes. Checking uses the cost written in each hash.
pub fn default_params() -> Params {
    Params::default()
}

/// Hashes a password with a fresh random salt, as a PHC string (`$argon2id$v=19$m=...`).
///
/// # Errors
/// If the OS random source fails or the parameters are refused.
pub fn hash_password(password: &str, params: &Params) -> Result<String, String> {
    let mut salt = [0u8; 16];
    SysRng.try_fill_bytes(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon2
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("cannot hash a password: {e}"))
}

/// The users who may log in, and what was already checked.
pub struct Users {
    hashes: HashMap<String, String>,
    /// A hash of no one's password, checked for unknown users.
    dummy: String,
    key: [u8; 32],
    verified: Mutex<HashMap<String, Vec<u8>>>,
    hashing: Arc<Semaphore>,
}

impl Users {
    /// The users with these password hashes (PHC strings).
    ///
    /// # Errors
    /// If the OS random source fails.
    pub fn new(hashes: HashMap<String, String>, params: &Params) -> Result<Users, String> {
        let mut key = [0u8; 32];
        SysRng.try_fill_bytes(&mut key).map_err(|e| format!("no randomness: {e}"))?;
        let mut nothing = [0u8; 24];
        SysRng.try_fill_bytes(&mut nothing).map_err(|e| format!("no randomness: {e}"))?;
        let dummy =
            hash_password(&base64::engine::general_purpose::STANDARD.encode(nothing), params)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Users {
            hashes,
            dummy,
            key,
            verified: Mutex::new(HashMap::new()),
            hashing: Arc::new(Semaphore::new(cores)),
        })
    }

    /// The number of users.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether there is no user.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    fn tag(&self, user: &str, password: &str) -> Tag {
        // Keyed with a fixed-length key; the user name's length keeps the fields apart.
        let mut mac = match Tag::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(&(user.len() as u64).to_be_bytes());
        mac.update(user.as_bytes());
        mac.update(password.as_bytes());
        mac
    }

    /// The user an `Authorization: Basic ...` header proves, or `None` (no header, another
    /// scheme, a malformed one, an unknown user or a wrong password).
    pub async fn authenticate(self: &Arc<Self>, header: Option<&HeaderValue>) -> Option<UserId> {
        let (user, password) = parse_basic(header?)?;
        let id = UserId::new(user.as_str()).ok();
        let remembered = self.verified.lock().ok()?.get(&user).cloned();
        if let Some(tag) = remembered
            && self.tag(&user, &password).verify_slice(&tag).is_ok()
        {
            return id;
        }
        let _permit = self.hashing.clone().acquire_owned().await.ok()?;
        let users = Arc::clone(self);
        let check_user = user.clone();
        let ok = tokio::task::spawn_blocking(move || {
            let (hash, known) = match users.hashes.get(&check_user) {
                Some(hash) => (hash.as_str(), true),
                None => (users.dummy.as_str(), false),
            };
            let ok = Argon2::default().verify_password(password.as_bytes(), hash).is_ok() && known;
            if ok {
                let tag = users.tag(&check_user, &password).finalize().into_bytes().to_vec();
                if let Ok(mut verified) = users.verified.lock() {
                    verified.insert(check_user, tag);
                }
            }
            ok
        })
        .await
        .ok()?;
        if ok { id } else { None }
    }
}

/// `user:password` from a basic authorization header.
fn parse_basic(header: &HeaderValue) -> Option<(String, String)> {
    let text = header.to_str().ok()?.trim();
    let (scheme, encoded) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).unwrap()
    }

    #[test]
    fn basic_headers() {
        // "alice:se:cret"
        let h = header("Basic YWxpY2U6c2U6Y3JldA==");
        assert_eq!(parse_basic(&h), Some(("alice".into(), "se:cret".into())));
        assert_eq!(
            parse_basic(&header("basic  YWxpY2U6c2U6Y3JldA== ")).map(|p| p.0),
            Some("alice".into())
        );
        assert_eq!(parse_basic(&header("Bearer YWxpY2U6c2U6Y3JldA==")), None);
        assert_eq!(parse_basic(&header("Basic !!!")), None);
        // "alice" (no colon)
        assert_eq!(parse_basic(&header("Basic YWxpY2U=")), None);
    }

    #[tokio::test]
    async fn passwords() {
        let params = Params::new(64, 1, 1, None).unwrap();
        let hash = hash_password("secret", &params).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert_ne!(hash, hash_password("secret", &params).unwrap(), "salted");
        let users = Arc::new(Users::new(HashMap::from([("alice".into(), hash)]), &params).unwrap());
        let basic = |u: &str, p: &str| {
            let e = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            header(&format!("Basic {e}"))
        };
        let alice = Some(UserId::new("alice").unwrap());
        assert_eq!(users.authenticate(Some(&basic("alice", "secret"))).await, alice);
        // Now remembered: the same answer, and a wrong password still fails.
        assert_eq!(users.authenticate(Some(&basic("alice", "secret"))).await, alice);
        assert_eq!(users.authenticate(Some(&basic("alice", "secreT"))).await, None);
        assert_eq!(users.authenticate(Some(&basic("alice", ""))).await, None);
        assert_eq!(users.authenticate(Some(&basic("bob", "secret"))).await, None);
        assert_eq!(users.authenticate(None).await, None);
    }
}
