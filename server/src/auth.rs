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
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum_extra::headers::authorization::Basic;
use axum_extra::headers::{Authorization, HeaderMapExt};
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

/// What was already checked, and the bound on Argon2 work.
pub struct Users {
    /// A hash of no one's password, checked for unknown users.
    dummy: String,
    key: [u8; 32],
    /// user -> (the hash it was checked against, the tag of the password that matched it).
    verified: Mutex<HashMap<String, (String, Vec<u8>)>>,
    hashing: Arc<Semaphore>,
}

/// What an `Authorization` header proved.
pub enum Credentials {
    /// No `Authorization` header: an anonymous client.
    Absent,
    /// A user whose password matched.
    Valid(UserId),
    /// Credentials that are present but wrong (malformed, another scheme, an unknown user, a
    /// wrong password).
    Invalid,
}

impl Users {
    /// Ready to check passwords; `params` is the cost of the dummy hash checked for unknown
    /// users (the same as real hashes, so that timing does not tell them apart).
    ///
    /// # Errors
    /// If the OS random source fails.
    pub fn new(params: &Params) -> Result<Users, String> {
        let mut key = [0u8; 32];
        SysRng.try_fill_bytes(&mut key).map_err(|e| format!("no randomness: {e}"))?;
        let mut nothing = [0u8; 24];
        SysRng.try_fill_bytes(&mut nothing).map_err(|e| format!("no randomness: {e}"))?;
        let dummy =
            hash_password(&base64::engine::general_purpose::STANDARD.encode(nothing), params)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Users {
            dummy,
            key,
            verified: Mutex::new(HashMap::new()),
            hashing: Arc::new(Semaphore::new(cores)),
        })
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

    /// Checks `password` against `hash` (`None`: an unknown user, checked against a dummy hash
    /// all the same). A match is remembered with the hash it matched, so a changed hash is
    /// checked again.
    pub async fn check(
        self: &Arc<Self>,
        user: &str,
        password: &str,
        hash: Option<String>,
    ) -> Option<UserId> {
        let id = UserId::new(user).ok();
        if let Some(hash) = &hash {
            let remembered = self.verified.lock().ok()?.get(user).cloned();
            if let Some((checked, tag)) = remembered
                && checked == *hash
                && self.tag(user, password).verify_slice(&tag).is_ok()
            {
                return id;
            }
        }
        let permit = self.hashing.clone().acquire_owned().await.ok()?;
        let users = Arc::clone(self);
        let (user, password) = (user.to_owned(), password.to_owned());
        let ok = tokio::task::spawn_blocking(move || {
            // The permit lives as long as the Argon2 work, even if the request is dropped.
            let _permit = permit;
            let known = hash.is_some();
            let against = hash.as_deref().unwrap_or(users.dummy.as_str());
            let ok =
                Argon2::default().verify_password(password.as_bytes(), against).is_ok() && known;
            if ok && let Some(hash) = hash {
                let tag = users.tag(&user, &password).finalize().into_bytes().to_vec();
                if let Ok(mut verified) = users.verified.lock() {
                    verified.insert(user, (hash, tag));
                }
            }
            ok
        })
        .await
        .ok()?;
        if ok { id } else { None }
    }
}

/// `user:password` from the headers: `Ok(None)` without an `Authorization` header, `Err` for
/// one that is not valid basic credentials.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    match headers.typed_try_get::<Authorization<Basic>>() {
        Ok(Some(Authorization(basic))) => {
            Ok(Some((basic.username().to_owned(), basic.password().to_owned())))
        }
        Ok(None) if headers.contains_key(AUTHORIZATION) => Err(()),
        Ok(None) => Ok(None),
        Err(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(text: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(text).unwrap());
        headers
    }

    #[test]
    fn basic_headers() {
        // "alice:se:cret"
        let h = headers("Basic YWxpY2U6c2U6Y3JldA==");
        assert_eq!(basic_credentials(&h), Ok(Some(("alice".into(), "se:cret".into()))));
        assert_eq!(basic_credentials(&HeaderMap::new()), Ok(None));
        assert_eq!(basic_credentials(&headers("Bearer YWxpY2U6c2U6Y3JldA==")), Err(()));
        assert_eq!(basic_credentials(&headers("Basic !!!")), Err(()));
        // "alice" (no colon)
        assert_eq!(basic_credentials(&headers("Basic YWxpY2U=")), Err(()));
    }

    #[tokio::test]
    async fn passwords() {
        let params = Params::new(64, 1, 1, None).unwrap();
        let hash = hash_password("secret", &params).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert_ne!(hash, hash_password("secret", &params).unwrap(), "salted");
        let users = Arc::new(Users::new(&params).unwrap());
        let alice = Some(UserId::new("alice").unwrap());
        assert_eq!(users.check("alice", "secret", Some(hash.clone())).await, alice);
        // Now remembered: the same answer, and a wrong password still fails.
        assert_eq!(users.check("alice", "secret", Some(hash.clone())).await, alice);
        assert_eq!(users.check("alice", "secreT", Some(hash.clone())).await, None);
        assert_eq!(users.check("alice", "", Some(hash.clone())).await, None);
        // An unknown user never passes, even with the right password of someone else.
        assert_eq!(users.check("bob", "secret", None).await, None);
        // A changed hash (a new password set elsewhere) is checked again: the old one fails.
        let new_hash = hash_password("new", &params).unwrap();
        assert_eq!(users.check("alice", "secret", Some(new_hash.clone())).await, None);
        assert_eq!(users.check("alice", "new", Some(new_hash)).await, alice);
    }
}
