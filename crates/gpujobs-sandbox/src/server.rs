//! The HTTP layer: accept loop, request parsing, routing by provider prefix,
//! and fault injection around each provider's handler.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use gpujobs::ProviderKind;

use crate::faults::Fault;
use crate::state::{RequestRecord, State, lock};
use crate::wire::{Body, Query, Req, Resp};
use crate::{providers, tail};

/// The largest request body read.
const MAX_BODY: usize = 1 << 20;

/// The largest Ray package (a working directory's zip) read: what Ray's
/// dashboard takes (`DASHBOARD_CLIENT_MAX_SIZE`), as the client checks.
const MAX_PACKAGE_BODY: usize = 100 << 20;

/// Binds `addr` and serves until `stopped` fires; answers the bound address.
pub(crate) async fn spawn(
    addr: SocketAddr,
    state: Arc<State>,
    mut stopped: tokio::sync::watch::Receiver<()>,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let _ = state.addr.set(bound);
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
                _ = stopped.changed() => break,
            };
            let state = state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| handle(request, state.clone()));
                // A connection error (including a deliberately dropped one) ends only that connection.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Ok(bound)
}

/// The error that makes hyper close the connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a sandbox fault")
    }
}

impl std::error::Error for DropConnection {}

async fn handle(
    mut request: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<Body>, DropConnection> {
    let upgrade =
        websocket_key(request.headers()).map(|key| (key, hyper::upgrade::on(&mut request)));
    let (parts, body) = request.into_parts();
    let raw_path = parts.uri.path().to_owned();
    let mut segments = raw_path.trim_start_matches('/').split('/').map(decode);
    let prefix = segments.next().unwrap_or_default();
    if prefix == TOKENS {
        return Ok(encode(issue(
            &state,
            &parts.method,
            segments.next(),
            parts.uri.query(),
        )));
    }
    let Some(emulator) = prefix
        .parse::<ProviderKind>()
        .ok()
        .and_then(providers::emulator)
    else {
        return Ok(encode(index(&prefix)));
    };
    let provider = emulator.kind();
    let limit = match raw_path.contains("/api/packages/") {
        true => MAX_PACKAGE_BODY,
        false => MAX_BODY,
    };
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(encode(Resp::text(413, "request body too large"))),
    };
    let req = Req {
        method: parts.method.as_str().to_owned(),
        segments: segments.collect(),
        query: parts.uri.query().map(Query::parse).unwrap_or_default(),
        headers: parts.headers,
        body,
    };
    let mut below_prefix = raw_path
        .trim_start_matches('/')
        .trim_start_matches(prefix.as_str())
        .to_owned();
    if let Some(query) = parts.uri.query() {
        below_prefix = format!("{below_prefix}?{query}");
    }
    let record = {
        let mut requests = lock(&state.requests);
        requests.push(RequestRecord {
            provider,
            method: req.method.clone(),
            path: below_prefix,
            answer_bytes: 0,
        });
        requests.len() - 1
    };

    if let (Some((key, upgrade)), Some(id)) = (upgrade, emulator.log_tail(&req)) {
        return Ok(tail::serve(key, upgrade, state.clone(), provider, id));
    }
    if let Some(allowed) = providers::allowed_methods(emulator, &req.method, &req.segments) {
        let mut resp = Resp::text(405, emulator.method_not_allowed());
        resp.headers.push(("allow", allowed));
        return Ok(encode(resp));
    }
    let fault = take_fault(&state, provider, &req);
    match &fault {
        Some(Fault::Drop) => return Err(DropConnection),
        Some(Fault::Status(status)) => {
            return Ok(encode(Resp::text(
                *status,
                format!("sandbox fault: HTTP {status}"),
            )));
        }
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut resp = Resp::text(429, "sandbox fault: rate limited");
            resp.headers
                .push(("retry-after", retry_after_secs.to_string()));
            return Ok(encode(resp));
        }
        Some(Fault::Slow(delay)) => tokio::time::sleep(*delay).await,
        Some(Fault::Huge { bytes, declared }) => return Ok(huge(*bytes, *declared)),
        _ => {}
    }
    let mut resp = emulator.handle(&req, &state, fault.as_ref());
    match fault {
        Some(Fault::DropAnswer) => return Err(DropConnection),
        Some(Fault::SlowAnswer(delay)) => tokio::time::sleep(delay).await,
        _ => {}
    }
    match fault {
        Some(Fault::UnknownStatus) => edit_json(&mut resp, |v| {
            providers::set_unknown_status(emulator, &state, v)
        }),
        Some(Fault::ExtraField) => edit_json(&mut resp, |v| {
            if let Value::Object(map) = v {
                map.insert(
                    "sandbox_extra_field".into(),
                    serde_json::json!({"added": "by a fault"}),
                );
            }
        }),
        Some(Fault::DuplicateItems) => edit_json(&mut resp, |v| {
            if let Some(Value::Array(items)) = v.pointer_mut(emulator.list_pointer()) {
                *items = items
                    .iter()
                    .flat_map(|item| [item.clone(), item.clone()])
                    .collect();
            }
        }),
        Some(Fault::CutShort) => return Ok(cut_short(resp)),
        _ => {}
    }
    if let Some(recorded) = lock(&state.requests).get_mut(record) {
        recorded.answer_bytes = resp.body.len();
    }
    Ok(encode(resp))
}

/// The `Sec-WebSocket-Key` of a WebSocket upgrade request.
/// Where expiring tokens are issued: `POST /_tokens/{provider}?lifespan=SECONDS`.
const TOKENS: &str = "_tokens";

/// An expiring token for the provider named, as text.
fn issue(
    state: &State,
    method: &hyper::Method,
    provider: Option<String>,
    query: Option<&str>,
) -> Resp {
    let Some(kind) = provider.and_then(|p| p.parse::<ProviderKind>().ok()) else {
        return Resp::text(404, "POST /_tokens/{provider}?lifespan=SECONDS");
    };
    if method != hyper::Method::POST {
        return Resp::text(405, "POST /_tokens/{provider}?lifespan=SECONDS");
    }
    let lifespan = query
        .map(Query::parse)
        .and_then(|q| q.get("lifespan").and_then(|v| v.parse().ok()))
        .unwrap_or(1800);
    Resp::text(
        200,
        state.issue(kind, std::time::Duration::from_secs(lifespan)),
    )
}

fn websocket_key(headers: &hyper::HeaderMap) -> Option<String> {
    let upgrade = headers.get(hyper::header::UPGRADE)?.to_str().ok()?;
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return None;
    }
    Some(headers.get("sec-websocket-key")?.to_str().ok()?.to_owned())
}

/// What `/` and unknown prefixes answer: where the providers are.
fn index(prefix: &str) -> Resp {
    let names: Vec<String> = providers::EMULATORS
        .iter()
        .map(|e| format!("/{}", e.kind()))
        .collect();
    let status = if prefix.is_empty() { 200 } else { 404 };
    Resp::text(
        status,
        format!("gpujobs sandbox: providers at {}\n", names.join(", ")),
    )
}

fn take_fault(state: &State, provider: ProviderKind, req: &Req) -> Option<Fault> {
    let mut ids: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    ids.extend(req.query.get("id").map(String::as_str));
    let mut faults = lock(&state.faults);
    let rule = faults
        .iter_mut()
        .find(|r| r.matches(provider, &req.method, &ids))?;
    if let Some(times) = rule.times.as_mut() {
        *times -= 1;
    }
    Some(rule.fault.clone())
}

fn edit_json(resp: &mut Resp, edit: impl FnOnce(&mut Value)) {
    if let Ok(mut value) = serde_json::from_slice::<Value>(&resp.body) {
        edit(&mut value);
        resp.body = serde_json::to_vec(&value).unwrap_or_default();
    }
}

fn encode(resp: Resp) -> Response<Body> {
    let body = Full::new(Bytes::from(resp.body))
        .map_err(|never: Infallible| match never {})
        .boxed();
    response(resp.status, resp.content_type, &resp.headers, body)
}

/// Headers promising the whole body, then half of it, then a broken connection.
fn cut_short(mut resp: Resp) -> Response<Body> {
    let length = resp.body.len();
    resp.body.truncate(length / 2);
    let half = futures_util::stream::iter([Ok(Frame::data(Bytes::from(resp.body)))]);
    // Break only after the half body has gone out; failing at once would drop it unsent.
    let then_break = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Err(std::io::Error::other("sandbox fault: body cut short"))
    });
    let body = BodyExt::boxed(StreamBody::new(half.chain(then_break)));
    let mut headers = resp.headers;
    headers.push(("content-length", length.to_string()));
    response(resp.status, resp.content_type, &headers, body)
}

/// A JSON string of `bytes` bytes, streamed in 64 KiB chunks as they are read.
fn huge(bytes: u64, declared: bool) -> Response<Body> {
    const CHUNK: u64 = 64 << 10;
    let inner = bytes.saturating_sub(2);
    let chunks = (0..inner.div_ceil(CHUNK)).map(move |n| {
        let size = (inner - n * CHUNK).min(CHUNK) as usize;
        Ok(Frame::data(Bytes::from(vec![b' '; size])))
    });
    let quote = || futures_util::stream::iter([Ok(Frame::data(Bytes::from_static(b"\"")))]);
    let body = quote()
        .chain(futures_util::stream::iter(chunks))
        .chain(quote());
    let mut headers = Vec::new();
    if declared {
        headers.push(("content-length", bytes.to_string()));
    }
    response(
        200,
        "application/json",
        &headers,
        BodyExt::boxed(StreamBody::new(body)),
    )
}

fn response(
    status: u16,
    content_type: &str,
    headers: &[(&'static str, String)],
    body: Body,
) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    if let Ok(value) = content_type.parse() {
        map.insert(hyper::header::CONTENT_TYPE, value);
    }
    for (name, value) in headers {
        if let Ok(value) = value.parse() {
            map.insert(*name, value);
        }
    }
    response
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}
