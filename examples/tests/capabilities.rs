//! The README's capability table says what each crate's `CAPABILITIES` says.

use payments_core::{Capabilities, Reconciliation};

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn row(provider: &str, c: Capabilities) -> String {
    let reconciliation = match c.reconciliation {
        Reconciliation::StatusLookup => "status lookup",
        Reconciliation::IdempotentRepeat => "idempotent repeat",
        Reconciliation::Notification => "notification",
        _ => "other",
    };
    format!(
        "| {provider} | {} | {} | {} | {} | {reconciliation} |",
        yes_no(c.status_lookup),
        yes_no(c.notifications),
        yes_no(c.pays_out),
        yes_no(c.remote_prepare)
    )
}

#[test]
fn the_readme_capability_table_matches_the_crates() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    for (provider, capabilities) in [
        ("jawali", jawali::CAPABILITIES),
        ("paykassma", paykassma::CAPABILITIES),
        ("tr-qr-wallet", tr_qr_wallet::CAPABILITIES),
        ("allpay", allpay_soap::CAPABILITIES),
    ] {
        let expected = row(provider, capabilities);
        let actual = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {provider} |")))
            .unwrap_or_else(|| panic!("no README row for {provider}"));
        assert_eq!(actual, expected, "README capability row for {provider}");
    }
}

#[test]
fn only_providers_with_a_status_lookup_implement_it() {
    fn has_lookup<T: payments_core::StatusLookup>() {}
    has_lookup::<jawali::JawaliClient>();
    // Checked when the test compiles.
    const {
        assert!(jawali::CAPABILITIES.status_lookup);
        assert!(!paykassma::CAPABILITIES.status_lookup);
        assert!(!tr_qr_wallet::CAPABILITIES.status_lookup);
        assert!(!allpay_soap::CAPABILITIES.status_lookup);
    }
}
