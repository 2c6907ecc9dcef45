//! Property tests for every decoder of provider answers: each provider's job
//! record and list envelope (Matpool's code-in-200 envelope included), error
//! bodies, `Retry-After` and times. No input may panic; a malformed answer is
//! a typed error whose excerpt is bounded, redacted and safe for a terminal.
//!
//! Inputs are arbitrary bytes, arbitrary JSON, and — most useful — the
//! documented and recorded payloads in `tests/payloads/` with parts replaced
//! by arbitrary JSON. `PROPTEST_CASES=1000000 cargo test --release --test
//! decoders` is the long run (see README, "Fuzzing").

use std::path::Path;
use std::sync::OnceLock;

use gpujobs::{Error, ProviderKind};
use proptest::prelude::*;
use serde_json::Value;

/// Every payload of every provider, `(provider, JSON)`.
fn seeds() -> &'static [(ProviderKind, Value)] {
    static SEEDS: OnceLock<Vec<(ProviderKind, Value)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut seeds = Vec::new();
        for &kind in ProviderKind::ALL {
            let dir = gpujobs_workspace_tests::root()
                .join("tests/payloads")
                .join(kind.as_str());
            collect(&dir, &mut |value| seeds.push((kind, value)));
        }
        assert!(seeds.len() > 30, "payloads found: {}", seeds.len());
        seeds
    })
}

fn collect(dir: &Path, add: &mut impl FnMut(Value)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, add);
        } else if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            add(serde_json::from_str(&text).unwrap());
        }
    }
}

/// Every JSON pointer in `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Text that exercises what servers get wrong: control characters, escapes, huge numbers in strings.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,20}",
        Just("\u{1b}]0;owned\u{7}\u{1b}[2J\r".to_owned()),
        Just("99999999999999999999999".to_owned()),
        Just(String::new()),
        "[0-9]{1,20}",
        Just("2026-13-45T99:99:99Z".to_owned()),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        nasty_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("status".to_owned()),
                    Just("id".to_owned()),
                    Just("job".to_owned()),
                    Just("code".to_owned()),
                    "[a-z_]{1,12}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A payload of some provider with up to three of its parts replaced by arbitrary JSON.
fn mutated() -> impl Strategy<Value = (ProviderKind, Vec<u8>)> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec((any::<prop::sample::Index>(), arb_json()), 0..4),
    )
        .prop_map(|(which, edits)| {
            let (kind, seed) = &seeds()[which.index(seeds().len())];
            let mut value = seed.clone();
            for (at, replacement) in edits {
                let mut all = Vec::new();
                pointers(&value, String::new(), &mut all);
                let pointer = &all[at.index(all.len())];
                match value.pointer_mut(pointer) {
                    Some(node) => *node = replacement,
                    None => value = replacement,
                }
            }
            (*kind, serde_json::to_vec(&value).unwrap())
        })
}

fn any_kind() -> impl Strategy<Value = ProviderKind> {
    prop::sample::select(ProviderKind::ALL.to_vec())
}

/// What every error from a decoder must be: one line a terminal shows as it is, its excerpt bounded.
fn check_error(error: &Error) -> Result<(), TestCaseError> {
    let shown = error.to_string();
    prop_assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
    if let Error::Api {
        body: Some(body), ..
    } = error
    {
        prop_assert!(
            body.chars().count() <= 4 * 512 + 1,
            "excerpt of {} chars",
            body.len()
        );
        prop_assert!(!body.chars().any(|c| c.is_control()), "{body:?}");
    }
    Ok(())
}

/// Runs every decoder of `kind` on `bytes`.
fn decode_all(kind: ProviderKind, bytes: &[u8]) -> Result<(), TestCaseError> {
    let descriptor = kind.descriptor();
    match descriptor.decode_job(bytes) {
        Ok(job) => {
            prop_assert_eq!(job.provider, kind);
            // The unified status is what the provider's status table says of
            // the status it sent: never invented, whatever else the answer held.
            prop_assert_eq!(&job.status, &descriptor.statuses.map(&job.provider_status));
        }
        Err(e) => check_error(&e)?,
    }
    if let Err(e) = descriptor.decode_page(bytes) {
        check_error(&e)?;
    }
    for status in [400, 401, 404, 429, 500, 503] {
        check_error(&descriptor.decode_error(status, bytes))?;
    }
    Ok(())
}

proptest! {
    #[test]
    fn documented_payloads_with_parts_replaced_never_panic((kind, bytes) in mutated()) {
        decode_all(kind, &bytes)?;
    }

    #[test]
    fn arbitrary_json_never_panics(kind in any_kind(), value in arb_json()) {
        decode_all(kind, &serde_json::to_vec(&value).unwrap())?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(kind in any_kind(), bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        decode_all(kind, &bytes)?;
    }

    #[test]
    fn secrets_in_malformed_answers_are_redacted(
        kind in any_kind(),
        prefix in "\\PC{0,40}",
        key in prop::sample::select(vec!["password", "token", "api_key", "Authorization"]),
    ) {
        let canary = "canary-4c9f";
        let body = format!(r#"{prefix} {{"{key}": "{canary}"}}"#);
        let descriptor = kind.descriptor();
        let errors = [
            descriptor.decode_job(body.as_bytes()).err(),
            descriptor.decode_page(body.as_bytes()).err(),
            Some(descriptor.decode_error(500, body.as_bytes())),
        ];
        for error in errors.into_iter().flatten() {
            let shown = format!("{error} {error:?}");
            prop_assert!(!shown.contains(canary), "{shown}");
        }
    }

    #[test]
    fn retry_after_never_panics(value in "\\PC{0,40}", seconds in any::<u32>()) {
        let now = std::time::SystemTime::now();
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(v) = reqwest::header::HeaderValue::from_str(&value) {
            headers.insert(reqwest::header::RETRY_AFTER, v);
            let _ = gpujobs_runtime::retry::retry_after(&headers, now);
        }
        headers.insert(reqwest::header::RETRY_AFTER, seconds.into());
        prop_assert_eq!(
            gpujobs_runtime::retry::retry_after(&headers, now),
            Some(std::time::Duration::from_secs(u64::from(seconds)))
        );
    }
}
