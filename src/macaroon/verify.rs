//! Recomputing the HMAC chain and checking caveats.

use alloc::string::String;

use super::{Error, Macaroon, RootKey, Signature};

/// Decides whether a first-party caveat holds in the caller's context.
///
/// Implemented for every `FnMut(&[u8]) -> bool`, so a closure that captures the request context
/// works, as does `&mut dyn CaveatChecker`. Return `false` for a predicate you do not understand:
/// a caveat nobody vouches for must never pass.
pub trait CaveatChecker {
    /// Returns `true` if the predicate is satisfied.
    fn check(&mut self, predicate: &[u8]) -> bool;
}

impl<F: FnMut(&[u8]) -> bool> CaveatChecker for F {
    fn check(&mut self, predicate: &[u8]) -> bool {
        self(predicate)
    }
}

impl Macaroon<'_> {
    /// Recomputes the signature this macaroon should carry under `key`, following the
    /// libmacaroons chain for first- and third-party caveats.
    pub fn compute_signature(&self, key: &RootKey) -> Signature {
        let mut sig = key.sign_identifier(self.identifier());
        for caveat in self.caveats() {
            sig = match caveat.verification_id() {
                None => sig.chain(caveat.id()),
                Some(vid) => sig.chain_third_party(vid, caveat.id()),
            };
        }
        sig
    }

    /// Checks the signature alone, in constant time, without evaluating any caveat.
    ///
    /// Use this only when you evaluate the caveats yourself afterwards (as the Onezone token layer
    /// does with typed caveats).
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] if the chain does not match;
    /// [`Error::ThirdPartyCaveatUnsupported`] if it matches but a third-party caveat is present.
    pub fn verify_signature(&self, key: &RootKey) -> Result<(), Error> {
        if self.compute_signature(key) != *self.signature() {
            return Err(Error::InvalidSignature);
        }
        match self.caveats().iter().position(|c| !c.is_first_party()) {
            Some(index) => Err(Error::ThirdPartyCaveatUnsupported { index }),
            None => Ok(()),
        }
    }

    /// Verifies the macaroon: the signature must match `key` and `checker` must accept every
    /// first-party caveat.
    ///
    /// The chain and the caveats are evaluated in one pass, but a failed caveat is reported only
    /// after the signature has been found authentic, so a forger learns nothing from the error.
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] (opaque) if the signature does not match; then
    /// [`Error::ThirdPartyCaveatUnsupported`] for a third-party caveat, or
    /// [`Error::CaveatNotSatisfied`] naming the first caveat the checker refused.
    pub fn verify<C: CaveatChecker + ?Sized>(
        &self,
        key: &RootKey,
        checker: &mut C,
    ) -> Result<(), Error> {
        let mut sig = key.sign_identifier(self.identifier());
        let mut first_failure: Option<Error> = None;
        for (index, caveat) in self.caveats().iter().enumerate() {
            sig = match caveat.verification_id() {
                None => {
                    if first_failure.is_none() && !checker.check(caveat.id()) {
                        first_failure = Some(Error::CaveatNotSatisfied {
                            index,
                            predicate: String::from_utf8_lossy(caveat.id()).into_owned(),
                        });
                    }
                    sig.chain(caveat.id())
                }
                Some(vid) => {
                    if first_failure.is_none() {
                        first_failure = Some(Error::ThirdPartyCaveatUnsupported { index });
                    }
                    sig.chain_third_party(vid, caveat.id())
                }
            };
        }
        if sig != *self.signature() {
            return Err(Error::InvalidSignature);
        }
        match first_failure {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
