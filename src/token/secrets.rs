//! Where token secrets come from. The library does no I/O: a server implements [`TokenSecrets`]
//! over its own storage; [`MemorySecrets`] serves tests and examples, [`DerivedSecrets`] servers
//! that want no secret storage at all.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use core::fmt;
use core::ops::Deref;

use crate::macaroon::{RootKey, Secret};

use super::identifier::Subject;

/// The secrets and revocation state a verifier needs, looked up by what a token's identifier says.
///
/// Every method answers from the server's current state; `None` means "no such token/subject",
/// which makes the token invalid.
///
/// A server implements it over its own storage (here a map standing in for a table):
///
/// ```
/// use std::collections::HashMap;
/// use onezone_tokens::macaroon::Secret;
/// use onezone_tokens::token::{
///     Caveat, CaveatContext, Subject, TokenError, TokenIdentifier, TokenSecrets, UnverifiedToken,
///     Verifier, mint,
/// };
///
/// /// The server's rows: token id -> (secret, revoked).
/// struct Table(HashMap<String, (Vec<u8>, bool)>);
///
/// impl TokenSecrets for Table {
///     fn named_secret(&self, token_id: &str) -> Option<Secret> {
///         self.0.get(token_id).map(|(secret, _)| Secret::new(secret.clone()))
///     }
///     fn temporary_secret(&self, _subject: &Subject) -> Option<(Secret, u64)> {
///         None // this server issues no temporary tokens
///     }
///     fn is_revoked(&self, token_id: &str) -> bool {
///         self.0.get(token_id).is_some_and(|(_, revoked)| *revoked)
///     }
/// }
///
/// let id = TokenIdentifier::parse("2/nmd/usr-alice/ujg:g1:/tok1")?;
/// let text = mint(&Secret::new(&b"s3cret"[..]), "onezone.example.org", &id, &[])?;
/// let mut table = Table(HashMap::from([("tok1".to_owned(), (b"s3cret".to_vec(), false))]));
/// let token = UnverifiedToken::parse(&text)?;
/// let ctx = CaveatContext::at(1_800_000_000);
/// assert!(Verifier::new(&table).verify(&token, &ctx).is_ok());
///
/// table.0.get_mut("tok1").unwrap().1 = true;
/// assert!(matches!(Verifier::new(&table).verify(&token, &ctx), Err(TokenError::Revoked)));
/// # Ok::<(), TokenError>(())
/// ```
pub trait TokenSecrets {
    /// The per-token secret of a named token (`2/nmd/...`), by token id.
    fn named_secret(&self, token_id: &str) -> Option<Secret>;

    /// The shared secret of a subject's temporary tokens (`2/tmp-<generation>/...`) and the
    /// subject's current generation. A token of an older generation is revoked; a newer one is
    /// invalid.
    fn temporary_secret(&self, subject: &Subject) -> Option<(Secret, u64)>;

    /// The secret of a legacy (17.06) token, by its whole identifier. None by default.
    fn legacy_secret(&self, identifier: &str) -> Option<Secret> {
        let _ = identifier;
        None
    }

    /// Whether a named or legacy token has been revoked, by token id. False by default.
    fn is_revoked(&self, token_id: &str) -> bool {
        let _ = token_id;
        false
    }

    /// The subject stored with a named or legacy token's record, by token id: the verifier
    /// refuses a named token whose identifier names another
    /// ([`TokenError::SubjectInvalid`](super::TokenError::SubjectInvalid)), and a legacy
    /// token, whose identifier names none, authenticates as this subject
    /// ([`Authenticator`](super::Authenticator)). `None` (the default): not stored, so not
    /// checked; a server that stores secrets by token id alone should store the subject too.
    fn named_subject(&self, token_id: &str) -> Option<Subject> {
        let _ = token_id;
        None
    }

    /// The root key of a named token: by default derived from [`TokenSecrets::named_secret`].
    /// A store that keeps each token's derived key (as [`MemorySecrets`] does) lends it
    /// instead, and the verifier neither copies the secret nor derives the key again. A store
    /// that overrides it (or [`TokenSecrets::temporary_key`], [`TokenSecrets::legacy_key`])
    /// must answer the key of the secret the matching `_secret` method answers: the verifier
    /// asks only for the key.
    fn named_key(&self, token_id: &str) -> Option<TokenKey<'_>> {
        self.named_secret(token_id).map(|secret| TokenKey::Derived(secret.derive_key()))
    }

    /// The root key of a subject's temporary tokens and the subject's current generation: by
    /// default derived from [`TokenSecrets::temporary_secret`] (see [`TokenSecrets::named_key`]).
    fn temporary_key(&self, subject: &Subject) -> Option<(TokenKey<'_>, u64)> {
        self.temporary_secret(subject)
            .map(|(secret, generation)| (TokenKey::Derived(secret.derive_key()), generation))
    }

    /// The root key of a legacy token: by default derived from
    /// [`TokenSecrets::legacy_secret`] (see [`TokenSecrets::named_key`]).
    fn legacy_key(&self, identifier: &str) -> Option<TokenKey<'_>> {
        self.legacy_secret(identifier).map(|secret| TokenKey::Derived(secret.derive_key()))
    }
}

/// A token's root key as a [`TokenSecrets`] store hands it to the verifier: lent from the store
/// when it keeps derived keys, or derived for this verify. It reads as a [`RootKey`].
pub enum TokenKey<'a> {
    /// A key the store keeps.
    Kept(&'a RootKey),
    /// A key derived for this lookup (wiped when dropped).
    Derived(RootKey),
}

impl Deref for TokenKey<'_> {
    type Target = RootKey;

    fn deref(&self) -> &RootKey {
        match self {
            TokenKey::Kept(key) => key,
            TokenKey::Derived(key) => key,
        }
    }
}

impl fmt::Debug for TokenKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(***OMITTED***)")
    }
}

/// A stored secret and the root key derived from it once, when it was stored.
struct Kept {
    secret: Secret,
    key: RootKey,
}

impl Kept {
    fn new(secret: Secret) -> Self {
        Kept { key: secret.derive_key(), secret }
    }
}

/// Secrets held in memory, for tests, examples and small tools.
///
/// ```
/// use onezone_tokens::macaroon::Secret;
/// use onezone_tokens::token::{
///     CaveatContext, MemorySecrets, TokenError, TokenIdentifier, UnverifiedToken, Verifier, mint,
/// };
///
/// let id = TokenIdentifier::parse("2/nmd/usr-alice/ujg:g1:/tok1")?;
/// let text = mint(&Secret::new(&b"s3cret"[..]), "onezone.example.org", &id, &[])?;
/// let token = UnverifiedToken::parse(&text)?;
/// let ctx = CaveatContext::at(1_800_000_000);
///
/// let mut secrets = MemorySecrets::new();
/// secrets.insert_named("tok1", Secret::new(&b"s3cret"[..]));
/// assert!(Verifier::new(&secrets).verify(&token, &ctx).is_ok());
/// secrets.revoke("tok1");
/// let err = Verifier::new(&secrets).verify(&token, &ctx).unwrap_err();
/// assert!(matches!(err, TokenError::Revoked), "{err}");
/// # Ok::<(), TokenError>(())
/// ```
///
/// It derives each secret's root key once, when the secret is stored, and lends it to the
/// verifier ([`TokenSecrets::named_key`]).
#[derive(Default)]
pub struct MemorySecrets {
    named: BTreeMap<String, Kept>,
    temporary: BTreeMap<String, (Kept, u64)>,
    legacy: BTreeMap<String, Kept>,
    revoked: BTreeSet<String>,
    subjects: BTreeMap<String, Subject>,
}

impl fmt::Debug for MemorySecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySecrets")
            .field("named", &self.named.keys().collect::<alloc::vec::Vec<_>>())
            .field("temporary", &self.temporary.keys().collect::<alloc::vec::Vec<_>>())
            .field("legacy", &self.legacy.len())
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

impl MemorySecrets {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores the secret of a named token.
    pub fn insert_named(&mut self, token_id: impl Into<String>, secret: Secret) {
        self.named.insert(token_id.into(), Kept::new(secret));
    }

    /// Stores a subject's temporary-token secret and current generation.
    pub fn insert_temporary(&mut self, subject: &Subject, secret: Secret, generation: u64) {
        self.temporary.insert(subject.to_string(), (Kept::new(secret), generation));
    }

    /// Stores the secret of a legacy token.
    pub fn insert_legacy(&mut self, identifier: impl Into<String>, secret: Secret) {
        self.legacy.insert(identifier.into(), Kept::new(secret));
    }

    /// Stores the subject a named or legacy token was issued for ([`TokenSecrets::named_subject`]).
    pub fn set_subject(&mut self, token_id: impl Into<String>, subject: Subject) {
        self.subjects.insert(token_id.into(), subject);
    }

    /// Revokes a named or legacy token.
    pub fn revoke(&mut self, token_id: impl Into<String>) {
        self.revoked.insert(token_id.into());
    }

    /// Revokes every temporary token of a subject issued so far by raising its generation.
    /// Returns the new generation, or `None` if the subject has no temporary secret.
    pub fn revoke_all_temporary(&mut self, subject: &Subject) -> Option<u64> {
        let entry = self.temporary.get_mut(&subject.to_string())?;
        entry.1 = entry.1.checked_add(1)?;
        Some(entry.1)
    }
}

fn clone_secret(kept: &Kept) -> Secret {
    Secret::new(kept.secret.expose())
}

impl TokenSecrets for MemorySecrets {
    fn named_secret(&self, token_id: &str) -> Option<Secret> {
        self.named.get(token_id).map(clone_secret)
    }

    fn temporary_secret(&self, subject: &Subject) -> Option<(Secret, u64)> {
        self.temporary.get(&subject.to_string()).map(|(kept, g)| (clone_secret(kept), *g))
    }

    fn legacy_secret(&self, identifier: &str) -> Option<Secret> {
        self.legacy.get(identifier).map(clone_secret)
    }

    fn is_revoked(&self, token_id: &str) -> bool {
        self.revoked.contains(token_id)
    }

    fn named_subject(&self, token_id: &str) -> Option<Subject> {
        self.subjects.get(token_id).cloned()
    }

    fn named_key(&self, token_id: &str) -> Option<TokenKey<'_>> {
        self.named.get(token_id).map(|kept| TokenKey::Kept(&kept.key))
    }

    fn temporary_key(&self, subject: &Subject) -> Option<(TokenKey<'_>, u64)> {
        self.temporary.get(&subject.to_string()).map(|(kept, g)| (TokenKey::Kept(&kept.key), *g))
    }

    fn legacy_key(&self, identifier: &str) -> Option<TokenKey<'_>> {
        self.legacy.get(identifier).map(|kept| TokenKey::Kept(&kept.key))
    }
}

/// Stateless secrets: every token secret is derived from one master secret with HMAC, so a
/// server stores nothing per token.
///
/// The named-token secret is `HMAC(K, "onezone-tokens/named/" || token_id)` and a subject's
/// temporary secret `HMAC(K, "onezone-tokens/temporary/" || subject)`, where `K` is the key
/// derived from the master secret (see [`RootKey::derive_secret`]). Nothing can be revoked one by one: temporary tokens are all of
/// generation 0, and rotating the master secret revokes everything. Combine it with your own
/// revocation list by wrapping it in a type that overrides [`TokenSecrets::is_revoked`].
///
/// ```
/// use onezone_tokens::macaroon::Secret;
/// use onezone_tokens::token::{
///     CaveatContext, DerivedSecrets, TokenError, TokenIdentifier, UnverifiedToken, Verifier, mint,
/// };
///
/// // One master secret, kept in the server's configuration; nothing stored per token.
/// let secrets = DerivedSecrets::new(&Secret::new(&b"the master secret"[..]));
/// let id = TokenIdentifier::parse("2/nmd/usr-alice/ujg:g1:/tok1")?;
/// let text = mint(&secrets.named("tok1"), "onezone.example.org", &id, &[])?;
///
/// let token = UnverifiedToken::parse(&text)?;
/// assert!(Verifier::new(&secrets).verify(&token, &CaveatContext::at(1_800_000_000)).is_ok());
/// // Another master secret verifies nothing minted under this one.
/// let other = DerivedSecrets::new(&Secret::new(&b"another secret"[..]));
/// assert!(Verifier::new(&other).verify(&token, &CaveatContext::at(1_800_000_000)).is_err());
/// # Ok::<(), TokenError>(())
/// ```
pub struct DerivedSecrets {
    master: RootKey,
}

impl fmt::Debug for DerivedSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DerivedSecrets(***OMITTED***)")
    }
}

impl DerivedSecrets {
    /// Derives all secrets from this master secret.
    pub fn new(master: &Secret) -> Self {
        DerivedSecrets { master: master.derive_key() }
    }

    fn derive(&self, kind: &str, name: &str) -> Secret {
        let mut label = String::with_capacity(32 + name.len());
        label.push_str("onezone-tokens/");
        label.push_str(kind);
        label.push('/');
        label.push_str(name);
        self.master.derive_secret(label.as_bytes())
    }

    /// The secret to mint a named token with this id.
    pub fn named(&self, token_id: &str) -> Secret {
        self.derive("named", token_id)
    }

    /// The secret of this subject's temporary tokens.
    pub fn temporary(&self, subject: &Subject) -> Secret {
        self.derive("temporary", &subject.to_string())
    }
}

impl TokenSecrets for DerivedSecrets {
    fn named_secret(&self, token_id: &str) -> Option<Secret> {
        Some(self.named(token_id))
    }

    fn temporary_secret(&self, subject: &Subject) -> Option<(Secret, u64)> {
        Some((self.temporary(subject), 0))
    }
}
