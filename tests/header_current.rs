//! Fails when the committed `include/zmq.h` or `include/zmq_utils.h` is stale.
//!
//! build.rs regenerates both headers on every build into `OUT_DIR` (and refreshes the
//! working copies in `include/`). What counts is what gets committed: the test compares
//! the fresh copies with the versions in git's index (the committed ones, plus anything
//! staged), or with the files on disk outside a git checkout.

use std::path::Path;
use std::process::Command;

/// Where build.rs wrote the headers it generated from the current sources.
const FRESH_DIR: &str = env!("OUT_DIR");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The text of `include/<name>` as committed (or staged), else as on disk.
fn committed(name: &str) -> String {
    let spec = format!(":./include/{name}");
    let from_git = Command::new("git")
        .args(["show", &spec])
        .current_dir(ROOT)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok());
    from_git.unwrap_or_else(|| {
        let path = Path::new(ROOT).join("include").join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    })
}

fn check(name: &str) {
    let fresh_path = Path::new(FRESH_DIR).join(name);
    let fresh = std::fs::read_to_string(&fresh_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", fresh_path.display()));
    let committed = committed(name);
    if fresh != committed {
        let line = fresh
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| fresh.lines().count().min(committed.lines().count()));
        panic!(
            "include/{name} is stale (first difference at line {}): build.rs generated {} \
             from the current sources; commit the regenerated include/{name}",
            line + 1,
            fresh_path.display()
        );
    }
}

#[test]
fn zmq_h_is_current() {
    check("zmq.h");
}

#[test]
fn zmq_utils_h_is_current() {
    check("zmq_utils.h");
}
