#![doc = include_str!("lib.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod group;
pub mod invite;
pub mod macaroon;
pub mod onezone_error;
pub mod storage;
pub mod token;

#[cfg(feature = "std")]
mod clock;
mod id;
mod json;
mod text;

#[cfg(feature = "std")]
pub use clock::unix_seconds;

#[doc(hidden)]
pub mod fuzzing;

// The repository's README (the server, the CLI, benchmarks) is not the crate's page, but its
// examples are still compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The `rand_core` (0.10) whose [`CryptoRng`](rand_core::CryptoRng) the functions taking
/// randomness accept ([`issue_invite_token`](invite::issue_invite_token),
/// [`Macaroon::add_third_party_caveat`](macaroon::Macaroon::add_third_party_caveat)), re-exported
/// so a caller can name the trait without matching versions by hand.
///
/// `rand` 0.10's generators implement it (`rand::rng()`, `rand::rngs::StdRng`, `OsRng`); those
/// of `rand` 0.9 and older implement an older `rand_core`'s trait, which the compiler reports as
/// "the trait bound `..: CryptoRng` is not satisfied": use `rand` 0.10, or implement the traits
/// of this `rand_core`.
///
/// ```
/// use onezone_tokens::rand_core::CryptoRng;
///
/// /// A server's own function, generic over the generator it is given.
/// fn fresh_nonce<R: CryptoRng + ?Sized>(rng: &mut R) -> [u8; 24] {
///     let mut nonce = [0u8; 24];
///     rng.fill_bytes(&mut nonce);
///     nonce
/// }
/// assert_ne!(fresh_nonce(&mut rand::rng()), [0; 24]);
/// ```
pub use rand_core;
