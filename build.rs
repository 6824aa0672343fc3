//! Puts the commit klue is built from into `klue --version` (`KLUE_VERSION`): see
//! build/commit.rs.

#[path = "build/commit.rs"]
mod commit;

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=KLUE_BUILD_COMMIT");
    println!("cargo:rerun-if-changed=build/commit.rs");
    let given = std::env::var("KLUE_BUILD_COMMIT").ok();
    let source = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let found = commit::find(given.as_deref(), &source, &mut |p| {
        println!("cargo:rerun-if-changed={}", p.display());
    });
    println!(
        "cargo:rustc-env=KLUE_VERSION={}",
        commit::describe(env!("CARGO_PKG_VERSION"), found.as_deref())
    );
}
