//! `cargo xtask fetch-specs`: brings published specs up to date with upstream.
//!
//! A provider whose spec is published says where in its `SOURCE.md`, on a line
//! `Fetch: URL` (or `Fetch: /PATH` for a spec a server serves about itself,
//! fetched from the server given with `--from`). The download replaces the
//! spec file only when its bytes changed, and `SOURCE.md` records when and
//! the new sha256 on a `Fetched:` line. Providers whose specs we wrote from
//! their docs have no `Fetch:` line and are left alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// A downloaded spec larger than this is refused.
const MAX_SPEC_BYTES: usize = 16 << 20;

/// Where and how to fetch.
#[derive(Debug, Default)]
pub struct Options {
    /// Only this provider (all with a `Fetch:` line otherwise).
    pub provider: Option<String>,
    /// A server to fetch from instead of the recorded host (`http://127.0.0.1:6820`).
    pub from: Option<String>,
    /// Extra request headers, `Name: value`; a value `$VAR` is read from the environment.
    pub headers: Vec<String>,
}

/// What happened to one provider's spec (or one version's: `slurm/v0.0.42`).
#[derive(Debug, PartialEq, Eq)]
pub enum Fetched {
    /// The spec changed upstream and was written (with its new sha256).
    Updated { provider: String, sha256: String },
    /// Upstream has the same bytes.
    Unchanged { provider: String },
    /// No `Fetch:` line: a spec we wrote from the docs.
    NotPublished { provider: String },
    /// The server fetched from does not serve this version of the API.
    NotServed { provider: String },
}

/// Fetches every selected provider's spec (each version's, for a provider
/// whose folder keeps several); stops at the first failure. A document is
/// downloaded once however many versions it holds.
pub fn fetch_specs(root: &Path, options: &Options) -> Result<Vec<Fetched>, String> {
    let providers = gpujobs_codegen::providers(root).map_err(|e| e.to_string())?;
    let selected: Vec<&String> = match &options.provider {
        Some(name) if !providers.contains(name) => {
            return Err(format!(
                "no provider `{name}` in specs/ (have: {})",
                providers.join(", ")
            ));
        }
        Some(name) => providers.iter().filter(|p| *p == name).collect(),
        None => providers.iter().collect(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .user_agent("gpujobs-xtask fetch-specs")
        .build()
        .map_err(|e| e.to_string())?;
    let headers = headers(&options.headers)?;
    let mut downloaded: HashMap<String, Vec<u8>> = HashMap::new();
    let mut results = Vec::new();
    for provider in selected {
        let versions = gpujobs_codegen::versions(root, provider).map_err(|e| e.to_string())?;
        let folders: Vec<(String, PathBuf, Option<String>)> = match versions.is_empty() {
            true => vec![(provider.clone(), root.join("specs").join(provider), None)],
            false => versions
                .into_iter()
                .map(|v| {
                    (
                        format!("{provider}/{}", v.name),
                        root.join(&v.dir),
                        Some(v.name),
                    )
                })
                .collect(),
        };
        for (label, folder, version) in folders {
            let source_md = folder.join("SOURCE.md");
            let source = std::fs::read_to_string(&source_md)
                .map_err(|e| format!("{}: {e}", source_md.display()))?;
            let Some(recorded) = fetch_line(&source) else {
                if options.provider.is_some() {
                    return Err(format!(
                        "{}: no `Fetch:` line: the spec is written from the docs, not published",
                        source_md.display()
                    ));
                }
                results.push(Fetched::NotPublished { provider: label });
                continue;
            };
            let url =
                url(recorded, options.from.as_deref()).map_err(|e| format!("{label}: {e}"))?;
            if !downloaded.contains_key(&url) {
                let body = runtime
                    .block_on(download(&http, &url, &headers))
                    .map_err(|e| format!("{label}: {url}: {e}"))?;
                downloaded.insert(url.clone(), body);
            }
            let served = &downloaded[&url];
            let keep = keep_lines(&source);
            let (body, origin) = match (&version, keep.is_empty()) {
                (None, true) => (served.clone(), None),
                (version, _) => {
                    let document: serde_json::Value = serde_json::from_slice(served)
                        .map_err(|e| format!("{label}: {url}: not a JSON document: {e}"))?;
                    if let Some(version) = version
                        && !serves(&document, version)
                    {
                        results.push(Fetched::NotServed { provider: label });
                        continue;
                    }
                    let body = match keep.is_empty() {
                        true => served.clone(),
                        false => {
                            let trimmed = gpujobs_codegen::trim::keep_paths(&document, &keep)
                                .map_err(|e| format!("{label}: {e}"))?;
                            let text = serde_json::to_string_pretty(&trimmed)
                                .map_err(|e| e.to_string())?;
                            (text + "\n").into_bytes()
                        }
                    };
                    let release = document
                        .pointer("/info/version")
                        .and_then(|v| v.as_str())
                        .unwrap_or("?");
                    (
                        body,
                        Some(format!(
                            "`{release}` (whole document sha256 `{}`)",
                            hex(&Sha256::digest(served))
                        )),
                    )
                }
            };
            let spec = spec_file(&folder)?;
            if std::fs::read(&spec).is_ok_and(|old| old == body) {
                results.push(Fetched::Unchanged { provider: label });
                continue;
            }
            std::fs::write(&spec, &body).map_err(|e| format!("{}: {e}", spec.display()))?;
            let sha256 = hex(&Sha256::digest(&body));
            let today = today();
            std::fs::write(
                &source_md,
                record(&source, &today, &sha256, origin.as_deref()),
            )
            .map_err(|e| format!("{}: {e}", source_md.display()))?;
            results.push(Fetched::Updated {
                provider: label,
                sha256,
            });
        }
    }
    Ok(results)
}

/// Whether a served document has endpoints of API `version` (`/slurm/v0.0.42/…`).
fn serves(document: &serde_json::Value, version: &str) -> bool {
    let marker = format!("/{version}/");
    document
        .get("paths")
        .and_then(|p| p.as_object())
        .is_some_and(|paths| paths.keys().any(|p| p.contains(&marker)))
}

/// The paths named on `Keep:` lines (blank-separated), in order.
fn keep_lines(source: &str) -> Vec<&str> {
    source
        .lines()
        .filter_map(|line| line.strip_prefix("Keep:"))
        .flat_map(str::split_whitespace)
        .map(|p| p.trim_matches('`'))
        .collect()
}

/// The value of the `Fetch:` line, if any.
fn fetch_line(source: &str) -> Option<&str> {
    source
        .lines()
        .find_map(|line| line.strip_prefix("Fetch:"))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `SOURCE.md` with its `Fetched:` line set (after the `Fetch:` line when new),
/// naming the served document it was trimmed from, if it was.
fn record(source: &str, date: &str, sha256: &str, origin: Option<&str>) -> String {
    let line = match origin {
        Some(origin) => format!("Fetched: {date}, sha256 `{sha256}`, trimmed from {origin}"),
        None => format!("Fetched: {date}, sha256 `{sha256}`"),
    };
    let mut lines: Vec<String> = source.lines().map(str::to_owned).collect();
    match lines.iter().position(|l| l.starts_with("Fetched:")) {
        Some(at) => lines[at] = line,
        None => {
            let at = lines
                .iter()
                .position(|l| l.starts_with("Fetch:"))
                .map_or(lines.len(), |i| i + 1);
            lines.insert(at, line);
        }
    }
    lines.join("\n") + "\n"
}

/// The URL to fetch: the recorded one, or its path on `from`.
fn url(recorded: &str, from: Option<&str>) -> Result<String, String> {
    let path = match recorded.split_once("://") {
        Some((_, rest)) => match from {
            None => return Ok(recorded.to_owned()),
            Some(_) => rest.find('/').map_or("/", |at| &rest[at..]),
        },
        None if recorded.starts_with('/') => recorded,
        None => return Err(format!("`Fetch: {recorded}` is neither a URL nor a /path")),
    };
    match from {
        Some(base) => Ok(format!("{}{path}", base.trim_end_matches('/'))),
        None => Err(format!(
            "the spec is served by a running server at {path}: give it with --from http://HOST:PORT"
        )),
    }
}

/// `Name: value` headers; a value `$VAR` is read from the environment, so
/// tokens stay out of command lines.
fn headers(specs: &[String]) -> Result<reqwest::header::HeaderMap, String> {
    let mut map = reqwest::header::HeaderMap::new();
    for spec in specs {
        let (name, value) = spec
            .split_once(':')
            .ok_or_else(|| format!("--header `{spec}` is not `Name: value`"))?;
        let value = value.trim();
        let value = match value.strip_prefix('$') {
            Some(var) => {
                std::env::var(var).map_err(|_| format!("--header {name}: ${var} is not set"))?
            }
            None => value.to_owned(),
        };
        let name: reqwest::header::HeaderName = name
            .trim()
            .parse()
            .map_err(|_| format!("--header: `{name}` is not a header name"))?;
        let mut value: reqwest::header::HeaderValue = value
            .parse()
            .map_err(|_| format!("--header {name}: the value cannot be sent"))?;
        value.set_sensitive(true);
        map.insert(name, value);
    }
    Ok(map)
}

async fn download(
    http: &reqwest::Client,
    url: &str,
    headers: &reqwest::header::HeaderMap,
) -> Result<Vec<u8>, String> {
    let mut response = http
        .get(url)
        .headers(headers.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_SPEC_BYTES {
            return Err(format!("larger than {} MiB", MAX_SPEC_BYTES >> 20));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The provider's spec file (`openapi.yaml` or `openapi.json`).
fn spec_file(folder: &Path) -> Result<PathBuf, String> {
    ["openapi.yaml", "openapi.json"]
        .iter()
        .map(|name| folder.join(name))
        .find(|path| path.exists())
        .ok_or_else(|| format!("{}: no openapi.yaml or openapi.json", folder.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Today's date (UTC), `YYYY-MM-DD`.
fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil(i64::try_from(seconds / 86_400).unwrap_or(0))
}

/// The civil date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A local server answering every request with `status` and `body`; it
    /// keeps each request's head.
    fn serve(status: u16, body: &'static [u8]) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                log.lock().unwrap().push(head);
                let mut stream = stream;
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes());
                let _ = stream.write_all(body);
            }
        });
        (base, seen)
    }

    /// A scratch `specs/` with one published provider and one written by us.
    fn scratch(fetch: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (provider, source) in [
            ("acme", format!("# Acme\n\nFetch: {fetch}\n\nMore.\n")),
            ("ours", "# Ours\n".into()),
        ] {
            let folder = dir.path().join("specs").join(provider);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("openapi.yaml"), "openapi: 3.0.3\n").unwrap();
            std::fs::write(folder.join("SOURCE.md"), source).unwrap();
        }
        dir
    }

    #[test]
    fn a_changed_spec_is_written_and_recorded_an_unchanged_one_is_not() {
        let (base, seen) = serve(200, b"openapi: 3.0.3\ninfo: {title: new}\n");
        let dir = scratch("https://specs.example/v2/openapi.yaml");
        let options = Options {
            from: Some(base.clone()),
            ..Options::default()
        };
        let results = fetch_specs(dir.path(), &options).unwrap();
        let sha = hex(&Sha256::digest(b"openapi: 3.0.3\ninfo: {title: new}\n"));
        assert_eq!(
            results,
            [
                Fetched::Updated {
                    provider: "acme".into(),
                    sha256: sha.clone()
                },
                Fetched::NotPublished {
                    provider: "ours".into()
                },
            ]
        );
        assert!(
            seen.lock().unwrap()[0].starts_with("GET /v2/openapi.yaml "),
            "the recorded path, on --from"
        );
        let folder = dir.path().join("specs/acme");
        let source = std::fs::read_to_string(folder.join("SOURCE.md")).unwrap();
        let fetched = format!("Fetched: {}, sha256 `{sha}`", today());
        assert_eq!(
            source,
            format!("# Acme\n\nFetch: https://specs.example/v2/openapi.yaml\n{fetched}\n\nMore.\n")
        );

        // Again: the same bytes upstream, nothing written.
        let again = fetch_specs(dir.path(), &options).unwrap();
        assert_eq!(
            again[0],
            Fetched::Unchanged {
                provider: "acme".into()
            }
        );
        assert_eq!(
            std::fs::read_to_string(folder.join("SOURCE.md")).unwrap(),
            source
        );
    }

    #[test]
    fn a_served_spec_needs_from_and_headers_come_from_the_environment() {
        let dir = scratch("/openapi/v3");
        let only = |from: Option<String>, headers: Vec<String>| Options {
            provider: Some("acme".into()),
            from,
            headers,
        };
        let error = fetch_specs(dir.path(), &only(None, vec![])).unwrap_err();
        assert!(error.contains("--from"), "{error}");

        let (base, seen) = serve(200, b"{\"openapi\": \"3.0.2\"}");
        // A variable every environment has (setting one would race with other threads).
        let path = std::env::var("PATH").unwrap();
        let headers = vec!["X-Token: $PATH".into(), "X-User: me".into()];
        let results = fetch_specs(dir.path(), &only(Some(base), headers)).unwrap();
        assert!(
            matches!(&results[..], [Fetched::Updated { .. }]),
            "{results:?}"
        );
        let head = seen.lock().unwrap()[0].to_lowercase();
        assert!(head.starts_with("get /openapi/v3 "), "{head}");
        assert!(
            head.contains(&format!("x-token: {}", path.to_lowercase())),
            "{head}"
        );
        assert!(head.contains("x-user: me"), "{head}");

        let unset = vec!["X-Token: $GPUJOBS_NO_SUCH_VARIABLE".into()];
        let nowhere = Some("http://127.0.0.1:9".into());
        let error = fetch_specs(dir.path(), &only(nowhere, unset)).unwrap_err();
        assert!(
            error.contains("$GPUJOBS_NO_SUCH_VARIABLE is not set"),
            "{error}"
        );
    }

    #[test]
    fn failures_name_the_provider_and_change_nothing() {
        let (base, _) = serve(404, b"not here");
        let dir = scratch("https://specs.example/openapi.yaml");
        let options = Options {
            from: Some(base),
            ..Options::default()
        };
        let error = fetch_specs(dir.path(), &options).unwrap_err();
        assert!(
            error.starts_with("acme: ") && error.contains("HTTP 404"),
            "{error}"
        );
        let spec = std::fs::read_to_string(dir.path().join("specs/acme/openapi.yaml")).unwrap();
        assert_eq!(spec, "openapi: 3.0.3\n");

        let unknown = Options {
            provider: Some("nope".into()),
            ..Options::default()
        };
        assert!(
            fetch_specs(dir.path(), &unknown)
                .unwrap_err()
                .contains("no provider `nope`")
        );
        let ours = Options {
            provider: Some("ours".into()),
            ..Options::default()
        };
        assert!(
            fetch_specs(dir.path(), &ours)
                .unwrap_err()
                .contains("no `Fetch:` line")
        );
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(11_016), "2000-02-29");
        assert_eq!(civil(20_000), "2024-10-04");
    }
}
