//! What the process tests share.

use std::path::PathBuf;

/// An example binary built beside this test (`cargo test` builds them).
pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    debug.join("examples").join(name)
}
