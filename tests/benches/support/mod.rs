//! What the benchmarks share: one runtime, and a minimal HTTP/1.1 server —
//! fixed answers, keep-alive, nothing else — so that what is measured is the
//! client, the same server under both sides of every comparison.
#![allow(dead_code)] // each bench uses part of it

pub mod endpoints;

use std::sync::{Arc, OnceLock};

use gpujobs::{ProviderConfig, ProviderKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The runtime every benchmark runs on (the server's tasks too).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// Answers a request's path and query with a JSON body.
pub type Route = Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

/// Starts a server answering every request with `route(path_and_query)`;
/// returns its base URL.
pub fn serve(route: Route) -> String {
    let listener = runtime()
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("binds");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    runtime().spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let route = route.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::with_capacity(4096);
                let mut chunk = [0u8; 4096];
                loop {
                    // One request head (GETs carry no body), then its answer; again.
                    let end = loop {
                        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
                    buffer.drain(..end);
                    let target = head.split(' ').nth(1).unwrap_or("/");
                    let body = route(target);
                    // One write an answer: head and body split over two writes would meet
                    // Nagle's algorithm and the client's delayed ACK (40 ms a request).
                    let mut answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    answer.extend_from_slice(&body);
                    if stream.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    base
}

/// A recorded payload, `tests/payloads/<provider>/<name>.json`.
pub fn payload(provider: &str, name: &str) -> Vec<u8> {
    gpujobs_workspace_tests::payload_text(provider, name).into_bytes()
}

/// A provider's configuration for a server at `base` (a token, and Slurm's user).
pub fn config(kind: ProviderKind, base: &str) -> ProviderConfig {
    let mut config = ProviderConfig::new(kind);
    config.base_url = Some(base.to_owned());
    config.credential = Some("bench-token".into());
    if kind == ProviderKind::Slurm {
        // The recorded answers are v0.0.38's: pinning skips the negotiation
        // request, which the recorded server does not answer.
        config
            .setting("user", "bench")
            .setting("api_version", "v0.0.38");
    }
    config
}
