//! A provider's own options and settings as front ends offer them: submit
//! options ([`OptionFlag`], values [`OptionValue`]) and connection settings
//! ([`SettingFlag`], values [`SettingValues`]), each drawn from the provider's
//! descriptor so that a new provider's knobs reach the CLI and Python without
//! either changing; and the one lookup of an option by name or flag, with one
//! refusal for a name the provider lacks.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::field::Field;
use crate::registry::ProviderKind;

/// One of a provider's own submit options, as a command line offers it
/// (`gpujobs submit --partition gpu`): drawn from the provider's descriptor,
/// so a new provider's options reach the CLI without the CLI changing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OptionFlag {
    /// The option's name in the library (`time_limit`).
    pub name: &'static str,
    /// The flag, without its dashes (`time-limit`).
    pub flag: &'static str,
    /// What its value is.
    pub kind: OptionKind,
    /// What it does, one line.
    pub help: &'static str,
}

impl OptionFlag {
    /// An option (for descriptors).
    #[cfg_attr(
        not(any(
            feature = "slurm",
            feature = "matpool",
            feature = "ray",
            feature = "yuanrong"
        )),
        allow(dead_code)
    )]
    pub(crate) const fn new(
        name: &'static str,
        flag: &'static str,
        kind: OptionKind,
        help: &'static str,
    ) -> Self {
        Self {
            name,
            flag,
            kind,
            help,
        }
    }
}

/// What an [`OptionFlag`]'s value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OptionKind {
    /// Text.
    Text,
    /// A whole number.
    Integer,
    /// A length of time (`2h`).
    Duration,
    /// A size in bytes (`16GiB`).
    Bytes,
    /// `NAME=N`, repeatable.
    NamedAmount,
    /// Text, repeatable (each value an [`OptionValue::Text`]).
    TextList,
    /// A JSON object.
    Json,
}

impl OptionKind {
    /// Whether a command line may give it more than once.
    pub fn repeatable(self) -> bool {
        matches!(self, OptionKind::NamedAmount | OptionKind::TextList)
    }
}

/// A value given for an [`OptionFlag`], parsed as its kind says.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum OptionValue {
    /// [`OptionKind::Text`] and each of an [`OptionKind::TextList`].
    Text(String),
    /// [`OptionKind::Integer`].
    Integer(i64),
    /// [`OptionKind::Duration`].
    Duration(Duration),
    /// [`OptionKind::Bytes`].
    Bytes(u64),
    /// [`OptionKind::NamedAmount`].
    NamedAmount(String, f64),
    /// [`OptionKind::Json`].
    Json(serde_json::Value),
}

/// Option values by name, as a command line gives them to a provider's
/// `options_from` (several for a repeatable one).
pub type OptionValues = BTreeMap<&'static str, Vec<OptionValue>>;

/// Reads an option's only value as text (for `options_from` functions).
#[cfg_attr(not(any(feature = "slurm", feature = "matpool")), allow(dead_code))]
pub(crate) fn text(values: &OptionValues, name: &str) -> Option<String> {
    values.get(name)?.iter().find_map(|v| match v {
        OptionValue::Text(t) => Some(t.clone()),
        _ => None,
    })
}

/// One of a provider's own settings, for how it is reached rather than what
/// a job asks (Slurm's user and API version): set with
/// [`crate::ProviderConfig::setting`], read from the environment variables
/// named, offered by the CLI as `--<provider>-<flag>` on that provider only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SettingFlag {
    /// The setting's name in the library (`api_version`).
    pub name: &'static str,
    /// The flag, without its dashes and the provider's name (`api-version`).
    pub flag: &'static str,
    /// The environment variables it is read from, first found wins.
    pub env: &'static [&'static str],
    /// What it does, one line.
    pub help: &'static str,
}

impl SettingFlag {
    /// A setting (for descriptors).
    #[cfg_attr(not(feature = "slurm"), allow(dead_code))]
    pub(crate) const fn new(
        name: &'static str,
        flag: &'static str,
        env: &'static [&'static str],
        help: &'static str,
    ) -> Self {
        Self {
            name,
            flag,
            env,
            help,
        }
    }
}

/// Setting values by name, as given (the provider checks them when it
/// connects: a name it does not have is refused, a value it cannot read too).
pub type SettingValues = BTreeMap<String, String>;

/// Refuses, when connecting, a setting `kind` does not have (naming whose it is).
pub(crate) fn check_settings(
    kind: ProviderKind,
    settings: &'static [SettingFlag],
    values: &SettingValues,
) -> Result<()> {
    let Some(name) = values
        .keys()
        .find(|name| !settings.iter().any(|s| s.name == name.as_str()))
    else {
        return Ok(());
    };
    let takers: Vec<(ProviderKind, &'static str)> = ProviderKind::ALL
        .iter()
        .filter_map(|k| {
            Some((
                *k,
                k.descriptor()
                    .settings
                    .iter()
                    .find(|s| s.name == name.as_str())?
                    .name,
            ))
        })
        .collect();
    let whose: Vec<String> = takers.iter().map(|(k, _)| k.to_string()).collect();
    let message = match whose.is_empty() {
        true => format!("{kind} has no setting `{name}`"),
        false => format!(
            "`{name}` was given, but it is a setting of {}, not {kind}",
            whose.join(", ")
        ),
    };
    Err(match takers.first() {
        Some((_, name)) => Error::config_of(kind, Field::Setting(name), message),
        None => Error::config(kind, message),
    })
}

/// How an option is asked for ([`crate::Descriptor::options_named`]): by
/// its name in the library (Python's `options={"time_limit": …}`) or by its
/// flag (`--time-limit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKey<'a> {
    /// The library's name (`time_limit`).
    Name(&'a str),
    /// The command line's flag, without dashes (`time-limit`).
    Flag(&'a str),
}

/// The options of `options` (provider `kind`'s) asked for by `keys`; else
/// the one refusal, naming every option that is another provider's (whose it
/// is, each named by `name`: the CLI its flag, Python its name) or no
/// provider's (beside the ones `kind` has).
pub(crate) fn find_options<'k>(
    kind: ProviderKind,
    options: &'static [OptionFlag],
    keys: impl IntoIterator<Item = OptionKey<'k>>,
    name: impl Fn(&OptionFlag) -> String,
) -> Result<Vec<&'static OptionFlag>> {
    let (mut found, mut foreign, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for key in keys {
        let matches = |o: &&OptionFlag| match key {
            OptionKey::Name(asked) => o.name == asked,
            OptionKey::Flag(asked) => o.flag == asked,
        };
        if let Some(option) = options.iter().find(matches) {
            found.push(option);
            continue;
        }
        let takers: Vec<(ProviderKind, &'static OptionFlag)> = ProviderKind::ALL
            .iter()
            .filter_map(|k| Some((*k, k.descriptor().options.iter().find(matches)?)))
            .collect();
        match takers.first() {
            Some((_, option)) => {
                let whose: Vec<String> = takers.iter().map(|(k, _)| k.to_string()).collect();
                foreign.push((
                    *option,
                    format!("{} (an option of {})", name(option), whose.join(", ")),
                ));
            }
            None => unknown.push(match key {
                OptionKey::Name(asked) | OptionKey::Flag(asked) => asked.to_owned(),
            }),
        }
    }
    if let Some(asked) = unknown.first() {
        let known: Vec<String> = options.iter().map(&name).collect();
        return Err(Error::invalid(
            kind,
            match known.is_empty() {
                true => format!("{kind} has no options (`{asked}` given)"),
                false => format!(
                    "{kind} has no option `{asked}`; it has {}",
                    known.join(", ")
                ),
            },
        ));
    }
    match foreign.first() {
        None => Ok(found),
        Some((option, _)) => {
            let refused: Vec<&str> = foreign.iter().map(|(_, text)| text.as_str()).collect();
            Err(Error::refused(
                kind,
                Field::SubmitOption(option.name),
                format!("{kind} cannot honour {}", refused.join(", ")),
            ))
        }
    }
}
