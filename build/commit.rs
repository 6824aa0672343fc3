//! The commit klue is built from, as `klue --version` prints it. Used by build.rs (which
//! puts the result in `KLUE_VERSION`) and tested by tests/version.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `0.1.0 (abcdef123456 2026-12-02)`; without a known commit (a source tarball, no git)
/// `0.1.0 (unknown commit)`, never a bare version that could pass for a release's.
pub fn describe(version: &str, commit: Option<&str>) -> String {
    format!("{version} ({})", commit.unwrap_or("unknown commit"))
}

/// The commit: `given` (`$KLUE_BUILD_COMMIT`, from a container build or a packager that
/// knows it) when not blank, else HEAD of git when `source` is the top of a checkout (not a
/// tarball unpacked inside some other repository). `watch` is told the files whose change
/// moves HEAD (the build reruns on them).
pub fn find(given: Option<&str>, source: &Path, watch: &mut dyn FnMut(&Path)) -> Option<String> {
    given
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .or_else(|| from_git(source, watch))
}

/// `abcdef123456 2026-12-02` for HEAD, when git and a repository are there.
fn from_git(source: &Path, watch: &mut dyn FnMut(&Path)) -> Option<String> {
    let git = |args: &[&str]| git(source, args);
    let top = git(&["rev-parse", "--show-toplevel"]).map(PathBuf::from)?;
    if top.canonicalize().ok()? != source.canonicalize().ok()? {
        return None;
    }
    let absolute = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() { p } else { source.join(p) }
    };
    let git_dir = git(&["rev-parse", "--git-dir"]).map(absolute)?;
    let common = git(&["rev-parse", "--git-common-dir"])
        .map(absolute)
        .unwrap_or_else(|| git_dir.clone());
    // HEAD moves: the HEAD file (a branch switch) and the branch it points to
    let mut seen = |p: &Path| {
        if p.exists() {
            watch(p);
        }
    };
    seen(&git_dir.join("HEAD"));
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        seen(&common.join(branch));
    }
    seen(&common.join("packed-refs"));
    let hash = git(&["rev-parse", "--short=12", "HEAD"])?;
    Some(match git(&["log", "-1", "--format=%cs", "HEAD"]) {
        Some(d) => format!("{hash} {d}"),
        None => hash,
    })
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}
