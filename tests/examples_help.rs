//! Every example program answers `--help` with its usage on stdout and exit status 0, and the
//! vector generator writes nothing when asked for help (or given an argument it does not take).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde_json::Value;

/// Builds every example once and returns each one's executable by name.
fn examples() -> HashMap<String, PathBuf> {
    let output = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--examples", "--message-format=json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "building the examples failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["kind"][0] == "example")
        .filter_map(|m| {
            let name = m["target"]["name"].as_str()?.to_owned();
            Some((name, PathBuf::from(m["executable"].as_str()?)))
        })
        .collect()
}

/// The generated vectors' modification time: the generator writes the same bytes every time, so
/// only the time shows whether it wrote.
fn generated_written_at() -> SystemTime {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/generated.json");
    std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_example_answers_help_and_the_generator_writes_nothing() {
    let examples = examples();
    let mut names: Vec<&String> = examples.keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "async_postgres",
            "authenticate",
            "gen_vectors",
            "macaroon_basics",
            "quickstart",
            "sqlite_embedding",
            "token"
        ],
        "a new example must answer --help too"
    );
    let before = generated_written_at();
    for (name, exe) in &examples {
        for flag in ["--help", "-h"] {
            let out = Command::new(exe).arg(flag).output().expect("the example runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "{name} {flag}: {stdout}");
            assert!(stdout.starts_with("usage: "), "{name} {flag}: {stdout}");
        }
    }
    let out = Command::new(&examples["gen_vectors"]).arg("--out").output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "an unknown argument is an error");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
    assert_eq!(
        generated_written_at(),
        before,
        "gen_vectors wrote the vectors when it should not have"
    );
}
