//! Any input, as text and as binary: nothing verifies under a secret the fuzzer does not know.
//! The invariants are in `onezone_tokens::fuzzing::forgery`, which `tests/fuzz_corpus.rs` replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onezone_tokens::fuzzing::forgery(data));
