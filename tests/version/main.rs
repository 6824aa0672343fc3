//! `klue --version` names the commit it was built from, and says "unknown commit" when the
//! build could not know it (a source tarball, no git), rather than a bare version.

#[path = "../../build/commit.rs"]
#[allow(dead_code)]
mod commit;

use std::path::Path;
use std::process::Command;

fn git_works() -> bool {
    Command::new("git").arg("--version").output().is_ok()
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn a_source_tree_without_git_says_unknown_commit() {
    let tarball = tempfile::tempdir().expect("tempdir");
    std::fs::write(tarball.path().join("Cargo.toml"), "[package]\n").expect("write");
    let mut watched = Vec::new();
    let found = commit::find(None, tarball.path(), &mut |p| watched.push(p.to_path_buf()));
    assert_eq!(found, None);
    assert!(watched.is_empty(), "{watched:?}");
    assert_eq!(
        commit::describe("0.1.0", found.as_deref()),
        "0.1.0 (unknown commit)"
    );
    // a blank build argument is no commit either
    assert_eq!(commit::find(Some("  "), tarball.path(), &mut |_| {}), None);
}

#[test]
fn a_tarball_unpacked_inside_another_repository_is_not_that_repository() {
    if !git_works() {
        eprintln!("skipped: no git");
        return;
    }
    let repo = tempfile::tempdir().expect("tempdir");
    git(repo.path(), &["init", "-q"]);
    git(
        repo.path(),
        &["commit", "-q", "--allow-empty", "-m", "other project"],
    );
    let unpacked = repo.path().join("vendor").join("klue-0.1.0");
    std::fs::create_dir_all(&unpacked).expect("mkdir");
    assert_eq!(commit::find(None, &unpacked, &mut |_| {}), None);
    // the repository itself has a commit, with its date, and HEAD's files are watched
    let mut watched = Vec::new();
    let found =
        commit::find(None, repo.path(), &mut |p| watched.push(p.to_path_buf())).expect("a commit");
    let (hash, date) = found.split_once(' ').expect("hash and date");
    assert_eq!(hash.len(), 12, "{found}");
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{found}");
    assert_eq!(date.len(), 10, "{found}");
    assert!(watched.iter().any(|p| p.ends_with("HEAD")), "{watched:?}");
}

#[test]
fn the_build_argument_names_the_commit() {
    let tarball = tempfile::tempdir().expect("tempdir");
    let found = commit::find(Some(" 0123456789ab\n"), tarball.path(), &mut |_| {});
    assert_eq!(
        commit::describe("0.1.0", found.as_deref()),
        "0.1.0 (0123456789ab)"
    );
}

#[test]
fn the_binary_prints_its_version_and_a_commit_or_unknown_commit() {
    let out = Command::new(env!("CARGO_BIN_EXE_klue"))
        .arg("--version")
        .output()
        .expect("run klue --version");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.trim();
    let rest = line
        .strip_prefix(&format!("klue {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not `klue VERSION (COMMIT)`: {line:?}"));
    // built from this checkout (git there) it names HEAD; otherwise it says it does not know
    let source = Path::new(env!("CARGO_MANIFEST_DIR"));
    match commit::find(
        std::env::var("KLUE_BUILD_COMMIT").ok().as_deref(),
        source,
        &mut |_| {},
    ) {
        Some(c) => assert_eq!(rest, c),
        None => assert_eq!(rest, "unknown commit"),
    }
}
