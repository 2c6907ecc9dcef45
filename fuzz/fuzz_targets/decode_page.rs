//! A provider's page answer (the first byte picks the provider): never a panic,
//! and an error is one terminal-safe line.
#![no_main]

use gpujobs::ProviderKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let kind = ProviderKind::ALL[usize::from(pick) % ProviderKind::ALL.len()];
    if let Err(error) = kind.descriptor().decode_page(body) {
        assert!(!error.to_string().chars().any(char::is_control));
    }
});
