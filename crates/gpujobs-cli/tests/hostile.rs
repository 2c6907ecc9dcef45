//! The `gpujobs` binary against hostile loopback servers: one test per row of
//! the hardening table (oversized answers, endless paging, terminal escapes,
//! bodies that break off or stall), and the defences that already held.

mod common;

use common::gpujobs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a hostile server saw.
#[derive(Default)]
struct Seen {
    /// Connections accepted.
    connections: AtomicUsize,
    /// Requests read (their first lines are in `lines`).
    requests: AtomicUsize,
    /// Body bytes written before the client went away.
    written: AtomicU64,
    /// Requests that carried an `Authorization` header.
    authorized: AtomicUsize,
    lines: std::sync::Mutex<Vec<String>>,
}

type Answer = dyn Fn(usize, &str, &mut TcpStream, &Seen) + Send + Sync;

/// A loopback server on its own thread that reads each request's head and
/// lets `answer` write whatever it likes (connection number, request line, stream).
fn hostile(
    answer: impl Fn(usize, &str, &mut TcpStream, &Seen) + Send + Sync + 'static,
) -> (String, Arc<Seen>) {
    let answer: Arc<Answer> = Arc::new(answer);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let shared = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let n = shared.connections.fetch_add(1, Ordering::SeqCst);
            let seen = shared.clone();
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut first = String::new();
                    if reader.read_line(&mut first).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                        if lower.starts_with("authorization:") {
                            seen.authorized.fetch_add(1, Ordering::SeqCst);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    let _ = reader.read_exact(&mut body);
                    seen.requests.fetch_add(1, Ordering::SeqCst);
                    seen.lines.lock().unwrap().push(first.trim().to_owned());
                    answer(n, first.trim(), &mut stream, &seen);
                }
            });
        }
    });
    (url, seen)
}

fn json_answer(stream: &mut TcpStream, body: &str) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

const RAY_JOB: &str = r#"{"type":"SUBMISSION","entrypoint":"python x.py","submission_id":"j1","status":"RUNNING","start_time":1764000000000}"#;

/// Streams a 300 MB JSON string in 64 KiB writes, counting what gets out.
fn huge_answer(declared: bool, stream: &mut TcpStream, seen: &Seen) {
    const TOTAL: u64 = 300_000_000;
    let length = match declared {
        true => format!("content-length: {TOTAL}\r\n"),
        false => String::new(),
    };
    let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{length}\r\n\"");
    let _ = stream.write_all(head.as_bytes());
    let chunk = vec![b'a'; 64 << 10];
    let mut sent = 0u64;
    while sent < TOTAL {
        if stream.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len() as u64;
        seen.written.store(sent, Ordering::SeqCst);
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

#[test]
fn a_300_mb_answer_is_refused_after_the_cap_with_or_without_content_length() {
    let servers = [
        hostile(|_, _, s, seen| huge_answer(true, s, seen)),
        hostile(|_, _, s, seen| huge_answer(false, s, seen)),
    ];
    for (url, seen) in servers {
        let (code, stdout, stderr) = gpujobs(&["-p", "ray", "--base-url", &url, "get", "j1"], &[]);
        assert_eq!((code, stdout.as_str()), (6, ""), "{stderr}");
        assert!(
            stderr.contains("the response is larger than 8 MiB")
                && stderr.contains("raise it with --max-response-size")
                && stderr.matches("max-response-size").count() == 1,
            "{stderr}"
        );
        assert_eq!(
            seen.requests.load(Ordering::SeqCst),
            1,
            "an oversized answer is not asked again"
        );
        // What left the server: at most the cap plus what the sockets buffer, never the 300 MB.
        std::thread::sleep(Duration::from_millis(100));
        let written = seen.written.load(Ordering::SeqCst);
        assert!(written < 40 << 20, "the server got {written} bytes out");
    }
    let (url, _) = hostile(|_, _, s, seen| huge_answer(false, s, seen));
    let (code, _, stderr) = gpujobs(
        &[
            "-p",
            "ray",
            "--base-url",
            &url,
            "--max-response-size",
            "1MiB",
            "get",
            "j1",
        ],
        &[],
    );
    assert_eq!(code, 6);
    assert!(stderr.contains("larger than 1 MiB"), "{stderr}");
}

#[test]
fn matpool_paging_that_never_ends_is_stopped_with_a_reason() {
    // Every page holds the same jobs and promises one more page.
    let (url, seen) = hostile(|_, line, stream, _| {
        let page: u64 = line
            .split(['?', '&', ' '])
            .find_map(|p| p.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let body = format!(
            r#"{{"code":0,"msg":"","pagination":{{"total":2,"numPages":{},"page":{page},"perPage":2}},
               "job":[{{"id":1,"status":3}},{{"id":2,"status":4}}]}}"#,
            page + 1
        );
        json_answer(stream, &body);
    });
    let env = [("MATPOOL_TOKEN", "t"), ("MATPOOL_BASE_URL", url.as_str())];
    let started = Instant::now();
    let (code, stdout, stderr) = gpujobs(&["-p", "matpool", "list", "-o", "ndjson"], &env);
    assert_eq!(code, 6, "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "each job once: {stdout}");
    assert!(
        stderr.contains("listing stopped after 2 pages") && stderr.contains("paging loop"),
        "{stderr}"
    );
    assert_eq!(seen.requests.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn provider_text_never_reaches_the_terminal_raw() {
    let (url, _) = hostile(|_, line, stream, _| {
        if line.contains("/api/jobs/evil") {
            let job = r#"{"type":"SUBMISSION","entrypoint":"x","submission_id":"evil\u001b[2J",
                "status":"\u001b]0;pwned\u0007FAILED","message":"ok\rFAILED \u009b31m",
                "error_type":"E\u001b[1m","metadata":{"name":"train\u001b]8;;http://x\u0007"}}"#;
            json_answer(stream, job);
        } else {
            let body = "Job \x1b]0;title\x07 does not exist\x1b[2J";
            let head = format!(
                "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    let no_controls = |text: &str| !text.chars().any(|c| c.is_control() && c != '\n');
    for output in ["table", "ndjson"] {
        let (code, stdout, stderr) = gpujobs(
            &["-p", "ray", "--base-url", &url, "-o", output, "get", "evil"],
            &[],
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(no_controls(&stdout), "{output}: {stdout:?}");
        if output == "table" {
            assert!(
                stdout.contains(r"train\x1b]8;;http://x\x07") && stdout.contains(r"ok\rFAILED"),
                "{stdout}"
            );
        } else {
            // JSON keeps the exact text, escaped by the encoder.
            let job: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(job["message"], "ok\rFAILED \u{9b}31m");
        }
    }
    let (code, stdout, stderr) = gpujobs(&["-p", "ray", "--base-url", &url, "list"], &[]);
    assert_eq!((code, stdout.as_str()), (4, ""), "{stderr}");
    assert!(
        no_controls(&stderr) && stderr.lines().count() == 1,
        "{stderr:?}"
    );
    assert!(
        stderr.contains(r"Job \x1b]0;title\x07 does not exist\x1b[2J"),
        "{stderr}"
    );
}

#[test]
fn a_get_whose_body_breaks_off_is_retried() {
    let (url, seen) = hostile(|n, _, stream, _| match n {
        0 => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        _ => json_answer(stream, RAY_JOB),
    });
    let (code, stdout, stderr) = gpujobs(&["-p", "ray", "--base-url", &url, "get", "j1"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("running"), "{stdout}");
    assert_eq!(
        seen.requests.load(Ordering::SeqCst),
        2,
        "the second attempt succeeded"
    );
}

#[test]
fn a_body_that_stalls_is_a_timeout_naming_the_limit() {
    let (url, _) = hostile(|_, _, stream, _| {
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n";
        let _ = stream.write_all(head.as_bytes());
        for _ in 0..30 {
            if stream.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let started = Instant::now();
    let (code, _, stderr) = gpujobs(
        &[
            "-p",
            "ray",
            "--base-url",
            &url,
            "--request-timeout",
            "3s",
            "get",
            "j1",
        ],
        &[],
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("the operation timed out after 3"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[test]
fn what_already_held_still_holds() {
    // A silent peer under a 3 s timeout: exit 3.
    let (silent, _) = hostile(|_, _, _, _| std::thread::sleep(Duration::from_secs(30)));
    let (code, _, stderr) = gpujobs(
        &[
            "-p",
            "ray",
            "--base-url",
            &silent,
            "--request-timeout",
            "3s",
            "get",
            "j1",
        ],
        &[],
    );
    assert_eq!(code, 3, "{stderr}");

    // Connection refused: exit 6 with a hint.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = format!("http://127.0.0.1:{port}");
    let (code, _, stderr) = gpujobs(
        &[
            "-p",
            "ray",
            "--base-url",
            &refused,
            "--request-timeout",
            "5s",
            "get",
            "j1",
        ],
        &[],
    );
    assert_eq!(code, 6, "{stderr}");
    assert!(stderr.contains("could not connect"), "{stderr}");

    // A 100,000-deep JSON nesting and invalid UTF-8: a one-line error, no crash.
    let (deep, _) = hostile(|_, line, stream, _| match line.contains("/deep") {
        true => json_answer(stream, &"[".repeat(100_000)),
        false => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 6\r\n\r\n";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(b"\"\xff\xfe\"\r\n");
        }
    });
    for id in ["deep", "utf8"] {
        let (code, _, stderr) = gpujobs(&["-p", "ray", "--base-url", &deep, "get", id], &[]);
        assert_eq!(code, 6, "{id}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }

    // Retry-After: 100000 is not slept on.
    let (limited, _) = hostile(|_, _, stream, _| {
        let _ = stream.write_all(
            b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 100000\r\ncontent-length: 0\r\n\r\n",
        );
    });
    let started = Instant::now();
    let (code, _, stderr) = gpujobs(&["-p", "ray", "--base-url", &limited, "get", "j1"], &[]);
    assert_eq!(code, 6, "{stderr}");
    assert!(
        stderr.contains("rate limited (retry after 100000s)"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // Empty and control-character ids are refused before any request.
    let (url, seen) = hostile(|_, _, stream, _| json_answer(stream, RAY_JOB));
    for id in ["", "a\u{1b}b", ".."] {
        let (code, _, stderr) = gpujobs(&["-p", "ray", "--base-url", &url, "get", id], &[]);
        assert_eq!(code, 2, "{id:?}: {stderr}");
    }
    assert_eq!(seen.requests.load(Ordering::SeqCst), 0);
}

#[test]
fn a_redirect_to_another_host_never_carries_the_credential() {
    let (other, other_seen) = hostile(|_, _, stream, _| {
        json_answer(stream, r#"{"data":[],"next_cursor":"","has_more":false}"#)
    });
    let target = other.clone();
    let (redirecting, seen) = hostile(move |_, _, stream, _| {
        let head = format!(
            "HTTP/1.1 302 Found\r\nlocation: {target}/gpus/v2/jobs\r\ncontent-length: 0\r\n\r\n"
        );
        let _ = stream.write_all(head.as_bytes());
    });
    let env = [
        ("PPIO_API_KEY", "sk-canary"),
        ("PPIO_BASE_URL", redirecting.as_str()),
    ];
    let (code, stdout, stderr) = gpujobs(&["-p", "ppio", "list"], &env);
    assert_eq!((code, stdout.trim()), (0, "no jobs"), "{stderr}");
    assert_eq!(
        seen.authorized.load(Ordering::SeqCst),
        1,
        "sent to the configured host"
    );
    assert_eq!(
        other_seen.requests.load(Ordering::SeqCst),
        1,
        "the redirect was followed"
    );
    assert_eq!(
        other_seen.authorized.load(Ordering::SeqCst),
        0,
        "the credential crossed hosts"
    );
}
