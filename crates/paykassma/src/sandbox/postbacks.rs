//! Postbacks: each credited deposit's, signed with the sandbox's keys and
//! delivered to
//! [`SandboxOptions::postback_url`](super::SandboxOptions::postback_url) until acknowledged.

use std::sync::Arc;

use payments_core::clock::Clock;
use payments_core::http::Request;
use payments_core::wire::{DecimalStyle, JsonNumber};
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;
use url::Url;

use super::ledger::{CreditedDeposit, Shared};
use super::{PaykassmaSandbox, PostbackQuirks};
use crate::postback::{DEFAULT_OFFSET, PostbackSigner};

/// A postback delivery: sent once per attempt, the sandbox's own loop
/// repeating it as Paykassma does.
const POSTBACK: payments_core::Operation =
    payments_core::Operation::money_moving("paykassma-sandbox", "postback");
/// One delivery attempt of a postback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostbackDelivery {
    /// The deposit's `custom_transaction_id`.
    pub custom_transaction_id: String,
    /// 1 for the first delivery.
    pub attempt: u32,
    /// The merchant endpoint's HTTP status (`None`: no connection).
    pub status: Option<u16>,
    /// Whether the answer was the acknowledgement.
    pub acknowledged: bool,
}

#[derive(Serialize)]
struct PostbackFields<'a> {
    transaction_id: u64,
    wallet_type: &'a str,
    direction: &'static str,
    status: &'static str,
    amount: JsonNumber,
    currency_code: &'static str,
    label: &'a str,
    custom_transaction_id: &'a str,
    created_at: String,
    activated_at: String,
}

impl Shared {
    /// Books `deposit` and delivers its postback until acknowledged (with
    /// the payment's quirks: late, a `pending` one first, repeated).
    pub(super) async fn credit(
        self: Arc<Self>,
        deposit: CreditedDeposit,
        wallet_type: String,
        quirks: PostbackQuirks,
    ) {
        let id = self.book(&deposit);
        let (url, batch) = {
            let options = self.options();
            (options.postback_url.clone(), options.batch_postbacks)
        };
        let Some(url) = url else { return };
        if !quirks.delay.is_zero() {
            tokio::time::sleep(quirks.delay).await;
        }
        let now = OffsetDateTime::from(self.clock.now())
            .to_offset(DEFAULT_OFFSET)
            .format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .unwrap_or_default();
        let body = |status: &'static str| {
            let fields = PostbackFields {
                transaction_id: id,
                wallet_type: &wallet_type,
                direction: "ingoing",
                status,
                amount: JsonNumber::new(deposit.amount.amount(), DecimalStyle::Normalized),
                currency_code: deposit.amount.currency().code(),
                label: &deposit.label,
                custom_transaction_id: &deposit.custom_transaction_id,
                created_at: now.clone(),
                activated_at: now.clone(),
            };
            let signer = PostbackSigner::new(PaykassmaSandbox::postback_keys());
            serde_json::to_string(&fields)
                .ok()
                .and_then(|text| {
                    if batch {
                        signer.sign_batch_text(&format!("[{text}]")).ok()
                    } else {
                        signer.sign_flat_text(&text).ok()
                    }
                })
                .unwrap_or_default()
        };
        if quirks.pending_first {
            self.deliver(&url, &deposit, body("pending")).await;
        }
        let last = body("success");
        self.deliver(&url, &deposit, last.clone()).await;
        if quirks.repeat {
            self.deliver(&url, &deposit, last).await;
        }
    }

    /// Delivers one postback body until acknowledged or out of attempts.
    async fn deliver(&self, url: &Url, deposit: &CreditedDeposit, body: String) {
        let (interval, attempts) = {
            let options = self.options();
            (
                options.postback_retry_interval,
                options.postback_max_attempts,
            )
        };
        for attempt in 1..=attempts {
            let request = Request::post(url.clone()).body(
                reqwest::header::HeaderValue::from_static("application/json"),
                body.clone(),
            );
            let answer = self.http.execute(POSTBACK, None, &request).await;
            let (status, acknowledged) = match answer {
                Ok(response) => {
                    let ack = response.status == 200
                        && serde_json::from_slice::<serde_json::Value>(&response.body)
                            .is_ok_and(|v| v == serde_json::json!({"status": "ok"}));
                    (Some(response.status), ack)
                }
                Err(_) => (None, false),
            };
            self.lock().deliveries.push(PostbackDelivery {
                custom_transaction_id: deposit.custom_transaction_id.clone(),
                attempt,
                status,
                acknowledged,
            });
            if acknowledged {
                return;
            }
            tokio::time::sleep(interval).await;
        }
    }
}
