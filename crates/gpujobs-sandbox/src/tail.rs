//! Following a job's log over a WebSocket, as Ray's `/logs/tail` does: what the
//! job has printed, then each new piece as it prints it, then a close once the
//! job has ended.

use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use gpujobs::ProviderKind;
use hyper::upgrade::OnUpgrade;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::state::State;
use crate::wire::{Body, empty};

/// Accepts the upgrade and streams job `id`'s log on the socket; 404 if there is no such job.
pub(crate) fn serve(
    key: String,
    upgrade: OnUpgrade,
    state: Arc<State>,
    provider: ProviderKind,
    id: String,
) -> Response<Body> {
    if crate::providers::with_job(&state, provider, &id, |_| ()).is_none() {
        let mut response = Response::new(empty());
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    }
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        let mut sent = 0;
        loop {
            let now = state.now();
            let timing = state.config.timing;
            let Some((text, ended)) = crate::providers::with_job(&state, provider, &id, |job| {
                (
                    job.logs(now, &timing),
                    job.phase(now, &timing).is_terminal(),
                )
            }) else {
                break;
            };
            if text.len() > sent {
                if socket.send(Message::text(&text[sent..])).await.is_err() {
                    return;
                }
                sent = text.len();
            }
            if ended {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = socket.close(None).await;
    });
    let mut response = Response::new(empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::UPGRADE,
        hyper::header::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("Upgrade"),
    );
    if let Ok(accept) = derive_accept_key(key.as_bytes()).parse() {
        headers.insert("sec-websocket-accept", accept);
    }
    response
}
