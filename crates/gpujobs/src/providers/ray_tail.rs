//! Following a Ray job's logs through its WebSocket tail endpoint
//! (`/api/jobs/{id}/logs/tail`, which the OpenAPI spec cannot describe): text
//! frames as the driver prints, then a close once the job has ended.

use futures_util::stream::{self, BoxStream};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{self, Message};

use super::ray::RayProvider;
use crate::error::{Error, Result};
use crate::provider::JobProvider;
use crate::registry::ProviderKind;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

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
    let ctx = p.ctx();
    let url = match ctx.base_url.split_once("://") {
        Some(("http", rest)) => format!("ws://{rest}"),
        _ => {
            return Err(Error::Config {
                provider: ProviderKind::Ray,
                message:
                    "following logs needs an http:// dashboard address (wss is not supported yet)"
                        .into(),
            });
        }
    };
    let segment = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC);
    let url = format!("{url}/api/jobs/{segment}/logs/tail");
    let mut config = tungstenite::protocol::WebSocketConfig::default();
    config.max_message_size = usize::try_from(ctx.max_response_bytes).ok();
    config.max_frame_size = config.max_message_size;
    let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), false);
    match tokio::time::timeout(ctx.attempt_timeout, connecting).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(tungstenite::Error::Http(response))) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            Err(Error::from_status(
                ProviderKind::Ray,
                status,
                body.into_owned(),
                None,
                None,
            ))
        }
        Ok(Err(e)) => Err(transport(format!(
            "cannot open the log stream: {}",
            kind(&e)
        ))),
        Err(_) => Err(Error::Timeout {
            provider: ProviderKind::Ray,
            scope: crate::TimeoutScope::Attempt,
            after: ctx.attempt_timeout,
            last_job: None,
        }),
    }
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
