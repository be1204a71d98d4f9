//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) and the inputs of fixed bugs
//! (`fuzz/regressions/<target>/`) through the invariants of `onezone_tokens::fuzzing`, so every
//! input a fuzzer kept is checked by a plain `cargo test`, without cargo-fuzz or a nightly
//! toolchain.

use std::fs;
use std::io::ErrorKind;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use onezone_tokens::fuzzing;

/// Fewer files than this means the corpus went missing (the seeds alone are more).
const MIN_FILES: usize = 10;

fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = fuzz.join("corpus").join(target);
    let mut files = list_files(&corpus);
    assert!(
        files.len() >= MIN_FILES,
        "{}: only {} files, expected at least {MIN_FILES} (regenerate with `python3 fuzz/seed.py`)",
        corpus.display(),
        files.len()
    );
    let regressions = fuzz.join("regressions").join(target);
    if regressions.is_dir() {
        files.extend(list_files(&regressions));
    }
    let failures: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = match fs::read(path) {
                Ok(data) => data,
                // A fuzzer running on the same corpus replaced it with a smaller input.
                Err(e) if e.kind() == ErrorKind::NotFound => return false,
                Err(e) => panic!("cannot read {}: {e}", path.display()),
            };
            panic::catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failures.is_empty(),
        "{target}: {} input(s) fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn v1_corpus() {
    replay("v1", fuzzing::v1);
}

#[test]
fn v2_corpus() {
    replay("v2", fuzzing::v2);
}

#[test]
fn json_corpus() {
    replay("json", fuzzing::json);
}

#[test]
fn discharge_corpus() {
    replay("discharge", fuzzing::discharge);
}

#[test]
fn text_corpus() {
    replay("text", fuzzing::text);
}

#[test]
fn forgery_corpus() {
    replay("forgery", fuzzing::forgery);
}

#[test]
fn token_corpus() {
    replay("token", fuzzing::token);
}
