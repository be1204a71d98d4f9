//! The accept loop: HTTP/1.1 connections served by hyper with the
//! [`Limits`](crate::limits::Limits) applied (a cap on
//! open connections, a time limit on each request's headers and body), and the login guard in
//! front of the routes (429 for a user or address over its failed logins, 503 when the password
//! checks are all taken), then graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::time::Sleep;
use tower::Service;

use crate::app::App;
use crate::auth;
use crate::error::Error;
use crate::limits::Attempt;
use crate::routes::{self, LateBody};

/// Serves `router` on `listener` under `limits` until `shutdown` completes, then waits for the
/// requests in progress (idle connections are closed at once).
pub(crate) async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = app.logins.limits().clone();
    let router = routes::router(Arc::clone(&app));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new());
    // hyper's own default (30 s) applies when no timer is set; ours is the configured one.
    http.header_read_timeout(nonzero(limits.header_timeout));
    let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A place for the next connection first: at the cap, the server stops accepting and
        // new connections wait in the kernel's backlog.
        let place = tokio::select! {
            place = Arc::clone(&connections).acquire_owned() => match place {
                Ok(place) => place,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = Guarded {
            app: Arc::clone(&app),
            router: router.clone(),
            peer,
            body_timeout: limits.body_timeout,
        };
        let connection = http.serve_connection(
            TokioIo::new(stream),
            hyper::service::service_fn(move |request| service.clone().call(request)),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(place);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// hyper refuses a zero timeout; it means "at once" here.
fn nonzero(timeout: Duration) -> Duration {
    timeout.max(Duration::from_millis(1))
}

/// An accept that failed: a connection reset before it was accepted is nothing; anything else
/// (out of file descriptors) is logged and waited out for a second, as hyper used to.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!("accept error: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One connection's service: the login guard, the body deadline, then the routes.
#[derive(Clone)]
struct Guarded {
    app: Arc<App>,
    router: Router,
    peer: SocketAddr,
    body_timeout: Duration,
}

impl Guarded {
    async fn call(mut self, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        let started = Instant::now();
        let peer = self.peer.ip().to_canonical();
        let late = LateBody::new(self.body_timeout);
        let mut request = request.map(|body| Body::new(Deadline::new(body, late.clone())));
        request.extensions_mut().insert(ConnectInfo(self.peer));
        request.extensions_mut().insert(late);
        // Held until the request is answered (or dropped): the bound on waiting password checks.
        let mut admitted = None;
        if let Ok(Some((user, password))) = auth::basic_credentials(request.headers()) {
            let logins = &self.app.logins;
            if let Some(refusal) = logins.refused(&user, Some(peer)) {
                let mut response = Error::new(StatusCode::TOO_MANY_REQUESTS, refusal.message())
                    .respond(self.app.api);
                response.headers_mut().insert(header::RETRY_AFTER, refusal.retry_after().into());
                return Ok(logged(&request, response, started));
            }
            if !self.app.users.remembers(&user, &password) {
                admitted = logins.admit();
                if admitted.is_none() {
                    let mut response = Error::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Service unavailable: too many logins are being checked; try again \
                         in a moment",
                    )
                    .respond(self.app.api);
                    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1));
                    return Ok(logged(&request, response, started));
                }
            }
        }
        let attempt = Attempt { peer: Some(peer), logins: Arc::clone(&self.app.logins) };
        let response = attempt.scope(self.router.call(request)).await;
        drop(admitted);
        response
    }
}

/// Writes the request line of an answer made here, before the routes (whose request log does
/// the others), in the same form: `METHOD PATH STATUS TIMEms`.
fn logged(request: &Request<Body>, response: Response<Body>, started: Instant) -> Response<Body> {
    let span = routes::request_span(request);
    let _entered = span.enter();
    routes::log_answer(&response, started.elapsed(), &span);
    response
}

/// A request body that must arrive within a time from its request's headers: past it, a read
/// that would wait fails and marks the request [`LateBody`] (the routes answer 408 and the
/// connection is closed). Data already received is always delivered, however late it is read.
struct Deadline {
    body: Incoming,
    late: LateBody,
    sleep: Pin<Box<Sleep>>,
}

impl Deadline {
    fn new(body: Incoming, late: LateBody) -> Self {
        let sleep = Box::pin(tokio::time::sleep(late.timeout()));
        Deadline { body, late, sleep }
    }
}

/// The error of a body that did not arrive in time.
#[derive(Debug)]
struct BodyTimeout(Duration);

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the request body was not received within {:?}", self.0)
    }
}

impl std::error::Error for BodyTimeout {}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.body).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.late.mark();
                    Poll::Ready(Some(Err(Box::new(BodyTimeout(self.late.timeout())))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}
