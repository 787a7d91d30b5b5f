//! What the providers' simulators share: an HTTP server on loopback, a
//! controllable clock ([`ManualClock`](crate::clock::ManualClock)) and fault
//! injection.
//!
//! A provider crate implements [`SandboxHandler`] — the simulated provider's
//! state and wire format — and serves it with [`SandboxServer::start`]. The
//! server runs the handler on its own task, so a request the client gave up
//! on (timeout, dropped connection) is still processed to the end, as it
//! would be by a real provider.

mod faults;

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub use faults::{Fault, Faults, InjectedFault};

use crate::http::BaseUrl;

/// A request as the simulated provider sees it.
#[derive(Debug, Clone)]
pub struct SandboxRequest {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl SandboxRequest {
    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// A form body's field, percent-decoded.
    pub fn form_field(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The bearer token of the `Authorization` header.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }

    /// The body as JSON.
    ///
    /// # Errors
    ///
    /// The JSON error when the body is not a `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// The simulated provider's answer.
#[derive(Debug, Clone)]
pub struct SandboxResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers, `Content-Type` included.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Bytes,
}

impl SandboxResponse {
    /// A JSON answer.
    pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> Self {
        // Serializing the simulator's own wire types cannot fail; an empty
        // body would be caught by the client as undecodable anyway.
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        Self::with_type(status, "application/json", bytes)
    }

    /// An answer with a content type and body.
    pub fn with_type(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        SandboxResponse {
            status,
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(content_type),
            )],
            body: body.into(),
        }
    }
}

/// A simulated provider.
#[async_trait]
pub trait SandboxHandler: Send + Sync + 'static {
    /// The operation a request is for, as fault rules name it (`"cash_out"`).
    fn operation(&self, request: &SandboxRequest) -> String;

    /// Processes a request and answers it.
    async fn handle(&self, request: SandboxRequest) -> SandboxResponse;
}

/// A simulated provider served over HTTP on `127.0.0.1`, on a free port.
/// Stops when dropped.
#[derive(Debug)]
pub struct SandboxServer {
    addr: SocketAddr,
    faults: Arc<Faults>,
    requests: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl SandboxServer {
    /// Starts serving `handler` on `127.0.0.1:0`.
    ///
    /// # Errors
    ///
    /// The I/O error when no loopback port can be bound.
    pub async fn start(handler: Arc<dyn SandboxHandler>) -> std::io::Result<Self> {
        Self::start_on(0, handler).await
    }

    /// Starts serving `handler` on `127.0.0.1:port` (`0`: a free port), for
    /// a sandbox run as a server of its own.
    ///
    /// # Errors
    ///
    /// When the port cannot be bound.
    pub async fn start_on(port: u16, handler: Arc<dyn SandboxHandler>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let faults = Arc::new(Faults::default());
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let task = tokio::spawn(serve(
            listener,
            handler,
            Arc::clone(&faults),
            Arc::clone(&requests),
        ));
        Ok(SandboxServer {
            addr,
            faults,
            requests,
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> BaseUrl {
        // A loopback http URL always passes BaseUrl's checks.
        #[allow(clippy::expect_used)]
        BaseUrl::parse(&format!("http://{}", self.addr)).expect("loopback URL is a valid base URL")
    }

    /// The faults to inject into the next requests.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// How many HTTP requests it has received (faulted ones included).
    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for SandboxServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    listener: TcpListener,
    handler: Arc<dyn SandboxHandler>,
    faults: Arc<Faults>,
    requests: Arc<std::sync::atomic::AtomicUsize>,
) {
    // Dropping the set (when this task is aborted) aborts every connection.
    let mut connections = JoinSet::new();
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "sandbox accept failed");
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let handler = Arc::clone(&handler);
        let faults = Arc::clone(&faults);
        let requests = Arc::clone(&requests);
        connections.spawn(async move {
            let service = service_fn(move |request| {
                requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                respond(request, Arc::clone(&handler), Arc::clone(&faults))
            });
            // A connection error is what a dropped connection looks like here.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Why the sandbox closed a connection on purpose.
#[derive(Debug, thiserror::Error)]
#[error("sandbox fault: connection dropped")]
struct Dropped;

async fn respond(
    request: hyper::Request<Incoming>,
    handler: Arc<dyn SandboxHandler>,
    faults: Arc<Faults>,
) -> Result<hyper::Response<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let request = SandboxRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    let operation = handler.operation(&request);
    let fault = faults.next_for(&operation);
    if let Some(fault) = &fault {
        tracing::info!(%operation, ?fault, "sandbox injects a fault");
    }
    let process = |delay: Option<std::time::Duration>| {
        // On its own task: it runs to the end even if the client goes away.
        tokio::spawn(async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            handler.handle(request).await
        })
    };
    let answer = match fault {
        None => process(None).await?,
        Some(Fault::Delay(delay)) => process(Some(delay)).await?,
        Some(Fault::Status(status)) => error_page(status),
        Some(Fault::CommitThenStatus(status)) => {
            let _committed = process(None).await?;
            error_page(status)
        }
        Some(Fault::CommitThenAnswer {
            status,
            content_type,
            body,
        }) => {
            let _committed = process(None).await?;
            SandboxResponse::with_type(status, content_type, body)
        }
        Some(Fault::MalformedBody) => {
            let mut answer = process(None).await?;
            answer.status = 200;
            answer.body = if answer.body.is_empty() {
                Bytes::from_static(b"<html><body>")
            } else {
                answer.body.slice(..answer.body.len() / 2)
            };
            answer
        }
        Some(Fault::ReplaceBody(body)) => {
            let mut answer = process(None).await?;
            answer.status = 200;
            answer.body = body;
            answer
        }
        Some(Fault::DropBeforeCommit) => return Err(Box::new(Dropped)),
        Some(Fault::DropAfterCommit) => {
            let _committed = process(None).await?;
            return Err(Box::new(Dropped));
        }
    };
    Ok(into_hyper(answer))
}

fn error_page(status: u16) -> SandboxResponse {
    SandboxResponse::with_type(
        status,
        "text/html",
        format!("<html><body><h1>{status}</h1><p>sandbox fault</p></body></html>"),
    )
}

fn into_hyper(answer: SandboxResponse) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(answer.body));
    *response.status_mut() = http::StatusCode::from_u16(answer.status)
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        response.headers_mut().insert(name, value);
    }
    response
}
