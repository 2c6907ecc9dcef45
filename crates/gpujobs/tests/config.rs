//! Configuration: environment variables, base URLs, and the plain-http guard.

use std::collections::HashMap;

use gpujobs::prelude::*;
use gpujobs::{
    matpool::MatpoolProvider, ppio::PpioProvider, ray::RayProvider, yuanrong::YuanrongProvider,
};

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn a_missing_credential_names_the_variable_to_set() {
    let err = PpioProvider::builder().env(vars(&[])).unwrap_err();
    assert!(
        matches!(&err, Error::Config { message, .. } if message == "no credential: set PPIO_API_KEY"),
        "{err}"
    );
    let err = MatpoolProvider::builder()
        .env(vars(&[("MATPOOL_TOKEN", "  ")]))
        .unwrap_err();
    assert!(err.to_string().contains("MATPOOL_TOKEN"), "{err}");
}

#[test]
fn variables_configure_credential_and_base_url() {
    let builder = PpioProvider::builder()
        .env(vars(&[
            ("PPIO_API_KEY", "sk-1"),
            ("PPIO_BASE_URL", "http://127.0.0.1:9/ppio"),
        ]))
        .unwrap();
    assert_eq!(
        builder.config().credential.as_ref().unwrap().expose(),
        "sk-1"
    );
    assert_eq!(
        builder.config().base_url.as_deref(),
        Some("http://127.0.0.1:9/ppio")
    );
    assert!(builder.build().is_ok());
}

#[test]
fn ray_defaults_to_the_local_dashboard() {
    let builder = RayProvider::builder().env(vars(&[])).unwrap();
    assert_eq!(
        builder.config().checked_base_url().unwrap(),
        "http://127.0.0.1:8265"
    );
    let custom = RayProvider::builder()
        .env(vars(&[("RAY_API_SERVER_ADDRESS", "http://10.0.0.5:8265/")]))
        .unwrap();
    assert_eq!(
        custom.config().checked_base_url().unwrap(),
        "http://10.0.0.5:8265"
    );
}

#[test]
fn yuanrong_needs_its_frontend_address() {
    let err = YuanrongProvider::builder()
        .env(vars(&[]))
        .unwrap()
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config { message, .. } if message.contains("YUANRONG_BASE_URL")),
        "{err}"
    );
}

#[test]
fn a_credential_is_refused_over_plain_http_to_a_remote_host() {
    let err = PpioProvider::builder()
        .credential("sk-1")
        .base_url("http://api.ppio.example")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config { message, .. } if message.contains("plain http")),
        "{err}"
    );
    assert!(!err.to_string().contains("sk-1"));
    let allowed = PpioProvider::builder()
        .credential("sk-1")
        .base_url("http://api.ppio.example")
        .allow_insecure_http(true)
        .build();
    assert!(allowed.is_ok());
}

#[test]
fn providers_are_built_by_kind() {
    for &kind in ProviderKind::ALL {
        let mut config = gpujobs::ProviderConfig::new(kind);
        config.base_url = Some("http://127.0.0.1:9".into());
        config.credential = Some("k".into());
        let provider = gpujobs::connect(config).unwrap();
        assert_eq!(provider.kind(), kind);
    }
}

#[test]
fn slurm_reads_its_token_whole_line_or_not_its_user_and_its_version() {
    use gpujobs::slurm::SlurmProvider;
    let configured = |pairs: &[(&str, &str)]| {
        let builder = SlurmProvider::builder().env(vars(pairs)).unwrap();
        let config = builder.config();
        (
            config.credential.as_ref().unwrap().expose().to_owned(),
            config.settings.get("user").cloned(),
            config.settings.get("api_version").cloned(),
        )
    };
    // `scontrol token` prints `SLURM_JWT=…`; that whole line works as the value.
    // USER is not a Slurm user name: the token carries its user (cron, containers and CI
    // runners have no USER, or another one).
    assert_eq!(
        configured(&[("SLURM_JWT", "SLURM_JWT=eyJ.a.b"), ("USER", "ana")]),
        ("eyJ.a.b".to_owned(), None, None)
    );
    assert_eq!(
        configured(&[
            ("SLURM_JWT", " eyJ.a.b\n"),
            ("SLURM_USER_NAME", "bo"),
            ("SLURMRESTD_API_VERSION", " v0.0.42 "),
        ]),
        (
            "eyJ.a.b".to_owned(),
            Some("bo".to_owned()),
            Some("v0.0.42".to_owned())
        ),
    );
    let err = SlurmProvider::builder().env(vars(&[])).unwrap_err();
    assert!(err.to_string().contains("SLURM_JWT"), "{err}");
}

#[test]
fn a_provider_refuses_another_providers_configuration() {
    use gpujobs::ray::RayProvider;
    let mut slurms = gpujobs::ProviderConfig::new(ProviderKind::Slurm);
    slurms.base_url = Some("http://127.0.0.1:9".into());
    let error = RayProvider::from_config(slurms).unwrap_err();
    assert_eq!(error.kind(), gpujobs::ErrorKind::Config);
    assert!(
        error.to_string().contains("slurm's configuration"),
        "{error}"
    );
}

#[test]
fn the_connect_limit_is_a_builder_setting() {
    let builder = gpujobs::ray::RayProvider::builder()
        .connect_timeout(std::time::Duration::from_millis(1500));
    assert_eq!(
        builder.config().connect_timeout,
        std::time::Duration::from_millis(1500)
    );
}
