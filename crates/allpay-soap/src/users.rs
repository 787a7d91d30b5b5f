//! The customer and the round trip: `echo`, `checkUser` and
//! `checkUserAndValidateCashIn`.

use payments_core::{Error, Result};

use crate::generated::{self as g, cash_in};
use crate::model::{UserInfo, UserName};
use crate::session::{AllpayClient, CHECK_USER, CHECK_USER_CASH_IN, ECHO, Prepared, header_ok};

impl AllpayClient {
    /// `echo`: Allpay answers the message back (a signed round trip).
    ///
    /// # Errors
    ///
    /// Transport, signature and decoding errors.
    pub async fn echo(&self, message: &str) -> Result<String> {
        // Allpay declares `String echo(@WebParam(name = "Echo") String echo)`:
        // `<ns:echo><Echo>…</Echo></ns:echo>`, answered `<return>…</return>`.
        let body = cash_in::EchoBody {
            operation: cash_in::Echo {
                request: message.to_owned(),
            },
        };
        let prepared = self.prepare(ECHO, false, "echo", body, None)?;
        self.send::<cash_in::EchoResponseBody, _>(&prepared, |answer| {
            let answer: cash_in::EchoResponse = answer;
            // Bound to the request: the message comes back as sent.
            if answer.result != message {
                return Err(Error::mismatch(ECHO, "return", message, answer.result));
            }
            Ok(answer.result)
        })
        .await
    }

    /// `checkUser`: the customer, or `None` when there is no such customer
    /// (Allpay answers without `basicUserInfo`).
    ///
    /// # Errors
    ///
    /// A decline (a Fault, or a header status other than 0); transport,
    /// signature and decoding errors.
    pub async fn check_user(&self, user: &UserName) -> Result<Option<UserInfo>> {
        let prepared = self.prepare_check_user(user)?;
        self.send::<cash_in::CheckUserResponseBody, _>(&prepared, read_check_user)
            .await
    }

    /// `checkUser`'s request, written and signed.
    pub(crate) fn prepare_check_user(&self, user: &UserName) -> Result<Prepared> {
        let body = cash_in::CheckUserBody {
            operation: cash_in::CheckUser {
                request: g::CheckUserRequest {
                    header: self.header(),
                    user_name: user.as_str().to_owned(),
                },
            },
        };
        self.prepare(CHECK_USER, false, "checkUser", body, None)
    }

    /// `checkUserAndValidateCashIn`: as [`check_user`](Self::check_user), and
    /// Allpay also checks a cash-in to the customer is allowed.
    ///
    /// # Errors
    ///
    /// As [`check_user`](Self::check_user).
    pub async fn check_user_for_cash_in(&self, user: &UserName) -> Result<Option<UserInfo>> {
        let prepared = self.prepare_check_user_for_cash_in(user)?;
        self.send::<cash_in::CheckUserAndValidateCashInResponseBody, _>(&prepared, |answer| {
            let answer = answer.result;
            header_ok(CHECK_USER_CASH_IN, &answer.header)?;
            Ok(answer.basic_user_info.map(user_info))
        })
        .await
    }
}

impl AllpayClient {
    /// `checkUserAndValidateCashIn`'s request for `user`, signed.
    pub(crate) fn prepare_check_user_for_cash_in(&self, user: &UserName) -> Result<Prepared> {
        let body = cash_in::CheckUserAndValidateCashInBody {
            operation: cash_in::CheckUserAndValidateCashIn {
                request: g::CheckUserRequest {
                    header: self.header(),
                    user_name: user.as_str().to_owned(),
                },
            },
        };
        self.prepare(
            CHECK_USER_CASH_IN,
            false,
            "checkUserAndValidateCashIn",
            body,
            None,
        )
    }
}

/// A `checkUser` answer: the customer, if there is one.
pub(crate) fn read_check_user(answer: cash_in::CheckUserResponse) -> Result<Option<UserInfo>> {
    let answer = answer.result;
    header_ok(CHECK_USER, &answer.header)?;
    Ok(answer.basic_user_info.map(user_info))
}

fn user_info(info: g::BasicUserInfo) -> UserInfo {
    UserInfo {
        identified: info.identified,
        iin: info.iin,
        first_name: info.first_name,
        last_name: info.last_name,
        patronymic: info.patronymic,
    }
}
