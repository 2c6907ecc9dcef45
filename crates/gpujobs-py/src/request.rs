//! What Python gives, as gpujobs' Rust values: a client's settings (the
//! Rust builder's, the CLI's environment variables when asked), a submit
//! request with each provider's own options, and the polling of a wait.

use std::collections::BTreeMap;
use std::time::Duration;

use gpujobs::{
    OptionKey, OptionKind, OptionValue, OptionValues, Overrides, ProviderConfig, ProviderKind,
    SubmitField, SubmitRequest, WaitOptions,
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

/// The configuration for `kind`: the variables the CLI reads first when
/// `from_env`, then each keyword argument given (`None` keeps the value): the
/// common settings by name, any other name one of the provider's own
/// settings (refused when connecting if it has no such setting).
pub fn config(
    kind: ProviderKind,
    settings: Option<&Bound<'_, PyDict>>,
    from_env: bool,
) -> PyResult<ProviderConfig> {
    configure(ProviderConfig::new(kind), settings, from_env)
}

/// The configuration of the config file's context `name` (its current one
/// if none is named; the file `config`, else where the CLI looks), then the
/// environment's variables, then `settings` (as the CLI: flags > environment > context).
pub fn context_config(
    name: Option<&str>,
    file: Option<std::path::PathBuf>,
    settings: Option<&Bound<'_, PyDict>>,
) -> PyResult<ProviderConfig> {
    use gpujobs::contexts::Contexts;
    let env = |name: &str| std::env::var(name).ok();
    let invalid = |e: gpujobs::contexts::ContextError| PyValueError::new_err(e.to_string());
    let contexts = match file {
        Some(path) => Contexts::load(&path).map_err(invalid)?,
        None => Contexts::load_default(env)
            .map_err(invalid)?
            .ok_or_else(|| PyValueError::new_err(Contexts::no_file(env)))?,
    };
    let chosen = env("GPUJOBS_CONTEXT").filter(|_| name.is_none());
    let name = name
        .or(chosen.as_deref())
        .or(contexts.current())
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "{} sets no current-context: name one",
                contexts.file().display()
            ))
        })?;
    let context = contexts.find(name).map_err(invalid)?;
    let mut config = ProviderConfig::new(context.provider);
    context.apply(&mut config).or_raise()?;
    configure(config, settings, true)
}

/// `config` with the environment's variables (when `from_env`), then `settings`.
fn configure(
    mut config: ProviderConfig,
    settings: Option<&Bound<'_, PyDict>>,
    from_env: bool,
) -> PyResult<ProviderConfig> {
    if from_env {
        config
            .apply_env(|name| std::env::var(name).ok())
            .or_raise()?;
    }
    let mut overrides = Overrides::default();
    for (name, value) in settings.into_iter().flat_map(|s| s.iter()) {
        let name: String = name.extract()?;
        if value.is_none() {
            continue;
        }
        let wrong = |what: &str| PyTypeError::new_err(format!("`{name}` takes {what}"));
        let secs = |v: &Bound<'_, PyAny>| -> PyResult<Option<Duration>> {
            Ok(Some(seconds(
                &name,
                v.extract().map_err(|_| wrong("seconds"))?,
            )?))
        };
        match name.as_str() {
            "base_url" => overrides.base_url = Some(text(&value, &name)?),
            // A callable is asked for the token when one is due (see `credential.rs`).
            "token" if value.is_callable() && !value.is_instance_of::<PyString>() => {
                config.credential = None;
                config.credential_source = Some(std::sync::Arc::new(crate::credential::Callable(
                    value.clone().unbind(),
                )));
            }
            "token" => overrides.credential = Some(gpujobs::Secret::new(text(&value, &name)?)),
            "attempt_timeout" => overrides.attempt_timeout = secs(&value)?,
            "operation_timeout" => overrides.operation_timeout = secs(&value)?,
            "connect_timeout" => overrides.connect_timeout = secs(&value)?,
            "max_attempts" => {
                overrides.max_attempts = Some(value.extract().map_err(|_| wrong("an integer"))?)
            }
            "max_response_bytes" => {
                overrides.max_response_bytes =
                    Some(value.extract().map_err(|_| wrong("a number of bytes"))?)
            }
            "allow_insecure_http" => {
                overrides.allow_insecure_http = value.extract().map_err(|_| wrong("a bool"))?
            }
            _ => drop(
                overrides
                    .settings
                    .insert(name.clone(), text(&value, &name)?),
            ),
        }
    }
    config.apply(overrides);
    Ok(config)
}

/// `settings` with `base_url` given positionally (`RayClient("http://…")`).
pub fn with_base_url<'py>(
    py: Python<'py>,
    base_url: Option<&Bound<'py, PyAny>>,
    settings: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let all = match settings {
        Some(settings) => settings.copy()?,
        None => PyDict::new(py),
    };
    if let Some(url) = base_url {
        all.set_item("base_url", url)?;
    }
    Ok(all)
}

/// A keyword argument that takes text (a path-like object is its path).
fn text(value: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    if let Ok(text) = value.extract::<String>() {
        return Ok(text);
    }
    let path = value
        .py()
        .import("os")?
        .call_method1("fspath", (value,))
        .map_err(|_| PyTypeError::new_err(format!("`{name}` takes a string")))?;
    path.extract()
}

/// A submit request: the command, the common fields given by name (`None`
/// leaves one unset), and the provider's own options.
pub fn submit(
    kind: ProviderKind,
    command: &Bound<'_, PyAny>,
    fields: Option<&Bound<'_, PyDict>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<SubmitRequest> {
    let mut request = self::command(command)?;
    for (name, value) in fields.into_iter().flat_map(|f| f.iter()) {
        let name: String = name.extract()?;
        let field = SubmitField::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "submit() got an unexpected keyword argument '{name}'"
                ))
            })?;
        if value.is_none() {
            continue;
        }
        let wrong = |what: &str| PyTypeError::new_err(format!("`{name}` takes {what}"));
        match field {
            SubmitField::Id => request.id = Some(text(&value, &name)?),
            SubmitField::Name => request.name = Some(text(&value, &name)?),
            SubmitField::Env => {
                request.env = value.extract().map_err(|_| wrong("a dict of str to str"))?
            }
            SubmitField::Metadata => {
                request.metadata = value.extract().map_err(|_| wrong("a dict of str to str"))?
            }
            SubmitField::WorkingDir => request.working_dir = Some(text(&value, &name)?),
            SubmitField::Cpus => {
                request.cpus = Some(value.extract().map_err(|_| wrong("a number"))?)
            }
            SubmitField::Gpus => {
                request.gpus = Some(value.extract().map_err(|_| wrong("a number"))?)
            }
            SubmitField::MemoryBytes => {
                request.memory_bytes =
                    Some(value.extract().map_err(|_| wrong("a number of bytes"))?)
            }
            _ => return Err(wrong("a value this version cannot send")),
        }
    }
    if let Some(given) = options {
        let values = self::options(kind, given)?;
        request = request.shared_options(kind.descriptor().options_from(&values).or_raise()?);
    }
    Ok(request)
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
