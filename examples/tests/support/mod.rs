//! What the process tests share.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// An example binary built beside this test (`cargo test` builds them).
pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    debug.join("examples").join(name)
}

/// Starts `command` (a receiver example), its standard output piped here,
/// and the address it prints after `listening    : `. What it prints
/// afterwards is read and dropped, or its writes would fail.
pub(crate) fn spawn_listening(command: &mut Command) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("the receiver examples are built (cargo test builds examples)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map(Result::unwrap)
        .find_map(|line| line.strip_prefix("listening    : ").map(str::to_owned))
        .expect("the receiver prints its address");
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}
