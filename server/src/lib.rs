//! The reference server of `onezone-tokens`: the Onezone group-invite REST API over HTTP, with
//! basic authentication, its state in normalized tables of SQLite (one file, the default) or
//! PostgreSQL (shared by any number of server processes).
//!
//! The modules, each using only those before it:
//!
//! - [`store`]: the database, its schema and its one-transaction-per-request discipline (knows
//!   nothing of HTTP);
//! - [`auth`]: Argon2id password hashes and their checks;
//! - [`error`]: the one error type every failure becomes (the library's refusals, the store's
//!   faults, the HTTP layer's), and the `{"error": "..."}` answers;
//! - [`app`]: the [`Config`] and the shared [`App`];
//! - [`routes`]: the routes, one file per resource; [`routes::router`] builds the service.
//!
//! The binary (`src/main.rs`) reads the command line and calls [`App::open`] and [`serve`].

#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod error;
pub mod routes;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

pub use app::{App, Config};
pub use store::{Database, Durability};

/// Serves the API on `listener` until `shutdown` completes, with each connection's peer address
/// available to the handlers (for `ip` caveats).
///
/// # Errors
/// If accepting connections fails.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = routes::router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
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
