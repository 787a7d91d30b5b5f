//! Paykassma's postbacks in an axum service (feature `axum`): an
//! [`InboxReply`] is a response, and [`router`] is a ready endpoint —
//! bodies capped at [`MAX_POSTBACK_BYTES`], each delivery verified and
//! stored by the inbox, answered so that Paykassma stops delivering only
//! what was stored.
//!
//! ```no_run
//! # async fn run(inbox: std::sync::Arc<paykassma::PostbackInbox>) -> std::io::Result<()> {
//! // Mounted where Paykassma's cabinet points its postbacks.
//! let app = axum::Router::new().nest("/paykassma/postback", paykassma::axum_postbacks::router(inbox));
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! To credit on arrival, write the handler around [`PostbackInbox::receive`]
//! and read [`InboxReply::applied`]: a new success names the deposit and
//! its amount. Cap its body as [`router`] does
//! (`.layer(axum::extract::DefaultBodyLimit::max(MAX_POSTBACK_BYTES))`). Crediting once per deposit is the store's rule (a
//! repeat is not `new`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::postback::MAX_POSTBACK_BYTES;
use crate::{InboxReply, PostbackInbox};

/// The reply as Paykassma must get it: its status and JSON body.
impl IntoResponse for InboxReply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            self.body,
        )
            .into_response()
    }
}

/// A router answering `POST /` with `inbox` (nest it under the path
/// Paykassma posts to). Bodies past [`MAX_POSTBACK_BYTES`] are refused with
/// HTTP 413 before they are read in full.
pub fn router(inbox: Arc<PostbackInbox>) -> axum::Router {
    axum::Router::new()
        .route("/", post(receive))
        .layer(DefaultBodyLimit::max(MAX_POSTBACK_BYTES))
        .with_state(inbox)
}

/// Verifies and stores one delivery.
async fn receive(State(inbox): State<Arc<PostbackInbox>>, body: Bytes) -> InboxReply {
    inbox.receive(&body).await
}
