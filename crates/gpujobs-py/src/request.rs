//! What Python gives, as gpujobs' Rust values: a client's settings (the
//! Rust builder's, the CLI's environment variables when asked), a submit
//! request with each provider's own options, and the polling of a wait.

use std::collections::BTreeMap;
use std::time::Duration;

use gpujobs::{
    OptionKey, OptionKind, OptionValue, OptionValues, Overrides, ProviderConfig, ProviderKind,
    SubmitRequest, WaitOptions,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::errors::IntoPyResult;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

/// Seconds as a `Duration`, refusing what is not a finite, non-negative number.
pub fn seconds(what: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        PyValueError::new_err(format!(
            "{what} must be a finite number of seconds ≥ 0, not {value}"
        ))
    })
}

/// A provider's name as its kind.
pub fn provider(name: &str) -> PyResult<ProviderKind> {
    name.parse()
        .map_err(|e: gpujobs::UnknownProvider| PyValueError::new_err(e.to_string()))
}

/// A client's settings, each as the Rust builder has it; `None` keeps the default.
#[derive(Default)]
pub struct Settings {
    pub base_url: Option<String>,
    pub token: Option<String>,
    pub user: Option<String>,
    pub api_version: Option<String>,
    pub attempt_timeout: Option<f64>,
    pub operation_timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub max_attempts: Option<u32>,
    pub max_response_bytes: Option<u64>,
    pub allow_insecure_http: bool,
}

impl Settings {
    /// The configuration for `kind`: the variables the CLI reads first when
    /// `from_env`, then every setting given (the facade's [`Overrides`]).
    pub fn config(self, kind: ProviderKind, from_env: bool) -> PyResult<ProviderConfig> {
        let mut config = ProviderConfig::new(kind);
        if from_env {
            config
                .apply_env(|name| std::env::var(name).ok())
                .or_raise()?;
        }
        let duration = |what: &str, value: Option<f64>| value.map(|v| seconds(what, v)).transpose();
        let mut overrides = Overrides::default();
        overrides.base_url = self.base_url;
        overrides.credential = self.token.map(gpujobs::Secret::new);
        let given = [("user", self.user), ("api_version", self.api_version)];
        overrides.settings = given
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_owned(), value?)))
            .collect();
        overrides.attempt_timeout = duration("attempt_timeout", self.attempt_timeout)?;
        overrides.operation_timeout = duration("operation_timeout", self.operation_timeout)?;
        overrides.connect_timeout = duration("connect_timeout", self.connect_timeout)?;
        overrides.max_attempts = self.max_attempts;
        overrides.max_response_bytes = self.max_response_bytes;
        overrides.allow_insecure_http = self.allow_insecure_http;
        config.apply(overrides);
        Ok(config)
    }
}

/// A command given as one string (run by the provider's shell) or as a
/// list of arguments (each quoted, so spaces and quotes stay as given).
pub fn command(value: &Bound<'_, PyAny>) -> PyResult<SubmitRequest> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(SubmitRequest::new(text.to_str()?));
    }
    let args: Vec<String> = value
        .extract()
        .map_err(|_| PyTypeError::new_err("the command is a string or a list of strings"))?;
    if args.is_empty() {
        return Err(PyValueError::new_err("the command is empty"));
    }
    Ok(SubmitRequest::from_args(&args))
}

/// One value of a provider option, read as the option's kind says.
fn option_value(
    name: &str,
    kind: OptionKind,
    value: &Bound<'_, PyAny>,
) -> PyResult<Vec<OptionValue>> {
    let wrong = |expected: &str| PyTypeError::new_err(format!("option `{name}` takes {expected}"));
    Ok(match kind {
        OptionKind::Text | OptionKind::TextList => vec![OptionValue::Text(
            value.extract().map_err(|_| wrong("a string"))?,
        )],
        OptionKind::Json => {
            // Through Python's own json, so what it cannot write is refused as it would be.
            let text: String = value
                .py()
                .import("json")?
                .call_method1("dumps", (value,))
                .map_err(|_| wrong("a dict that json.dumps can write"))?
                .extract()?;
            match serde_json::from_str(&text) {
                Ok(json @ serde_json::Value::Object(_)) => vec![OptionValue::Json(json)],
                _ => return Err(wrong("a dict")),
            }
        }
        OptionKind::Integer => vec![OptionValue::Integer(
            value.extract().map_err(|_| wrong("an integer"))?,
        )],
        OptionKind::Bytes => vec![OptionValue::Bytes(
            value.extract().map_err(|_| wrong("a number of bytes"))?,
        )],
        OptionKind::Duration => {
            let duration = match value.extract::<Duration>() {
                Ok(duration) => duration,
                Err(_) => seconds(
                    name,
                    value
                        .extract()
                        .map_err(|_| wrong("a timedelta or seconds"))?,
                )?,
            };
            vec![OptionValue::Duration(duration)]
        }
        OptionKind::NamedAmount => {
            let pairs: Vec<(String, f64)> = match value.cast::<PyDict>() {
                Ok(dict) => dict
                    .extract::<BTreeMap<String, f64>>()?
                    .into_iter()
                    .collect(),
                Err(_) => value
                    .extract()
                    .map_err(|_| wrong("a dict of name to amount"))?,
            };
            pairs
                .into_iter()
                .map(|(n, a)| OptionValue::NamedAmount(n, a))
                .collect()
        }
        _ => return Err(wrong("a value this version cannot read")),
    })
}

/// A provider's own options from a `dict` of option name to value; a name
/// the provider does not have is refused as every front end refuses it.
pub fn options(kind: ProviderKind, given: &Bound<'_, PyDict>) -> PyResult<OptionValues> {
    let given: Vec<(String, Bound<'_, PyAny>)> = given
        .iter()
        .map(|(name, value)| Ok((name.extract()?, value)))
        .collect::<PyResult<_>>()?;
    let keys = given.iter().map(|(name, _)| OptionKey::Name(name));
    let found = kind
        .descriptor()
        .options_named(keys, |o| format!("`{}`", o.name))
        .or_raise()?;
    let mut values = OptionValues::new();
    for (option, (name, value)) in found.into_iter().zip(&given) {
        let many = value.cast::<PyList>().is_ok() || value.cast::<PyTuple>().is_ok();
        let mut all = Vec::new();
        match many && !matches!(option.kind, OptionKind::NamedAmount | OptionKind::Json) {
            true => {
                for one in value.try_iter()? {
                    all.extend(option_value(name, option.kind, &one?)?);
                }
            }
            false => all = option_value(name, option.kind, value)?,
        }
        values.insert(option.name, all);
    }
    Ok(values)
}

/// The polling of a wait: its time limit and intervals, in seconds.
pub fn wait_options(
    timeout: Option<f64>,
    interval: Option<f64>,
    max_interval: Option<f64>,
) -> PyResult<WaitOptions> {
    let mut options = WaitOptions::default();
    if let Some(timeout) = timeout {
        options = options.timeout(seconds("timeout", timeout)?);
    }
    if interval.is_some() || max_interval.is_some() {
        let initial = seconds("interval", interval.unwrap_or(1.0))?;
        let max = seconds("max_interval", max_interval.unwrap_or(30.0))?.max(initial);
        options = options.intervals(initial, max);
    }
    Ok(options)
}
