//! What a submit asks for: the fields most providers share
//! ([`SubmitRequest`]), each provider's own options ([`SubmitOptions`]), and
//! which common fields a provider honours ([`SubmitFields`]) — so that what a
//! provider cannot honour is refused before anything is sent. How options are
//! offered to a command line is in `options.rs`.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use gpujobs_runtime::REDACTED;

use crate::error::{Error, Result};
use crate::field::{Field, SubmitField};
use crate::registry::ProviderKind;

/// A job to submit: what most providers share. What only one provider has
/// (Slurm's partition, Matpool's image) is in that provider's own options,
/// set with [`SubmitRequest::options`]. A provider refuses, with
/// [`Error::InvalidRequest`] naming the field, any field it cannot honour and
/// another provider's options — before anything is sent.
///
/// `Debug` shows environment variable names but not their values.
///
/// ```
/// use gpujobs::SubmitRequest;
/// use gpujobs::slurm::SlurmOptions;
/// let request = SubmitRequest::from_args(["python", "-c", "print('a b')"])
///     .id("train-42")
///     .env("HF_TOKEN", "hf_canary")
///     .options(SlurmOptions::default().partition("gpu"));
/// assert_eq!(request.command, r#"python -c 'print('"'"'a b'"'"')'"#);
/// assert!(!format!("{request:?}").contains("hf_canary"));
/// assert_eq!(request.options_for::<SlurmOptions>().unwrap().partition.as_deref(), Some("gpu"));
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct SubmitRequest {
    /// The command to run, as the provider's shell reads it.
    pub command: String,
    /// A client-chosen id: submitting again with the same id does not create a second job.
    pub id: Option<String>,
    /// A display name.
    pub name: Option<String>,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// Metadata labels.
    pub metadata: BTreeMap<String, String>,
    /// A working directory (or, for Ray, a package URI).
    pub working_dir: Option<String>,
    /// CPUs for the job (Ray: its driver; Slurm: whole CPUs per task).
    pub cpus: Option<f64>,
    /// GPUs for the job (Ray: its driver; Slurm: whole GPUs).
    pub gpus: Option<f64>,
    /// Memory for the job, in bytes (Ray: its driver; Slurm: per node).
    pub memory_bytes: Option<u64>,
    /// The provider's own options.
    options: Option<SharedOptions>,
}

impl SubmitRequest {
    /// A request to run `command`, a line for the provider's shell.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            ..Self::default()
        }
    }

    /// A request to run a program with these arguments, exactly: one argument
    /// is sent as it is (a whole command line); several are quoted for the
    /// provider's shell (`sh`, as Ray, Slurm and Matpool run commands), so that
    /// it undoes the quoting and runs what was typed.
    pub fn from_args<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Self {
        let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        match args.as_slice() {
            [one] => Self::new(one.clone()),
            many => Self::new(
                many.iter()
                    .map(|a| shell_quote(a))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }

    /// Sets the client-chosen id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Adds a metadata label.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Sets the working directory.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Sets the CPUs the job asks for.
    pub fn cpus(mut self, cpus: f64) -> Self {
        self.cpus = Some(cpus);
        self
    }

    /// Sets the GPUs the job asks for.
    pub fn gpus(mut self, gpus: f64) -> Self {
        self.gpus = Some(gpus);
        self
    }

    /// Sets the memory the job asks for, in bytes.
    pub fn memory_bytes(mut self, bytes: u64) -> Self {
        self.memory_bytes = Some(bytes);
        self
    }

    /// Sets the provider's own options (`SlurmOptions`, `MatpoolOptions`,
    /// `RayOptions`, or a third party's); a provider they are not for refuses them.
    pub fn options(mut self, options: impl SubmitOptions) -> Self {
        self.options = Some(Arc::new(options));
        self
    }

    /// Sets the provider's own options, already shared (what the CLI builds).
    pub fn shared_options(mut self, options: Option<SharedOptions>) -> Self {
        self.options = options;
        self
    }

    /// The provider options set, if they are of type `T`.
    pub fn options_for<T: SubmitOptions>(&self) -> Option<&T> {
        self.options.as_deref()?.as_any().downcast_ref::<T>()
    }

    /// The provider options set, whatever their type.
    pub fn provider_options(&self) -> Option<&dyn SubmitOptions> {
        self.options.as_deref()
    }

    /// Whether the common field `field` is set.
    pub fn is_set(&self, field: SubmitField) -> bool {
        match field {
            SubmitField::Id => self.id.is_some(),
            SubmitField::Name => self.name.is_some(),
            SubmitField::Env => !self.env.is_empty(),
            SubmitField::Metadata => !self.metadata.is_empty(),
            SubmitField::WorkingDir => self.working_dir.is_some(),
            SubmitField::Cpus => self.cpus.is_some(),
            SubmitField::Gpus => self.gpus.is_some(),
            SubmitField::MemoryBytes => self.memory_bytes.is_some(),
        }
    }

    /// The common fields that are set.
    pub fn fields_set(&self) -> SubmitFields {
        SubmitField::ALL
            .into_iter()
            .filter(|f| self.is_set(*f))
            .fold(SubmitFields::NONE, SubmitFields::with)
    }

    /// Refuses, before anything is sent, what `provider` cannot honour: a
    /// common field it does not take, another provider's options.
    pub(crate) fn check_for(&self, provider: ProviderKind, fields: SubmitFields) -> Result<()> {
        if let Some(field) = self.fields_set().iter().find(|f| !fields.takes(*f)) {
            let why = match field {
                SubmitField::Id => {
                    " (it has no client-chosen id or token a repeated submit could be found by, so an id could not prevent a second job)"
                }
                _ => "",
            };
            return Err(Error::refused(
                provider,
                Field::Submit(field),
                format!("{provider} cannot honour `{field}`{why}"),
            ));
        }
        if let Some(options) = &self.options
            && !options.providers().contains(&provider)
        {
            let for_whom: Vec<String> = options.providers().iter().map(|k| k.to_string()).collect();
            return Err(Error::invalid(
                provider,
                format!(
                    "these options are for {}, not {provider}: {options:?}",
                    for_whom.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

impl PartialEq for SubmitRequest {
    /// Equal when every common field is, and the options are the same value
    /// (compared as they print).
    fn eq(&self, other: &Self) -> bool {
        let options = |r: &Self| r.options.as_ref().map(|o| format!("{o:?}"));
        (
            &self.command,
            &self.id,
            &self.name,
            &self.env,
            &self.metadata,
            &self.working_dir,
        ) == (
            &other.command,
            &other.id,
            &other.name,
            &other.env,
            &other.metadata,
            &other.working_dir,
        ) && (self.cpus, self.gpus, self.memory_bytes)
            == (other.cpus, other.gpus, other.memory_bytes)
            && options(self) == options(other)
    }
}

impl fmt::Debug for SubmitRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: BTreeMap<&str, &str> = self.env.keys().map(|k| (k.as_str(), REDACTED)).collect();
        f.debug_struct("SubmitRequest")
            .field("command", &self.command)
            .field("id", &self.id)
            .field("name", &self.name)
            .field("env", &env)
            .field("metadata", &self.metadata)
            .field("working_dir", &self.working_dir)
            .field("cpus", &self.cpus)
            .field("gpus", &self.gpus)
            .field("memory_bytes", &self.memory_bytes)
            .field("options", &self.options)
            .finish()
    }
}

/// `arg` as `sh` reads one word: as it is when it holds nothing the shell
/// would read otherwise, else in single quotes (a quote inside as `'"'"'`).
pub fn shell_quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-+=:,./@%".contains(c);
    match !arg.is_empty() && arg.chars().all(plain) {
        true => arg.to_owned(),
        false => format!("'{}'", arg.replace('\'', r#"'"'"'"#)),
    }
}

/// A provider's own submit options: a type of that provider's module
/// (`gpujobs::slurm::SlurmOptions`), or a third party's for its own provider.
///
/// ```
/// use gpujobs::{ProviderKind, SubmitOptions};
/// #[derive(Debug)]
/// struct Queue(String);
/// impl SubmitOptions for Queue {
///     fn providers(&self) -> &'static [ProviderKind] { &[ProviderKind::Slurm] }
///     fn as_any(&self) -> &dyn std::any::Any { self }
/// }
/// let request = gpujobs::SubmitRequest::new("true").options(Queue("gpu".into()));
/// assert_eq!(request.options_for::<Queue>().unwrap().0, "gpu");
/// ```
pub trait SubmitOptions: Any + Send + Sync + fmt::Debug {
    /// The providers that take these options.
    fn providers(&self) -> &'static [ProviderKind];

    /// Itself, to be read back as its own type ([`SubmitRequest::options_for`]).
    fn as_any(&self) -> &dyn Any;
}

/// A provider's options as a request holds them, whatever their type.
pub type SharedOptions = Arc<dyn SubmitOptions>;

/// Which common fields of a [`SubmitRequest`] a provider honours (`command`
/// always): a set of [`SubmitField`]s. Descriptors name theirs one by one
/// ([`SubmitFields::of`]), so a field added to gpujobs is refused by every
/// provider until its adapter sends it.
///
/// ```
/// use gpujobs::{SubmitField, SubmitFields};
/// let fields = SubmitFields::of(&[SubmitField::Name, SubmitField::Env]);
/// assert!(fields.takes(SubmitField::Env) && !fields.takes(SubmitField::Metadata));
/// assert_eq!(SubmitFields::ALL.without(SubmitField::Id).iter().count(), SubmitField::ALL.len() - 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubmitFields(u16);

impl SubmitFields {
    /// None (what a provider that cannot submit has).
    pub const NONE: SubmitFields = SubmitFields(0);

    /// Every field.
    pub const ALL: SubmitFields = SubmitFields::NONE.with_all(&SubmitField::ALL);

    /// These fields and `field`.
    pub const fn with(self, field: SubmitField) -> Self {
        Self(self.0 | field.bit())
    }

    /// These fields but `field`.
    pub const fn without(self, field: SubmitField) -> Self {
        Self(self.0 & !field.bit())
    }

    /// Exactly `fields`.
    pub const fn of(fields: &[SubmitField]) -> Self {
        Self::NONE.with_all(fields)
    }

    /// These fields and every one of `fields`.
    pub const fn with_all(mut self, fields: &[SubmitField]) -> Self {
        let mut i = 0;
        while i < fields.len() {
            self = self.with(fields[i]);
            i += 1;
        }
        self
    }

    /// Whether `field` is honoured.
    pub const fn takes(self, field: SubmitField) -> bool {
        self.0 & field.bit() != 0
    }

    /// The fields honoured, in [`SubmitField::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = SubmitField> {
        SubmitField::ALL.into_iter().filter(move |f| self.takes(*f))
    }
}

impl Serialize for SubmitFields {
    /// As the list of the fields' names.
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_so_sh_runs_exactly_them() {
        let args = [
            "python",
            "-c",
            "print('a b')",
            "",
            "$HOME",
            "x;y",
            "plain-1.0/a=b",
        ];
        let line = SubmitRequest::from_args(args).command;
        // sh itself undoes the quoting: each argument comes back whole, unexpanded.
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("printf '%s\\n' {line}")])
            .output()
            .unwrap();
        let back: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(back, args);
        assert_eq!(
            SubmitRequest::from_args(["echo hi && ls"]).command,
            "echo hi && ls",
            "one argument is a command line"
        );
    }

    #[test]
    fn what_a_provider_cannot_honour_is_named() {
        let fields = SubmitFields::NONE
            .with(SubmitField::Name)
            .with(SubmitField::Env);
        let request = SubmitRequest::new("x").name("n").id("i");
        let error = request
            .check_for(ProviderKind::Matpool, fields)
            .unwrap_err();
        assert!(error.to_string().contains("cannot honour `id`"), "{error}");
        assert!(
            SubmitRequest::new("x")
                .name("n")
                .check_for(ProviderKind::Matpool, fields)
                .is_ok()
        );
    }
}
