//! Following a Ray job's logs through its WebSocket tail endpoint
//! (`/api/jobs/{id}/logs/tail`, which the OpenAPI spec cannot describe): text
//! frames as the driver prints, then a close once the job has ended. The
//! handshake goes through the provider's configured HTTP client (its proxy,
//! TLS and headers), so `https` dashboards work too; the connection it
//! upgrades carries the WebSocket.

use futures_util::stream::{self, BoxStream};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{self, Message};

use super::RayProvider;
use crate::error::{Error, Result};
use crate::provider::JobProvider;
use crate::registry::ProviderKind;

type Socket = tokio_tungstenite::WebSocketStream<reqwest::Upgraded>;

enum State {
    Connect(RayProvider, String),
    Open(RayProvider, String, Box<Socket>),
    Done,
}

/// The tail of `id`'s logs; see [`JobProvider::follow_logs`].
pub(crate) fn follow(provider: &RayProvider, id: &str) -> BoxStream<'static, Result<String>> {
    stream::unfold(
        State::Connect(provider.clone(), id.to_owned()),
        |state| async move {
            match state {
                State::Connect(p, id) => match connect(&p, &id).await {
                    Ok(socket) => next(p, id, Box::new(socket)).await,
                    Err(e) => Some((Err(e), State::Done)),
                },
                State::Open(p, id, socket) => next(p, id, socket).await,
                State::Done => None,
            }
        },
    )
    .boxed()
}

async fn connect(p: &RayProvider, id: &str) -> Result<Socket> {
    use reqwest::header::{
        CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
    };
    use tungstenite::handshake::derive_accept_key;
    let ctx = p.ctx();
    let segment = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC);
    let url = format!("{}/api/jobs/{segment}/logs/tail", ctx.base_url);
    let key = tungstenite::handshake::client::generate_key();
    let http = progenitor_client::ClientInfo::client(p.client());
    let request = http
        .get(url)
        .header(CONNECTION, "Upgrade")
        .header(UPGRADE, "websocket")
        .header(SEC_WEBSOCKET_VERSION, "13")
        .header(SEC_WEBSOCKET_KEY, &key);
    let timed_out = || Error::Timeout {
        provider: ProviderKind::Ray,
        scope: crate::TimeoutScope::Attempt,
        after: ctx.attempt_timeout,
        last_job: None,
    };
    let response = match tokio::time::timeout(ctx.attempt_timeout, request.send()).await {
        Err(_) => return Err(timed_out()),
        Ok(Err(e)) if e.is_timeout() => return Err(timed_out()),
        Ok(Err(_)) => {
            return Err(transport(
                "cannot open the log stream: connection failed".into(),
            ));
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status().as_u16();
    if status != 101 {
        let body = match tokio::time::timeout(ctx.attempt_timeout, response.text()).await {
            Ok(Ok(text)) => text.chars().take(4096).collect(),
            _ => String::new(),
        };
        let message = crate::providers::plain_message(&body);
        return Err(Error::from_status(
            ProviderKind::Ray,
            status,
            message,
            None,
            None,
        ));
    }
    let accepted = response
        .headers()
        .get(SEC_WEBSOCKET_ACCEPT)
        .and_then(|v| v.to_str().ok());
    if accepted != Some(derive_accept_key(key.as_bytes()).as_str()) {
        return Err(transport(
            "cannot open the log stream: not a WebSocket answer".into(),
        ));
    }
    let upgraded = response
        .upgrade()
        .await
        .map_err(|_| transport("cannot open the log stream: the upgrade failed".into()))?;
    let mut config = tungstenite::protocol::WebSocketConfig::default();
    config.max_message_size = usize::try_from(ctx.max_response_bytes).ok();
    config.max_frame_size = config.max_message_size;
    let role = tungstenite::protocol::Role::Client;
    Ok(tokio_tungstenite::WebSocketStream::from_raw_socket(upgraded, role, Some(config)).await)
}

/// The next piece of text, or the end: a close is the end only once the job has ended.
async fn next(
    p: RayProvider,
    id: String,
    mut socket: Box<Socket>,
) -> Option<(Result<String>, State)> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                return Some((Ok(text.as_str().to_owned()), State::Open(p, id, socket)));
            }
            Some(Ok(Message::Binary(bytes))) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                return Some((Ok(text), State::Open(p, id, socket)));
            }
            Some(Ok(Message::Ping(payload))) => {
                let _ = socket.send(Message::Pong(payload)).await;
            }
            Some(Ok(Message::Pong(_) | Message::Frame(_))) => {}
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(e)) => {
                let error = transport(format!("the log stream broke: {}", kind(&e)));
                return Some((Err(error), State::Done));
            }
        }
    }
    match p.get(&id).await {
        Ok(job) if job.status.is_terminal() => None,
        Ok(job) => {
            let message = format!(
                "the log stream ended while job {id} was still {}",
                job.status
            );
            Some((Err(transport(message)), State::Done))
        }
        Err(e) => Some((Err(e), State::Done)),
    }
}

fn transport(message: String) -> Error {
    Error::Transport {
        provider: ProviderKind::Ray,
        message,
        source: None,
    }
}

/// A WebSocket error's kind, without its text (which may hold the URL).
fn kind(error: &tungstenite::Error) -> &'static str {
    match error {
        tungstenite::Error::Io(_) => "connection failed",
        tungstenite::Error::Capacity(_) => "a message over the size limit",
        tungstenite::Error::Protocol(_) => "a WebSocket protocol error",
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => "closed",
        _ => "an unexpected answer",
    }
}
