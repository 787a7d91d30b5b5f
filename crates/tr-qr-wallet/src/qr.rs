//! Test QR codes: a sale created without a point-of-sale.

use payments_core::{Currency, Error, Money, Result};

use crate::QrWalletClient;
use crate::model::{CreatedQrCode, QrCode};
use crate::wire::{self, CREATE_QR};

/// Create-QR's path under the API URL.
pub(crate) const CREATE_QR_PATH: &str = "v1/Transaction/Create3rdPartyQrCode";

impl QrWalletClient {
    /// Creates a QR code for a test sale (`Create3rdPartyQrCode`), so a flow
    /// can run without a point-of-sale. Test systems only.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a zero or non-TRY amount; a decline; transport errors.
    pub async fn create_qr_code(
        &self,
        merchant_code: &str,
        terminal_code: &str,
        amount: Money,
    ) -> Result<CreatedQrCode> {
        let amount = amount
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e))?;
        if amount.currency() != Currency::TRY {
            return Err(Error::invalid(
                "amount",
                format_args!("must be in TRY, not {}", amount.currency()),
            ));
        }
        let body = wire::CreateQrBody {
            provider_id: &self.inner.config.provider_id,
            data: wire::CreateQrData {
                merchant_code,
                terminal_code,
                transaction_amount: amount.to_json_number(),
            },
        };
        self.call(
            CREATE_QR,
            &self.inner.create_qr_url,
            None,
            &body,
            |payload: wire::CreateQrPayload, response| {
                Ok(CreatedQrCode {
                    qr_code: QrCode::new(&payload.qr_code)
                        .map_err(|e| self.inner.http.undecodable(CREATE_QR, e, response, None))?,
                    short_code: payload.short_code,
                    expire_date: payload.expire_date,
                })
            },
        )
        .await
    }
}
