//! V2 JSON text: parse any dialect, re-encode, parse back unchanged.
//! The invariants are in `onezone_tokens::fuzzing::json`, which `tests/fuzz_corpus.rs` replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onezone_tokens::fuzzing::json(data));
