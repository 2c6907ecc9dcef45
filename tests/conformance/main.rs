//! The conformance suite: one list of scenarios (`scenarios.rs`), stamped out
//! for every provider the sandbox emulates (`gpujobs_sandbox::emulated()`, so
//! a new provider is covered without touching this file) and for the
//! in-memory reference provider — so a failure reads
//! `matpool::cancel_is_idempotent`, and a scenario that fails on `reference`
//! too is itself wrong. `cargo test --test conformance -- ray::` runs one
//! provider's.

mod scenarios;

use std::sync::Arc;
use std::time::Duration;

use gpujobs::{Capabilities, JobProvider, ProviderKind, RetryPolicy, WaitOptions};
use gpujobs_runtime::ManualClock;
use gpujobs_sandbox::{
    FaultRule, JobSpec, ReferenceProvider, RequestRecord, Sandbox, SandboxConfig, Timing,
};
use libtest_mimic::Completion;

/// The token each sandboxed provider accepts: a canary that must never be shown.
pub const CANARY_TOKEN: &str = "canary-token-7d1e";

/// One provider under test, and what the scenarios may do to it.
pub struct Harness {
    pub kind: ProviderKind,
    pub provider: Arc<dyn JobProvider>,
    /// The sandbox behind the provider (none for the reference provider).
    pub sandbox: Option<Sandbox>,
    reference: Option<ReferenceProvider>,
    /// The clock the provider's retries sleep on.
    pub clock: ManualClock,
    /// Why the scenario does not apply, once it said so (see [`skip`]).
    skipped: std::sync::Mutex<Option<&'static str>>,
}

impl Harness {
    /// A provider talking to a fresh, empty sandbox with fast lifecycles.
    pub async fn sandbox(kind: ProviderKind) -> Self {
        let mut config = SandboxConfig::default().timing(Timing::fast()).empty();
        if kind.descriptor().env.credential.is_some() {
            config = config.token(kind, CANARY_TOKEN);
        }
        let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
        let clock = ManualClock::new();
        let mut provider_config = sandbox.provider_config(kind);
        provider_config.clock = Arc::new(clock.clone());
        provider_config.retry = RetryPolicy::default();
        let provider = gpujobs::connect(provider_config).expect("the provider builds");
        Self {
            kind,
            provider,
            sandbox: Some(sandbox),
            reference: None,
            clock,
            skipped: Default::default(),
        }
    }

    /// The in-memory reference provider.
    pub async fn reference() -> Self {
        let reference = ReferenceProvider::new(Timing::fast());
        Self {
            kind: gpujobs_sandbox::ReferenceProvider::KIND,
            provider: Arc::new(reference.clone()),
            sandbox: None,
            reference: Some(reference),
            clock: ManualClock::new(),
            skipped: Default::default(),
        }
    }

    pub fn caps(&self) -> Capabilities {
        self.provider.capabilities()
    }

    /// Puts a job on the provider directly (providers that cannot submit get jobs this way too).
    pub fn add(&self, spec: JobSpec) -> String {
        match (&self.sandbox, &self.reference) {
            (Some(sandbox), _) => sandbox
                .add_job(self.kind, spec)
                .expect("the sandbox emulates it"),
            (None, Some(reference)) => reference.add_job(spec),
            (None, None) => unreachable!("a harness has a sandbox or a reference"),
        }
    }

    /// Switches a fault on for this provider; `false` where there is no HTTP to break.
    pub fn inject(&self, rule: FaultRule) -> bool {
        match &self.sandbox {
            Some(sandbox) => {
                sandbox.inject(rule.provider(self.kind));
                true
            }
            None => false,
        }
    }

    /// Requests the sandbox received.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.sandbox
            .as_ref()
            .map(Sandbox::requests)
            .unwrap_or_default()
    }

    /// The same provider with a wrong credential, where it checks one.
    pub fn with_wrong_credential(&self) -> Option<Arc<dyn JobProvider>> {
        let sandbox = self.sandbox.as_ref()?;
        self.kind.descriptor().env.credential?;
        let mut config = sandbox.provider_config(self.kind);
        config.credential = Some("not-the-token".into());
        Some(gpujobs::connect(config).expect("the provider builds"))
    }

    /// Real-time waiting at test pace.
    pub fn wait_options(&self) -> WaitOptions {
        WaitOptions::default()
            .timeout(Duration::from_secs(10))
            .intervals(Duration::from_millis(10), Duration::from_millis(40))
    }
}

/// Says why a scenario does not apply to a provider: the run reports it as
/// ignored with this reason (`ignored (submit is unsupported)`), not as passed.
pub fn skip(harness: &Harness, why: &'static str) {
    *harness.skipped.lock().unwrap() = Some(why);
}

/// A scenario: an async check of one harness.
type Scenario = for<'a> fn(&'a Harness) -> futures_util::future::BoxFuture<'a, ()>;

/// The scenarios, by name (each a function in `scenarios.rs`).
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        const SCENARIOS: &[(&str, Scenario)] = &[
            $((stringify!($name), |h| Box::pin(scenarios::$name(h)))),*
        ];
    };
}

scenarios![
    submit_get_cancel,
    wait_reaches_succeeded,
    wait_reports_failure,
    wait_reaches_canceled,
    wait_times_out_with_the_last_job,
    cancel_is_idempotent,
    list_pages_without_duplicates_or_gaps,
    not_found,
    unauthenticated,
    rate_limited_honours_retry_after,
    unavailable_is_retried_up_to_the_limit,
    job_creating_post_is_not_retried_on_500,
    dropped_connection_is_retried_for_reads,
    unknown_status_is_unknown_and_not_terminal,
    extra_field_is_ignored,
    cut_short_body_is_a_clear_error,
    logs_where_supported,
    secret_canaries_never_leak,
    paging_in_circles_ends_with_an_error,
    a_repeated_cursor_ends_with_an_error,
    duplicate_jobs_are_listed_once,
    listing_stops_at_the_page_limit,
    an_oversized_answer_is_refused,
    a_read_cut_short_once_is_retried,
    a_submit_whose_answer_is_lost_makes_one_job,
];

/// Runs one scenario against a fresh harness, on a runtime of its own:
/// completed, or ignored with the reason it gave.
fn run(
    kind: Option<ProviderKind>,
    scenario: Scenario,
) -> Result<Completion, libtest_mimic::Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let skipped = runtime.block_on(async {
        let harness = match kind {
            Some(kind) => Harness::sandbox(kind).await,
            None => Harness::reference().await,
        };
        scenario(&harness).await;
        harness.skipped.lock().unwrap().take()
    });
    Ok(skipped.map_or(Completion::Completed, Completion::ignored_with))
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let targets = gpujobs_sandbox::emulated()
        .into_iter()
        .map(|kind| (kind.to_string(), Some(kind)))
        .chain([("reference".to_owned(), None)]);
    let mut trials = Vec::new();
    for (target, kind) in targets {
        for (name, scenario) in SCENARIOS {
            let scenario = *scenario;
            trials.push(libtest_mimic::Trial::ignorable_test(
                format!("{target}::{name}"),
                move || run(kind, scenario),
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
