//! HTTP basic authentication against salted Argon2id password hashes.
//!
//! Argon2id with its default cost (19 MiB, 2 passes) takes tens of milliseconds a check by
//! design, too slow to pay on every request. A successful check is therefore remembered in
//! memory, for the life of the process, as an HMAC-SHA-256 of the password under a random
//! per-process key: a request with the same user and password is then checked in constant time
//! against that tag, without Argon2. Nothing of it is ever written anywhere, and a wrong password
//! always goes through the full Argon2 check (as does an unknown user, against a dummy hash), so
//! the time of a 401 does not tell whether a user exists.
//!
//! At most as many Argon2 checks run at once as the machine has cores, each on a blocking thread
//! that holds its worker's place until the work is done, even if the client has gone away. Each
//! worker place owns one Argon2 memory buffer (19 MiB at the default cost), allocated once and
//! reused by every check, so the memory of password checks stays at cores x 19 MiB however many
//! logins come. A failed check is counted against the user and the client's address
//! ([`crate::limits`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::Output;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
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
use zeroize::Zeroizing;

use crate::limits::{self, Attempt};

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
    /// One place per Argon2 worker.
    hashing: Arc<Semaphore>,
    /// Argon2 memory, one buffer per worker place at most, reused from check to check.
    memory: Mutex<Vec<Vec<Block>>>,
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
        Users::with_workers(params, limits::argon2_workers())
    }

    /// As [`Users::new`], with `workers` Argon2 checks at most at once.
    ///
    /// # Errors
    /// If the OS random source fails.
    pub fn with_workers(params: &Params, workers: usize) -> Result<Users, String> {
        let mut key = [0u8; 32];
        SysRng.try_fill_bytes(&mut key).map_err(|e| format!("no randomness: {e}"))?;
        let mut nothing = [0u8; 24];
        SysRng.try_fill_bytes(&mut nothing).map_err(|e| format!("no randomness: {e}"))?;
        let dummy =
            hash_password(&base64::engine::general_purpose::STANDARD.encode(nothing), params)?;
        Ok(Users {
            dummy,
            key,
            verified: Mutex::new(HashMap::new()),
            hashing: Arc::new(Semaphore::new(workers.max(1))),
            memory: Mutex::new(Vec::new()),
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

    /// Whether `password` is the one remembered for `user` (a constant-time check of its tag, no
    /// Argon2): such a request needs no place among the Argon2 checks.
    pub fn remembers(&self, user: &str, password: &str) -> bool {
        let tag = match self.verified.lock() {
            Ok(verified) => verified.get(user).map(|(_, tag)| tag.clone()),
            Err(_) => None,
        };
        tag.is_some_and(|tag| self.tag(user, password).verify_slice(&tag).is_ok())
    }

    /// Argon2 of `password` with the parameters and salt of the PHC string `hash`, in a reused
    /// memory buffer, compared with its output in constant time. Call with a worker place held.
    fn verify(&self, password: &[u8], hash: &str) -> bool {
        let Ok(hash) = PasswordHash::new(hash) else { return false };
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else { return false };
        let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else { return false };
        let version = match hash.version.map(Version::try_from) {
            None => Version::default(),
            Some(Ok(version)) => version,
            Some(Err(_)) => return false,
        };
        let Ok(params) = Params::try_from(&hash) else { return false };
        let blocks = params.block_count();
        let argon2 = Argon2::new(algorithm, version, params);
        let mut memory = self.memory.lock().ok().and_then(|mut m| m.pop()).unwrap_or_default();
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        let mut out = [0u8; Output::MAX_LENGTH];
        let out = &mut out[..expected.len()];
        let hashed =
            argon2.hash_password_into_with_memory(password, salt, &mut *out, &mut memory[..]);
        if let Ok(mut pool) = self.memory.lock() {
            pool.push(memory);
        }
        // `Output`'s equality is constant-time.
        hashed.is_ok() && Output::new(out).is_ok_and(|computed| computed == *expected)
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
        let attempt = Attempt::current();
        let permit = self.hashing.clone().acquire_owned().await.ok()?;
        let users = Arc::clone(self);
        // The copy that crosses into the blocking task is wiped when the check ends.
        let (user, password) = (user.to_owned(), Zeroizing::new(password.to_owned()));
        let ok = tokio::task::spawn_blocking(move || {
            // The permit lives as long as the Argon2 work, even if the request is dropped.
            let _permit = permit;
            // Failures may have reached the limit while this check waited: no work for it then.
            if let Some(a) = &attempt
                && a.logins.refused(&user, a.peer).is_some()
            {
                return false;
            }
            let known = hash.is_some();
            let against = hash.as_deref().unwrap_or(users.dummy.as_str());
            let ok = users.verify(password.as_bytes(), against) && known;
            if ok && let Some(hash) = hash {
                let tag = users.tag(&user, &password).finalize().into_bytes().to_vec();
                if let Ok(mut verified) = users.verified.lock() {
                    verified.insert(user, (hash, tag));
                }
            } else if !ok && let Some(a) = &attempt {
                a.logins.failed(&user, a.peer);
            }
            ok
        })
        .await
        .ok()?;
        if ok { id } else { None }
    }
}

/// A password held in memory: wiped when dropped.
pub(crate) type Password = Zeroizing<String>;

/// `user:password` from the headers: `Ok(None)` without an `Authorization` header, `Err` for
/// one that is not valid basic credentials.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, Password)>, ()> {
    match headers.typed_try_get::<Authorization<Basic>>() {
        Ok(Some(Authorization(basic))) => {
            Ok(Some((basic.username().to_owned(), Zeroizing::new(basic.password().to_owned()))))
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
        let password = Zeroizing::new(String::from("se:cret"));
        assert_eq!(basic_credentials(&h), Ok(Some(("alice".into(), password))));
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

    /// A check whose request is dropped (the client went away) keeps its worker place until its
    /// Argon2 work is done: the places bound the work actually running, not the requests.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_check_holds_its_place() {
        // A slow hash: 32 MiB, 8 passes.
        let params = Params::new(32 * 1024, 8, 1, None).unwrap();
        let hash = hash_password("secret", &params).unwrap();
        let users = Arc::new(Users::with_workers(&params, 1).unwrap());
        let task = tokio::spawn({
            let users = Arc::clone(&users);
            async move { users.check("alice", "wrong", Some(hash)).await }
        });
        // Wait until the check holds the one place, then drop the request.
        while users.hashing.available_permits() == 1 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(users.hashing.available_permits(), 0, "the Argon2 work still runs");
        // ... and gives the place back when it is done.
        let start = std::time::Instant::now();
        while users.hashing.available_permits() == 0 {
            assert!(start.elapsed().as_secs() < 60, "the place never came back");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Argon2's memory is allocated once per worker place and reused: many checks at once leave
    /// at most one buffer per place.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn argon2_memory_is_reused() {
        let params = Params::new(1024, 1, 1, None).unwrap();
        let hash = hash_password("secret", &params).unwrap();
        let users = Arc::new(Users::with_workers(&params, 2).unwrap());
        let checks: Vec<_> = (0..40)
            .map(|i| {
                let (users, hash) = (Arc::clone(&users), hash.clone());
                let password = if i % 2 == 0 { "secret" } else { "wrong" };
                tokio::spawn(async move { users.check("alice", password, Some(hash)).await })
            })
            .collect();
        for check in checks {
            check.await.unwrap();
        }
        {
            let pool = users.memory.lock().unwrap();
            assert!((1..=2).contains(&pool.len()), "{} buffers", pool.len());
            assert!(pool.iter().all(|m| m.len() == 1024));
        }
        // Other costs (a hash made with other parameters) still check right.
        let bigger = hash_password("other", &Params::new(2048, 2, 1, None).unwrap()).unwrap();
        assert!(users.check("bob", "other", Some(bigger.clone())).await.is_some());
        assert!(users.check("bob", "othe", Some(bigger)).await.is_none());
    }

    /// Inside a request, a failed check is counted against the user and the address, and a
    /// check refused by the counters does no Argon2 work.
    #[tokio::test]
    async fn failures_are_counted() {
        let params = Params::new(64, 1, 1, None).unwrap();
        let hash = hash_password("secret", &params).unwrap();
        let users = Arc::new(Users::new(&params).unwrap());
        let logins = Arc::new(limits::Logins::new(&limits::Limits {
            login_failures_per_user: 2,
            ..limits::Limits::default()
        }));
        let attempt = Attempt { peer: Some("10.1.2.3".parse().unwrap()), logins };
        for _ in 0..2 {
            let check = users.check("alice", "wrong", Some(hash.clone()));
            assert_eq!(attempt.clone().scope(check).await, None);
        }
        assert!(matches!(
            attempt.logins.refused("alice", attempt.peer),
            Some(limits::Refusal::User(_))
        ));
        // Refused now, even with the right password (no oracle), and not remembered.
        let check = users.check("alice", "secret", Some(hash.clone()));
        assert_eq!(attempt.clone().scope(check).await, None);
        assert!(!users.remembers("alice", "secret"));
        // From an address with no failure, alice gets in, and is then remembered.
        let clean = Attempt { peer: Some("10.9.9.9".parse().unwrap()), ..attempt.clone() };
        let check = users.check("alice", "secret", Some(hash.clone()));
        assert!(clean.scope(check).await.is_some());
        assert!(users.remembers("alice", "secret"));
        assert!(!users.remembers("alice", "secreT"));
    }
}
