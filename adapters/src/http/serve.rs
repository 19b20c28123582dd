//! Serving a router until cancelled: on cancel, stop accepting, let
//! in-flight requests finish (for at most `ServeLimits::drain`), then
//! return.
//!
//! Our own accept loop rather than `axum::serve`, which gives hyper no
//! timer and so no header-read timeout: a client that opens connections
//! and trickles its headers (slowloris) held each one forever.
//!
//! hyper's header timer starts only once the connection's protocol is
//! known, and the HTTP/1-or-2 detection waits for the first bytes with no
//! limit: a connection that sends nothing, or `P` and no more, was held
//! forever. So a connection also has the header-read timeout to bring its
//! first request; one that has not is closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Limits of the connection layer, below any route.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// A connection that has not sent a whole request head within this
    /// long after connecting (or after its previous request) is closed:
    /// hyper's timer also runs while a keep-alive connection is idle, so
    /// this is the idle timeout too (Apache's is 5 s, nginx's 75 s).
    pub header_read_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub drain: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self { header_read_timeout: Duration::from_secs(10), drain: Duration::from_secs(30) }
    }
}

pub async fn serve(listener: TcpListener, router: Router, cancel: CancellationToken) -> anyhow::Result<()> {
    serve_with(listener, router, ServeLimits::default(), cancel).await
}

pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let addr = listener.local_addr().context("reading the listener's address")?;
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    // CONNECT is how WebSockets ride HTTP/2.
    builder.http2().timer(TokioTimer::new()).enable_connect_protocol();
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, remote) = tokio::select! {
            _ = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause, not die.
                    tracing::warn!(%addr, error = %error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let requested = Arc::new(Notify::new());
        let seen = requested.clone();
        let service = router.clone().map_request(move |mut request: hyper::Request<Incoming>| {
            seen.notify_one();
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(remote));
            request.map(Body::new)
        });
        let connection =
            builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection.into_owned());
        let first_request_by = limits.header_read_timeout;
        tokio::spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = &mut connection => ended,
                _ = requested.notified() => connection.await,
                _ = tokio::time::sleep(first_request_by) => {
                    // Dropping the connection closes the socket.
                    tracing::debug!(%remote, "closing a connection that sent no request");
                    return;
                }
            };
            if let Err(error) = ended {
                tracing::debug!(error = %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain, graceful.shutdown()).await.is_err() {
        tracing::warn!(%addr, "requests still running after the drain period; leaving them");
    }
    Ok(())
}
