//! Recomputing the HMAC chain, checking caveats, and resolving discharges.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{Limit, MacaroonRef};
use super::third_party::{bind, open};
use super::{Error, Limits, Macaroon, RootKey, Signature};

/// Decides whether a first-party caveat holds in the caller's context.
///
/// Implemented for every `FnMut(&[u8]) -> bool`, so a closure that captures the request context
/// works, as does `&mut dyn CaveatChecker`. Return `false` for a predicate you do not understand:
/// a caveat nobody vouches for must never pass. The same checker sees the first-party caveats of
/// the authorizing macaroon and of its discharges.
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
    /// libmacaroons chain for first- and third-party caveats (unbound: a discharge's signature
    /// is this value bound with [`Macaroon::prepare_for_request`]).
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

    /// Checks the signature alone, in constant time, without evaluating any first-party caveat.
    /// A macaroon with a third-party caveat needs its discharges: see
    /// [`Macaroon::verify_signature_with_discharges`].
    ///
    /// Use this only when you evaluate the caveats yourself afterwards (as the Onezone token layer
    /// does with typed caveats).
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] if the chain does not match; [`Error::DischargeMissing`] if it
    /// matches but a third-party caveat is present.
    pub fn verify_signature(&self, key: &RootKey) -> Result<(), Error> {
        self.verify_signature_with_discharges(key, &[], &Limits::default())
    }

    /// Checks the signatures of this macaroon and of its bound discharges, and that the
    /// discharges fit its third-party caveats exactly (see [`Macaroon::verify_with_discharges`]),
    /// without evaluating any first-party caveat.
    ///
    /// # Errors
    /// As [`Macaroon::verify_with_discharges`], except the caveat-not-satisfied errors.
    pub fn verify_signature_with_discharges(
        &self,
        key: &RootKey,
        discharges: &[Macaroon<'_>],
        limits: &Limits,
    ) -> Result<(), Error> {
        verify_request::<dyn CaveatChecker>(self, key, None, discharges, limits, &mut 0)
    }

    /// Verifies the macaroon: the signature must match `key` and `checker` must accept every
    /// first-party caveat. A macaroon with a third-party caveat needs its discharges: see
    /// [`Macaroon::verify_with_discharges`].
    ///
    /// The chain and the caveats are evaluated in one pass, but a failed caveat is reported only
    /// after the signature has been found authentic, so a forger learns nothing from the error.
    ///
    /// ```
    /// use onezone_tokens::macaroon::{Error, Macaroon, RootKey};
    ///
    /// let key = RootKey::derive(b"the server's secret");
    /// let mut m = Macaroon::new(&key, b"id-1");
    /// m.add_first_party_caveat(b"account = 42");
    ///
    /// // The checker says which caveats hold in this request.
    /// m.verify(&key, &mut |caveat: &[u8]| caveat == b"account = 42")?;
    /// let refused = m.verify(&key, &mut |caveat: &[u8]| caveat == b"account = 7");
    /// assert!(matches!(refused, Err(Error::CaveatNotSatisfied { .. })));
    /// // Another key: one opaque error, whatever the caveats say.
    /// let forged = m.verify(&RootKey::derive(b"a guess"), &mut |_: &[u8]| true);
    /// assert!(matches!(forged, Err(Error::InvalidSignature)));
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] (opaque) if the signature does not match; then
    /// [`Error::DischargeMissing`] for a third-party caveat, or
    /// [`Error::CaveatNotSatisfied`] naming the first caveat the checker refused.
    pub fn verify<C: CaveatChecker + ?Sized>(
        &self,
        key: &RootKey,
        checker: &mut C,
    ) -> Result<(), Error> {
        self.verify_with_discharges(key, checker, &[], &Limits::default())
    }

    /// Verifies the macaroon together with the discharges of its third-party caveats, as
    /// libmacaroons' `macaroon_verify`: the signature must match `key`; each third-party caveat
    /// must have a discharge (found by identifier = caveat id) whose chain, under the key the
    /// caveat's verification id opens to, is authentic and bound to this macaroon
    /// ([`Macaroon::prepare_for_request`]); discharges' own third-party caveats are resolved the
    /// same way, recursively; `checker` must accept every first-party caveat of all of them.
    ///
    /// Each discharge discharges at most one caveat, and every discharge given must be used. When
    /// several unused discharges carry a caveat's id, the first of them (in the order given)
    /// whose chain is authentic and bound is used: the outcome never depends on their order, and
    /// a junk discharge with the same id cannot deny a request (it is left unused, so the request
    /// still fails closed, with [`Error::DischargeUnused`] naming it, whatever the order). The
    /// work is bounded by [`Limits::max_discharges`] and [`Limits::max_discharge_depth`] (checked
    /// before a discharge is opened): one walk of each discharge when identifiers are distinct,
    /// and at most `(max_discharges + 1) * max_discharges` discharge walks when they are not,
    /// plus a sort of the discharges by identifier.
    ///
    /// Errors come in three stages, so that nothing is learnt from a forgery: a wrong signature
    /// of this macaroon is the opaque [`Error::InvalidSignature`]; only then is a problem with
    /// the discharges reported (saying which); only when every signature is authentic is the first
    /// caveat the checker refused reported (this macaroon's first, then the discharges' in the
    /// order they were resolved).
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] ([`Limit::DischargeCount`]) before anything else;
    /// [`Error::InvalidSignature`]; then [`Error::DischargeIsAuthorizing`],
    /// [`Error::DischargeMissing`], [`Error::DischargeReused`], [`Error::DischargeCycle`],
    /// [`Error::LimitExceeded`] ([`Limit::DischargeDepth`]), [`Error::VerificationIdInvalid`],
    /// [`Error::DischargeInvalidSignature`], [`Error::DischargeNotBound`],
    /// [`Error::DischargeUnused`]; then [`Error::CaveatNotSatisfied`] or
    /// [`Error::DischargeCaveatNotSatisfied`].
    pub fn verify_with_discharges<C: CaveatChecker + ?Sized>(
        &self,
        key: &RootKey,
        checker: &mut C,
        discharges: &[Macaroon<'_>],
        limits: &Limits,
    ) -> Result<(), Error> {
        verify_request(self, key, Some(checker), discharges, limits, &mut 0)
    }
}

impl Macaroon<'_> {
    /// Checks one discharge against one third-party caveat, for tools that show which discharge
    /// is bound where: this macaroon must be authentic under `key`, caveat `index` must be a
    /// third-party caveat whose id is the discharge's identifier, and the discharge's chain, under
    /// the key the caveat's verification id opens to, must be authentic and bound to this
    /// macaroon. Neither the discharge's caveats nor this macaroon's first-party caveats are
    /// evaluated; use [`Macaroon::verify_with_discharges`] to verify a request.
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] (opaque) if this macaroon is not authentic; then
    /// [`Error::DischargeMissing`] if caveat `index` is not a third-party caveat with the
    /// discharge's identifier, [`Error::VerificationIdInvalid`],
    /// [`Error::DischargeInvalidSignature`] or [`Error::DischargeNotBound`] (with `discharge: 0`).
    pub fn check_discharge(
        &self,
        key: &RootKey,
        index: usize,
        discharge: &Macaroon<'_>,
    ) -> Result<(), Error> {
        let walked = walk::<dyn CaveatChecker>(self, key, None, MacaroonRef::Authorizing, 1);
        if walked.signature != *self.signature() {
            return Err(Error::InvalidSignature);
        }
        let missing = Error::DischargeMissing { holder: MacaroonRef::Authorizing, index };
        let p = walked.pending.into_iter().find(|p| p.index == index).ok_or(missing.clone())?;
        if p.id != discharge.identifier() {
            return Err(missing);
        }
        let caveat_key = open(&p.sig, p.vid)
            .ok_or(Error::VerificationIdInvalid { holder: MacaroonRef::Authorizing, index })?;
        let own =
            walk::<dyn CaveatChecker>(discharge, &caveat_key, None, MacaroonRef::Discharge(0), 2);
        if bind(self.signature(), &own.signature) == *discharge.signature() {
            Ok(())
        } else if own.signature == *discharge.signature() {
            Err(Error::DischargeNotBound { discharge: 0 })
        } else {
            Err(Error::DischargeInvalidSignature { discharge: 0 })
        }
    }
}

/// A third-party caveat whose discharge is still to be found.
struct Pending<'m> {
    holder: MacaroonRef,
    index: usize,
    id: &'m [u8],
    vid: &'m [u8],
    /// The chain's signature before the caveat: the key its verification id is sealed under.
    sig: Signature,
    /// The nesting depth of the discharge it needs (1 for a caveat of the authorizing macaroon).
    depth: usize,
}

/// What walking one macaroon's chain found.
struct Walked<'m> {
    signature: Signature,
    /// The first caveat the checker refused: its index and predicate.
    refused: Option<(usize, &'m [u8])>,
    /// Its third-party caveats, in order.
    pending: Vec<Pending<'m>>,
}

/// The chain of `m` under `key`, checking first-party caveats with `checker` (if any) on the way.
fn walk<'m, C: CaveatChecker + ?Sized>(
    m: &'m Macaroon<'_>,
    key: &RootKey,
    mut checker: Option<&mut C>,
    holder: MacaroonRef,
    depth: usize,
) -> Walked<'m> {
    let mut sig = key.sign_identifier(m.identifier());
    let mut refused = None;
    let mut pending = Vec::new();
    for (index, caveat) in m.caveats().iter().enumerate() {
        sig = match caveat.verification_id() {
            None => {
                if refused.is_none()
                    && let Some(checker) = checker.as_deref_mut()
                    && !checker.check(caveat.id())
                {
                    refused = Some((index, caveat.id()));
                }
                sig.chain(caveat.id())
            }
            Some(vid) => {
                let next = sig.chain_third_party(vid, caveat.id());
                pending.push(Pending { holder, index, id: caveat.id(), vid, sig, depth });
                next
            }
        };
    }
    Walked { signature: sig, refused, pending }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether a discharge is still free, or which macaroon's caveat it discharged.
#[derive(Clone, Copy)]
enum Use {
    Free,
    By(MacaroonRef),
}

fn verify_request<C: CaveatChecker + ?Sized>(
    root: &Macaroon<'_>,
    key: &RootKey,
    mut checker: Option<&mut C>,
    discharges: &[Macaroon<'_>],
    limits: &Limits,
    walks: &mut usize,
) -> Result<(), Error> {
    Limits::check(Limit::DischargeCount, limits.max_discharges, discharges.len())?;
    let walked = walk(root, key, checker.as_deref_mut(), MacaroonRef::Authorizing, 1);
    if walked.signature != *root.signature() {
        return Err(Error::InvalidSignature);
    }
    // The authorizing macaroon is authentic: from here on, errors may say what is wrong.
    let mut refused = walked
        .refused
        .map(|(index, predicate)| Error::CaveatNotSatisfied { index, predicate: lossy(predicate) });
    if let Some(discharge) = discharges
        .iter()
        .position(|d| d.identifier() == root.identifier() && d.caveats() == root.caveats())
    {
        return Err(Error::DischargeIsAuthorizing { discharge });
    }

    let id_of = |i: usize| discharges.get(i).map(Macaroon::identifier).unwrap_or_default();
    // Discharges by identifier (a stable sort: equal identifiers stay in the order given).
    let mut by_id: Vec<usize> = (0..discharges.len()).collect();
    by_id.sort_by(|&a, &b| id_of(a).cmp(id_of(b)));
    let mut uses = alloc::vec![Use::Free; discharges.len()];

    // Depth first, caveats in order: a stack with each macaroon's caveats pushed in reverse.
    let mut stack = walked.pending;
    stack.reverse();
    while let Some(p) = stack.pop() {
        let start = by_id.partition_point(|&i| id_of(i) < p.id);
        let candidates = by_id.get(start..).unwrap_or_default();
        let candidates = candidates.get(..candidates.partition_point(|&i| id_of(i) == p.id));
        let candidates = candidates.unwrap_or_default();
        let Some(&first) = candidates.first() else {
            return Err(Error::DischargeMissing { holder: p.holder, index: p.index });
        };
        let free = |i: &&usize| matches!(uses.get(**i), Some(Use::Free));
        if !candidates.iter().any(|i| free(&i)) {
            // Every discharge with this identifier is used: by an ancestor (a cycle) or elsewhere.
            let cyclic = candidates.iter().find(|&&i| is_ancestor(&uses, i, p.holder));
            return Err(match cyclic {
                Some(&discharge) => Error::DischargeCycle { discharge },
                None => {
                    Error::DischargeReused { discharge: first, holder: p.holder, index: p.index }
                }
            });
        }
        if p.depth > limits.max_discharge_depth {
            return Err(Error::LimitExceeded {
                limit: Limit::DischargeDepth,
                max: limits.max_discharge_depth,
                found: p.depth,
            });
        }
        let Some(caveat_key) = open(&p.sig, p.vid) else {
            return Err(Error::VerificationIdInvalid { holder: p.holder, index: p.index });
        };
        // Of the free discharges with this identifier, the first (in the order given) whose chain
        // is authentic and bound discharges the caveat: a junk discharge with the same id, before
        // or after the genuine one, changes nothing. Each is walked without the checker, which
        // sees only the caveats of the discharge that is used. Every walk is of a discharge with
        // this caveat's id, and each caveat either takes one discharge or ends the verification,
        // so there are at most `discharges.len()` walks per caveat resolved plus one failed round:
        // at most `(max_discharges + 1) * max_discharges` in all.
        let mut failure = None;
        let mut chosen = None;
        for &j in candidates.iter().filter(free) {
            let Some(discharge) = discharges.get(j) else { continue };
            *walks += 1;
            let own = walk::<dyn CaveatChecker>(
                discharge,
                &caveat_key,
                None,
                MacaroonRef::Discharge(j),
                p.depth + 1,
            );
            if bind(root.signature(), &own.signature) == *discharge.signature() {
                chosen = Some((j, discharge, own));
                break;
            }
            failure.get_or_insert(if own.signature == *discharge.signature() {
                Error::DischargeNotBound { discharge: j }
            } else {
                Error::DischargeInvalidSignature { discharge: j }
            });
        }
        let Some((j, discharge, walked)) = chosen else {
            return Err(
                failure.unwrap_or(Error::DischargeMissing { holder: p.holder, index: p.index })
            );
        };
        if let Some(u) = uses.get_mut(j) {
            *u = Use::By(p.holder);
        }
        // Its first-party caveats, now that it is authentic: the checker sees them in order up
        // to the first it refuses, as it sees the authorizing macaroon's during the walk.
        if let Some(checker) = checker.as_deref_mut() {
            let first_party =
                discharge.caveats().iter().enumerate().filter(|(_, c)| c.is_first_party());
            if let Some((index, c)) = first_party.into_iter().find(|(_, c)| !checker.check(c.id()))
                && refused.is_none()
            {
                refused = Some(Error::DischargeCaveatNotSatisfied {
                    discharge: j,
                    index,
                    predicate: lossy(c.id()),
                });
            }
        }
        stack.extend(walked.pending.into_iter().rev());
    }
    if let Some(discharge) = uses.iter().position(|u| matches!(u, Use::Free)) {
        return Err(Error::DischargeUnused { discharge });
    }
    refused.map_or(Ok(()), Err)
}

/// Whether discharge `candidate` is `holder` or one of the discharges it was reached through.
fn is_ancestor(uses: &[Use], candidate: usize, mut holder: MacaroonRef) -> bool {
    // Each step goes to the macaroon whose caveat a discharge discharged; the links form a tree
    // rooted at the authorizing macaroon, but the walk is bounded by the count all the same.
    for _ in 0..=uses.len() {
        match holder {
            MacaroonRef::Authorizing => return false,
            MacaroonRef::Discharge(i) if i == candidate => return true,
            MacaroonRef::Discharge(i) => match uses.get(i) {
                Some(Use::By(parent)) => holder = *parent,
                _ => return false,
            },
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A nonce source for tests: the same byte every time.
    struct Fixed;
    impl rand_core::TryRng for Fixed {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(7)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(7)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            dst.fill(7);
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Fixed {}

    /// `caveats` third-party caveats with one id, each under its own key; `junk` discharges with
    /// that id first, then the genuine ones in `order`.
    fn verify_counting(caveats: usize, junk: usize, reversed: bool) -> (Result<(), Error>, usize) {
        let key = RootKey::derive(b"root");
        let keys: Vec<RootKey> =
            (0..caveats).map(|i| RootKey::derive(alloc::format!("k{i}").as_bytes())).collect();
        let mut m = Macaroon::new(&key, &b"id"[..]);
        for k in &keys {
            m.add_third_party_caveat(&b""[..], k, &b"same"[..], &mut Fixed);
        }
        let mut ds: Vec<Macaroon<'static>> = (0..junk)
            .map(|i| {
                let k = RootKey::derive(alloc::format!("junk{i}").as_bytes());
                m.prepare_for_request(&Macaroon::discharge(&k, &b"same"[..]))
            })
            .collect();
        let mut genuine: Vec<_> = keys
            .iter()
            .map(|k| m.prepare_for_request(&Macaroon::discharge(k, &b"same"[..])))
            .collect();
        if reversed {
            genuine.reverse();
        }
        ds.extend(genuine);
        let limits = Limits::default().with_max_discharges(caveats + junk);
        let mut walks = 0;
        let result = verify_request(&m, &key, Some(&mut |_: &[u8]| true), &ds, &limits, &mut walks);
        (result, walks)
    }

    #[test]
    fn each_caveat_walks_each_free_same_id_discharge_at_most_once() {
        // Distinct order: caveat i tries the junk, then finds its own discharge next.
        assert_eq!(verify_counting(4, 0, false), (Ok(()), 4));
        assert_eq!(
            verify_counting(4, 5, false),
            (Err(Error::DischargeUnused { discharge: 0 }), 4 * 6)
        );
        // Reversed: caveat 0 tries the junk and the other genuine ones before its own.
        let (result, walks) = verify_counting(4, 5, true);
        assert_eq!(result, Err(Error::DischargeUnused { discharge: 0 }));
        assert_eq!(walks, (5 + 4) + (5 + 3) + (5 + 2) + (5 + 1));
        // The documented bound, at the limit: `(max_discharges + 1) * max_discharges`.
        let (caveats, junk) = (32, 32);
        let (_, walks) = verify_counting(caveats, junk, true);
        let max = caveats + junk;
        assert!(walks <= (max + 1) * max, "{walks}");
    }
}
