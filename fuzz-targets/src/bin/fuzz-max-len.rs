//! Prints each fuzz target's `-max_len` (`fuzz_targets::MAX_LEN`), one
//! `name length` line each, for `cargo xtask fuzz`.
#![allow(clippy::print_stdout)]

fn main() {
    for (name, length) in fuzz_targets::MAX_LEN {
        println!("{name} {length}");
    }
}
