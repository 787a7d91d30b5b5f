//! The simulator's HTTP front: the request checked by the client's rules
//! for answers (one parse, the limits, the strict envelope, its signature
//! and certificate number), routed by service path and quoted
//! `SOAPAction`, and answered with a signed envelope echoing the request's
//! digest.

use std::collections::HashMap;
use std::sync::Arc;

use payments_core::async_trait;
use payments_core::sandbox::{SandboxHandler, SandboxRequest, SandboxResponse};

use super::ledger::{Shared, TwoPhase};
use super::{CERTIFICATE_NUMBER, REQUESTER};
use crate::dsig::sign_envelope;
use crate::generated::{self as g, cash_in, transaction_management as tm};
use crate::soap::{self, Fault};
use crate::{CASH_IN_PATH, TRANSACTION_MANAGEMENT_PATH};

pub(super) struct Simulator(pub(super) Arc<Shared>);

/// What the request said, read namespace-aware.
pub(super) struct Call {
    pub(super) operation: String,
    digest: String,
    fields: HashMap<String, String>,
}

fn xml_response(status: u16, body: String) -> SandboxResponse {
    SandboxResponse::with_type(status, "text/xml; charset=utf-8", body)
}

fn sign_error() -> SandboxResponse {
    xml_response(
        500,
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Sign Error: bad sign or authorization token</faultstring></soap:Fault></soap:Body></soap:Envelope>"#.to_owned(),
    )
}

#[async_trait]
impl SandboxHandler for Simulator {
    fn operation(&self, request: &SandboxRequest) -> String {
        request
            .header("soapaction")
            .unwrap_or("unknown")
            .trim_matches('"')
            .to_owned()
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        self.0.lock().requests += 1;
        let Ok(text) = std::str::from_utf8(&request.body) else {
            return sign_error();
        };
        // The client's rules for answers, applied to requests: one parse,
        // the limits, the strict envelope (one `certificateNumber`, in the
        // Header), the Signature a direct child of the Header; the call is
        // read from the same tree.
        let Ok(doc) = crate::dsig::parse(text) else {
            return sign_error();
        };
        let Ok(envelope) = soap::check_envelope(&doc, "certificateNumber") else {
            return sign_error();
        };
        let Ok((verified, _)) = crate::dsig::verify_document(&doc, &self.0.merchant) else {
            return sign_error();
        };
        let certificate = envelope
            .request_dsig
            .and_then(|node| crate::read::string(node).ok());
        if certificate.as_deref() != Some(CERTIFICATE_NUMBER) {
            return sign_error();
        }
        let service = match request.path.trim_start_matches('/') {
            CASH_IN_PATH => cash_in::NAMESPACE,
            TRANSACTION_MANAGEMENT_PATH => tm::NAMESPACE,
            _ => {
                return SandboxResponse::with_type(
                    404,
                    "text/html",
                    "<html><body>Not Found</body></html>",
                );
            }
        };
        // SOAP 1.1 §6.1.1 / WS-I R1109: the SOAPAction is a quoted string,
        // and JAX-WS matches it quoted — an unquoted one is not understood.
        let quoted = request
            .header("soapaction")
            .is_some_and(|a| a.len() >= 2 && a.starts_with('"') && a.ends_with('"'));
        if !quoted {
            return self.fault(
                None,
                "soap:Client",
                "SOAPAction must be a quoted string",
                "",
            );
        }
        let Some(call) = read_call(envelope.content, service, verified.digest_value) else {
            return self.fault(
                None,
                "soap:Client",
                "Unknown operation or malformed request",
                "",
            );
        };
        // Every operation but `echo` carries a header naming the agent.
        if call.operation != "echo"
            && call.fields.get("requester").map(String::as_str) != Some(REQUESTER)
        {
            return self.fault(
                Some(&call),
                "soap:Client",
                "Unknown requester",
                "Агент не найден",
            );
        }
        self.dispatch(&call)
    }
}

/// The call in the Body's one element `operation`: its one child (the
/// request, or `echo`'s text), that child's text fields and its `header`'s,
/// each at its place and once.
fn read_call(operation: roxmltree::Node<'_, '_>, service: &str, digest: String) -> Option<Call> {
    use crate::read::{elements, string, unqualified};
    if operation.tag_name().namespace() != Some(service) {
        return None;
    }
    let mut request = elements(operation).ok()?;
    let (Some(request), None) = (request.next(), request.next()) else {
        return None;
    };
    let mut fields = HashMap::new();
    let mut put = |node: roxmltree::Node<'_, '_>| -> Option<()> {
        let name = unqualified(node)?.to_owned();
        let value = string(node).ok()?;
        fields.insert(name, value).is_none().then_some(())
    };
    if request.children().any(|c| c.is_element()) {
        for field in elements(request).ok()? {
            if unqualified(field) == Some("header") {
                for item in elements(field).ok()? {
                    put(item)?;
                }
            } else {
                put(field)?;
            }
        }
    } else {
        put(request)?;
    }
    Some(Call {
        operation: operation.tag_name().name().to_owned(),
        digest,
        fields,
    })
}

pub(super) fn ok_header() -> g::ResponseHeader {
    g::ResponseHeader {
        user_message: Some("Операция выполнена успешно".to_owned()),
        developer_message: Some("OK".to_owned()),
        status: 0,
        timestamp: None,
    }
}

impl Simulator {
    pub(super) fn signed<B: yaserde::YaSerialize>(
        &self,
        call: Option<&Call>,
        status: u16,
        body: B,
    ) -> SandboxResponse {
        let Ok(xml) = soap::write(body) else {
            return sign_error();
        };
        let xml = match call {
            Some(call) => {
                soap::add_header_element(&xml, "requestDsig", &call.digest).unwrap_or(xml)
            }
            None => xml,
        };
        match sign_envelope(&xml, &self.0.allpay) {
            Ok(signed) => xml_response(status, signed.xml),
            Err(_) => sign_error(),
        }
    }

    pub(super) fn fault(
        &self,
        call: Option<&Call>,
        code: &str,
        developer: &str,
        user: &str,
    ) -> SandboxResponse {
        let body = cash_in::EchoResponseBody {
            response: None,
            fault: Some(Fault {
                faultcode: code.to_owned(),
                faultstring: developer.to_owned(),
            }),
        };
        let Ok(xml) = soap::write(body) else {
            return sign_error();
        };
        let detail = format!(
            "<detail><developerMessage>{developer}</developerMessage><userMessage>{user}</userMessage><stackHash>sb-{:08x}</stackHash></detail>",
            developer.len() * 2654435761 % 4294967291
        );
        let xml = xml.replacen("</faultstring>", &format!("</faultstring>{detail}"), 1);
        let xml = match call {
            Some(call) => {
                soap::add_header_element(&xml, "requestDsig", &call.digest).unwrap_or(xml)
            }
            None => xml,
        };
        match sign_envelope(&xml, &self.0.allpay) {
            Ok(signed) => xml_response(500, signed.xml),
            Err(_) => sign_error(),
        }
    }

    pub(super) fn field<'c>(call: &'c Call, name: &str) -> &'c str {
        call.fields.get(name).map_or("", String::as_str)
    }

    fn dispatch(&self, call: &Call) -> SandboxResponse {
        match call.operation.as_str() {
            "echo" => self.signed(
                Some(call),
                200,
                cash_in::EchoResponseBody {
                    response: Some(cash_in::EchoResponse {
                        result: Self::field(call, "Echo").to_owned(),
                    }),
                    fault: None,
                },
            ),
            "checkUser" | "checkUserAndValidateCashIn" => {
                let info = self
                    .0
                    .lock()
                    .users
                    .get(Self::field(call, "userName"))
                    .cloned();
                let result = g::CheckUserResponse {
                    header: ok_header(),
                    basic_user_info: info.map(|u| g::BasicUserInfo {
                        identified: u.identified,
                        iin: u.iin,
                        first_name: u.first_name,
                        last_name: u.last_name,
                        patronymic: u.patronymic,
                    }),
                };
                if call.operation == "checkUser" {
                    self.signed(
                        Some(call),
                        200,
                        cash_in::CheckUserResponseBody {
                            response: Some(cash_in::CheckUserResponse { result }),
                            fault: None,
                        },
                    )
                } else {
                    self.signed(
                        Some(call),
                        200,
                        cash_in::CheckUserAndValidateCashInResponseBody {
                            response: Some(cash_in::CheckUserAndValidateCashInResponse { result }),
                            fault: None,
                        },
                    )
                }
            }
            "createCashInPayment" => self.terminal(call),
            "createCashInTransaction" => self.create_transaction(call),
            "createCashOutTransaction" => self.create_cash_out(call),
            "completeTransaction" | "declineTransaction" => self.transaction_action(call),
            "availableBalance" => {
                let available = self.0.lock().available;
                self.signed(
                    Some(call),
                    200,
                    tm::AvailableBalanceResponseBody {
                        response: Some(tm::AvailableBalanceResponse {
                            result: g::AvailableBalanceResponse {
                                header: ok_header(),
                                agent_balance_response: available.to_string(),
                            },
                        }),
                        fault: None,
                    },
                )
            }
            _ => self.fault(Some(call), "soap:Client", "Unknown operation", ""),
        }
    }

    pub(super) fn info(guid: &str, t: &TwoPhase) -> g::TransactionInfo {
        g::TransactionInfo {
            guid: guid.to_owned(),
            amount: t.amount.to_json_number().to_string(),
            transaction_id: t.id,
            transaction_status: g::TransactionStatus::new(t.status),
            commission: Some("0".to_owned()),
            commission_to: Some("0".to_owned()),
        }
    }

    pub(super) fn transaction_answer(
        &self,
        call: &Call,
        info: g::TransactionInfo,
    ) -> SandboxResponse {
        let result = g::TransactionResponse {
            header: ok_header(),
            transaction_info: info,
        };
        match call.operation.as_str() {
            "createCashInTransaction" => self.signed(
                Some(call),
                200,
                tm::CreateCashInTransactionResponseBody {
                    response: Some(tm::CreateCashInTransactionResponse { result }),
                    fault: None,
                },
            ),
            "createCashOutTransaction" => self.signed(
                Some(call),
                200,
                tm::CreateCashOutTransactionResponseBody {
                    response: Some(tm::CreateCashOutTransactionResponse { result }),
                    fault: None,
                },
            ),
            "completeTransaction" => self.signed(
                Some(call),
                200,
                tm::CompleteTransactionResponseBody {
                    response: Some(tm::CompleteTransactionResponse { result }),
                    fault: None,
                },
            ),
            _ => self.signed(
                Some(call),
                200,
                tm::DeclineTransactionResponseBody {
                    response: Some(tm::DeclineTransactionResponse { result }),
                    fault: None,
                },
            ),
        }
    }
}
