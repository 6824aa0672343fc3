//! Puts the commit klue is built from into `klue --version` (`KLUE_COMMIT`): from git when
//! the source is a checkout, else from `$KLUE_BUILD_COMMIT` (a container build or a
//! packager that knows it), else nothing (a source tarball prints the version alone).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=KLUE_BUILD_COMMIT");
    let commit = std::env::var("KLUE_BUILD_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .or_else(from_git);
    let described = match commit {
        Some(c) => format!("{} ({c})", env!("CARGO_PKG_VERSION")),
        None => env!("CARGO_PKG_VERSION").to_string(),
    };
    println!("cargo:rustc-env=KLUE_VERSION={described}");
}

/// `abcdef123456 2026-12-02` for HEAD, when git and a repository are there.
fn from_git() -> Option<String> {
    // only klue's own repository: not one that merely contains an unpacked tarball
    let top = git(&["rev-parse", "--show-toplevel"]).map(PathBuf::from)?;
    let here = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    if top.canonicalize().ok()? != here.canonicalize().ok()? {
        return None;
    }
    let git_dir = git(&["rev-parse", "--git-dir"]).map(PathBuf::from)?;
    let common = git(&["rev-parse", "--git-common-dir"])
        .map(PathBuf::from)
        .unwrap_or_else(|| git_dir.clone());
    // rebuild when HEAD moves: the HEAD file (a branch switch) and the branch it points to
    watch(&git_dir.join("HEAD"));
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch(&common.join(branch));
    }
    watch(&common.join("packed-refs"));
    let hash = git(&["rev-parse", "--short=12", "HEAD"])?;
    let date = git(&["log", "-1", "--format=%cs", "HEAD"]);
    Some(match date {
        Some(d) => format!("{hash} {d}"),
        None => hash,
    })
}

fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}
