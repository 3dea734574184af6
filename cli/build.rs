//! Build facts shown by `flv version`: target triple, rustc version and git commit.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Re-run when the checked-out commit changes (HEAD, the branch ref, packed refs).
fn watch_git(dir: &Path) {
    let mut paths = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(reference) = run("git", &["symbolic-ref", "-q", "HEAD"], dir) {
        paths.push(reference);
    }
    for name in paths {
        if let Some(path) = run("git", &["rev-parse", "--git-path", &name], dir) {
            let path = dir.join(PathBuf::from(path));
            // A missing path would make cargo re-run this script on every build.
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=FLV_GIT_HASH");
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));

    let target = env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=FLV_BUILD_TARGET={target}");

    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = run(&rustc, &["--version"], &dir).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=FLV_RUSTC_VERSION={rustc_version}");

    let hash = env::var("FLV_GIT_HASH")
        .ok()
        .filter(|hash| !hash.is_empty())
        .or_else(|| {
            watch_git(&dir);
            run("git", &["rev-parse", "--short=12", "HEAD"], &dir)
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=FLV_GIT_HASH={hash}");
}
