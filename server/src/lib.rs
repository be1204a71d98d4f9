//! The reference server of `onezone-tokens`: the Onezone group-invite REST API over HTTP, with
//! basic authentication, its state in normalized tables of SQLite (one file, the default) or
//! PostgreSQL (shared by any number of server processes).
//!
//! The modules, each using only those before it:
//!
//! - [`store`]: the database, its schema and its one-transaction-per-request discipline (knows
//!   nothing of HTTP);
//! - [`limits`]: the bounds on what clients may hold ([`Limits`]: timeouts, connections, failed
//!   logins, waiting password checks) and the per-process counters of failed logins;
//! - [`auth`]: Argon2id password hashes and their checks;
//! - [`error`]: the one error type every failure becomes (the library's refusals, the store's
//!   faults, the HTTP layer's), and the `{"error": "..."}` answers;
//! - [`token_auth`]: access tokens as credentials under `--api 20.02`, over the token records
//!   of the database;
//! - [`app`]: the [`Config`] and the shared [`App`];
//! - [`routes`]: the routes, one file per resource; [`routes::router`] builds the service;
//! - `listen`: the accept loop behind [`serve`], with the connection limits and the login guard.
//!
//! The binary (`src/main.rs`) reads the command line and calls [`App::open`] and [`serve`].

#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod error;
pub mod limits;
mod listen;
pub mod routes;
pub mod store;
pub mod token_auth;

use std::sync::Arc;

pub use app::{Api, App, Clock, Config};
pub use limits::Limits;
pub use store::{Database, Durability};

/// Serves the API on `listener` until `shutdown` completes, then lets the requests in progress
/// finish. Each connection's peer address is available to the handlers (for `ip` caveats).
///
/// The app's [`Limits`] apply: at most `max_connections` open connections (no more are accepted
/// until one closes), `header_timeout` to send a request's headers (the connection is closed
/// after it, also when idle between requests), `body_timeout` to send its body (408, and the
/// connection is closed); a login as a user or from an address over its failed logins answers
/// 429 at once, and one that would wait behind more than `login_queue` password checks 503.
///
/// # Errors
/// If the server cannot run (accept errors are logged and retried, not returned).
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listen::serve(app, listener, shutdown).await
}

/// Sends the server's log (one line per request, and its errors) to stderr, as plain lines:
/// the request line's span fields (`METHOD PATH`), then the event (`STATUS TIMEms`, or the
/// error). Call once, from the binary.
pub fn init_log() {
    use tracing_subscriber::field::MakeExt;
    let values_only = tracing_subscriber::fmt::format::debug_fn(|writer, _field, value| {
        write!(writer, "{value:?}")
    })
    .delimited(" ");
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .fmt_fields(values_only)
        .event_format(log::OneLine)
        .try_init();
}

mod log {
    use std::fmt;

    use tracing::{Event, Subscriber};
    use tracing_subscriber::fmt::format::Writer;
    use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
    use tracing_subscriber::registry::LookupSpan;

    /// A log line: the fields of the spans the event is in, then the event's.
    pub struct OneLine;

    impl<S, N> FormatEvent<S, N> for OneLine
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        fn format_event(
            &self,
            ctx: &FmtContext<'_, S, N>,
            mut writer: Writer<'_>,
            event: &Event<'_>,
        ) -> fmt::Result {
            if let Some(scope) = ctx.event_scope() {
                for span in scope.from_root() {
                    if let Some(fields) = span.extensions().get::<FormattedFields<N>>() {
                        write!(writer, "{fields} ")?;
                    }
                }
            }
            ctx.field_format().format_fields(writer.by_ref(), event)?;
            writeln!(writer)
        }
    }
}
