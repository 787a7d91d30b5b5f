//! Rebuilds the crate when a migration is added or renamed:
//! `sqlx::migrate!` embeds the migrations it finds, and tracks only their
//! contents, not the folders they are in.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
