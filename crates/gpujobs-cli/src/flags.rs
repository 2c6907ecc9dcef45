//! The flags drawn from the providers' descriptors — each provider's own
//! submit options (`submit --partition`) and settings (`--slurm-api-version`)
//! — and the flag that names a library [`Field`] in messages.

use std::collections::BTreeSet;

use clap::builder::TypedValueParser as _;
use gpujobs::{Field, OptionKind, OptionValue, ProviderKind, SettingFlag, SubmitField};

use crate::parse::{parse_key_value, parse_limit, parse_size};

/// The heading of the options every command takes.
pub const GLOBAL: &str = "Global options";

/// The flag of a provider's setting, without dashes: `slurm-api-version`.
pub fn setting_flag(kind: ProviderKind, setting: &SettingFlag) -> String {
    format!("{kind}-{}", setting.flag)
}

/// Every provider's settings, each with its provider.
pub fn settings() -> impl Iterator<Item = (ProviderKind, &'static SettingFlag)> {
    ProviderKind::ALL
        .iter()
        .flat_map(|k| k.descriptor().settings.iter().map(move |s| (*k, s)))
}

/// The command line's flag for what the library calls `field` (of `kind`).
pub fn flag_of(field: Field, kind: ProviderKind) -> Option<String> {
    let flag = match field {
        Field::Submit(field) => match field {
            SubmitField::Id => "id",
            SubmitField::Name => "name",
            SubmitField::Env => "env",
            SubmitField::Metadata => "label",
            SubmitField::WorkingDir => "working-dir",
            SubmitField::Cpus => "cpus",
            SubmitField::Gpus => "gpus",
            SubmitField::MemoryBytes => "memory",
            _ => return None,
        }
        .to_owned(),
        Field::SubmitOption(name) => ProviderKind::ALL
            .iter()
            .flat_map(|k| k.descriptor().options)
            .find(|o| o.name == name)?
            .flag
            .to_owned(),
        Field::Setting(name) => {
            let all: Vec<_> = settings().filter(|(_, s)| s.name == name).collect();
            let (owner, setting) = all.iter().find(|(k, _)| *k == kind).or(all.first())?;
            setting_flag(*owner, setting)
        }
        Field::BaseUrl => "base-url".to_owned(),
        Field::MaxResponseBytes => "max-response-size".to_owned(),
        Field::MaxPages => "max-pages".to_owned(),
        Field::SweepName => "sweep".to_owned(),
        Field::SweepTasks => "params".to_owned(),
        _ => return None,
    };
    Some(format!("--{flag}"))
}

/// `cli` with the flags drawn from the descriptors: each provider's settings
/// as global options (`--slurm-user`), and its submit options as flags of
/// `submit`, each under a heading naming the providers that take it.
pub fn with_descriptor_flags(mut cli: clap::Command) -> clap::Command {
    for (kind, setting) in settings() {
        let env: Vec<&str> = setting.env.to_vec();
        let help = match env.is_empty() {
            true => format!("{} (-p {kind})", setting.help),
            false => format!("{} (-p {kind}; or {})", setting.help, env.join(", ")),
        };
        cli = cli.arg(
            clap::Arg::new(setting_flag(kind, setting))
                .long(setting_flag(kind, setting))
                .global(true)
                .value_name("VALUE")
                .help(help)
                .help_heading(GLOBAL),
        );
    }
    cli.mut_subcommand("submit", with_option_flags)
        .mut_subcommand("sweep", |sweep| {
            sweep.mut_subcommand("retry", with_option_flags)
        })
}

/// A command that submits (`submit`, `sweep retry`), with every provider's
/// submit options as its flags.
fn with_option_flags(mut submit: clap::Command) -> clap::Command {
    let mut added = BTreeSet::new();
    for flag in ProviderKind::ALL
        .iter()
        .flat_map(|k| k.descriptor().options)
    {
        if !added.insert(flag.flag) {
            continue;
        }
        let takers: Vec<&str> = option_takers(flag.flag)
            .iter()
            .map(|k| k.as_str())
            .collect();
        let arg = clap::Arg::new(flag.flag)
            .long(flag.flag)
            .help(flag.help)
            .help_heading(format!("Options for {}", takers.join(", ")))
            .value_name(match flag.kind {
                OptionKind::Duration => "DURATION",
                OptionKind::Bytes => "SIZE",
                OptionKind::Integer => "N",
                OptionKind::NamedAmount => "NAME=N",
                OptionKind::Json => "JSON",
                _ => "VALUE",
            })
            .value_parser(option_parser(flag.kind))
            .action(match flag.kind.repeatable() {
                true => clap::ArgAction::Append,
                false => clap::ArgAction::Set,
            });
        submit = submit.arg(arg);
    }
    submit
}

/// The providers whose options include `flag`.
pub fn option_takers(flag: &str) -> Vec<ProviderKind> {
    ProviderKind::ALL
        .iter()
        .copied()
        .filter(|k| k.descriptor().options.iter().any(|f| f.flag == flag))
        .collect()
}

/// The provider options given to `submit` (or `sweep retry`), by flag, parsed.
pub fn provider_options(matches: &clap::ArgMatches) -> Vec<(&'static str, Vec<OptionValue>)> {
    let submit = match matches.subcommand() {
        Some(("submit", submit)) => submit,
        Some(("sweep", sweep)) => match sweep.subcommand() {
            Some(("retry", retry)) => retry,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let mut given = Vec::new();
    let mut seen = BTreeSet::new();
    for flag in ProviderKind::ALL
        .iter()
        .flat_map(|k| k.descriptor().options)
    {
        if !seen.insert(flag.flag) {
            continue;
        }
        if let Ok(Some(values)) = submit.try_get_many::<OptionValue>(flag.flag) {
            given.push((flag.flag, values.cloned().collect()));
        }
    }
    given
}

/// A provider setting given on the command line.
#[derive(Clone, Debug)]
pub struct SettingGiven {
    /// Whose setting it is.
    pub kind: ProviderKind,
    /// Its library name (`api_version`).
    pub name: &'static str,
    /// Its flag, without dashes (`slurm-api-version`).
    pub flag: String,
    pub value: String,
}

/// The provider settings given, at any level of the command line.
pub fn provider_settings(matches: &clap::ArgMatches) -> Vec<SettingGiven> {
    settings()
        .filter_map(|(kind, setting)| {
            let flag = setting_flag(kind, setting);
            let value = given(matches, &flag)?;
            Some(SettingGiven {
                kind,
                name: setting.name,
                flag,
                value,
            })
        })
        .collect()
}

/// The value given for the global argument `id`, wherever it was given.
fn given(matches: &clap::ArgMatches, id: &str) -> Option<String> {
    if let Ok(Some(value)) = matches.try_get_one::<String>(id) {
        return Some(value.clone());
    }
    given(matches.subcommand()?.1, id)
}

/// Parses an option's value as its kind says.
fn option_parser(kind: OptionKind) -> impl clap::builder::TypedValueParser<Value = OptionValue> {
    clap::builder::NonEmptyStringValueParser::new().try_map(
        move |s: String| -> Result<OptionValue, String> {
            match kind {
                OptionKind::Integer => s
                    .trim()
                    .parse()
                    .map(OptionValue::Integer)
                    .map_err(|_| format!("`{s}` is not a whole number")),
                OptionKind::Duration => parse_limit(&s).map(OptionValue::Duration),
                OptionKind::Bytes => parse_size(&s).map(OptionValue::Bytes),
                OptionKind::NamedAmount => {
                    let (name, amount) =
                        parse_key_value(&s).map_err(|_| format!("`{s}` is not NAME=N"))?;
                    let amount = amount
                        .parse()
                        .map_err(|_| format!("`{amount}` is not a number"))?;
                    Ok(OptionValue::NamedAmount(name, amount))
                }
                OptionKind::Json => match serde_json::from_str(&s) {
                    Ok(json @ serde_json::Value::Object(_)) => Ok(OptionValue::Json(json)),
                    Ok(_) => Err(format!("`{s}` is not a JSON object")),
                    Err(e) => Err(format!("`{s}` is not JSON: {e}")),
                },
                _ => Ok(OptionValue::Text(s)),
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_flag() {
        for field in SubmitField::ALL {
            assert!(
                flag_of(Field::Submit(field), ProviderKind::Ray).is_some(),
                "{field}"
            );
        }
        let slurm_version = flag_of(Field::Setting("api_version"), ProviderKind::Slurm);
        assert_eq!(slurm_version.as_deref(), Some("--slurm-api-version"));
        assert_eq!(
            flag_of(Field::SubmitOption("time_limit"), ProviderKind::Slurm).as_deref(),
            Some("--time-limit")
        );
    }
}
