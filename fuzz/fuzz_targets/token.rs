//! Onezone identifiers and caveats (string and JSON forms): parse, format, parse back unchanged.
//! The invariants are in `onezone_tokens::fuzzing::token`, which `tests/fuzz_corpus.rs` replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onezone_tokens::fuzzing::token(data));
