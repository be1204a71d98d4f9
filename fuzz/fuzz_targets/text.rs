//! Token text in any form: every format and encoding reads back the same macaroon.
//! The invariants are in `onezone_tokens::fuzzing::text`, which `tests/fuzz_corpus.rs` replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onezone_tokens::fuzzing::text(data));
