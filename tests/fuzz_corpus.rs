//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) and the inputs of fixed bugs
//! (`fuzz/regressions/<target>/`) through the invariants of `onezone_tokens::fuzzing`, so every
//! input a fuzzer kept is checked by a plain `cargo test`, without cargo-fuzz or a nightly
//! toolchain.
//!
//! The corpora are not in the published package (`fuzz/` is its own crate, and megabytes of
//! inputs): there, in an unpacked `.crate` without `fuzz/`, every test here reports itself
//! *ignored* with the reason, never passed. In a checkout a missing corpus is a failure.

use std::fs;
use std::io::ErrorKind;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Trial};
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

fn replay(target: &str, check: Check) {
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

/// A fuzz target's invariant: panics on an input that breaks it.
type Check = fn(&[u8]);

/// The fuzz targets whose corpora are replayed, each with its invariant.
const TARGETS: [(&str, Check); 7] = [
    ("v1", fuzzing::v1),
    ("v2", fuzzing::v2),
    ("json", fuzzing::json),
    ("discharge", fuzzing::discharge),
    ("text", fuzzing::text),
    ("forgery", fuzzing::forgery),
    ("token", fuzzing::token),
];

/// Whether this is an unpacked published package (`cargo package` writes `Cargo.toml.orig`)
/// that does not ship `fuzz/`: the only place where a missing corpus is expected.
fn corpora_not_shipped() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    root.join("Cargo.toml.orig").is_file() && !root.join("fuzz").is_dir()
}

fn main() {
    let args = Arguments::from_args();
    let ignore = corpora_not_shipped();
    if ignore {
        eprintln!(
            "fuzz_corpus: ignored: the fuzz corpora (fuzz/) are not in the published package; \
             run these tests from a checkout of the repository"
        );
    }
    let trials = TARGETS
        .iter()
        .map(|&(target, check)| {
            Trial::test(format!("{target}_corpus"), move || {
                replay(target, check);
                Ok(())
            })
            .with_ignored_flag(ignore)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
