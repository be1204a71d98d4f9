//! The Onezone token layer: what a macaroon means. Identifiers (who issued a token and what it
//! is for), typed caveats (in their exact string and JSON forms), where secrets come from, and
//! verification in a request context. It uses only the public interface of
//! [`crate::macaroon`].

pub mod caveat;
pub mod identifier;
mod secrets;
mod verify;

pub use caveat::{Caveat, CaveatContext, CaveatError, CaveatFailure, CaveatKind};
pub use identifier::{
    IdentifierError, IdentifierV2, InviteKind, Persistence, Subject, TokenIdentifier, TokenType,
};
pub use secrets::{DerivedSecrets, MemorySecrets, TokenSecrets};
pub use verify::{
    DEFAULT_MAX_TEMPORARY_TTL, TokenCaveat, TokenError, UnverifiedToken, VerifiedToken, Verifier,
    mint, mint_as, mint_within,
};
