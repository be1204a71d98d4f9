//! Framed parts (a macaroon, then discharges): no discharge set makes a macaroon verify under a
//! key it was not made with. The invariants are in `onezone_tokens::fuzzing::discharge`, which
//! `tests/fuzz_corpus.rs` replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onezone_tokens::fuzzing::discharge(data));
