//! The money-safety campaign, small: every provider, random faults on the
//! committing call, no payment doubled, lost, invented or left unsettled.
//! (`cargo xtask faults` runs the full campaign.)

use examples::campaign;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_money_is_doubled_lost_or_invented_under_faults() {
    let seed = std::env::var("CAMPAIGN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_123);
    let reports = campaign::run(30, seed).await.unwrap();
    let table = campaign::table(&reports, seed);
    for report in &reports {
        assert_eq!(report.operations, 30, "{table}");
        assert!(
            report.faults > 0,
            "the campaign must inject faults: {table}"
        );
        assert!(
            report.is_clean(),
            "money-safety violation (replay with CAMPAIGN_SEED={seed}):\n{table}"
        );
        assert_eq!(report.reconciled, report.unknown_outcomes, "{table}");
    }
}
