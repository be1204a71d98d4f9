//! V2 binary bytes: parse, re-encode in canonical form, parse back unchanged.
//! The invariants are in `onezone_tokens::fuzzing::v2`, which `tests/fuzz_corpus.rs` replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onezone_tokens::fuzzing::v2(data));
