//! Serving a router until cancelled: on cancel, stop accepting, let
//! in-flight requests finish, then return.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub async fn serve(listener: TcpListener, router: Router, cancel: CancellationToken) -> anyhow::Result<()> {
    let addr = listener.local_addr().ok();
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(cancel.cancelled_owned())
        .await
        .with_context(|| format!("serving HTTP on {addr:?}"))
}
