//! A provider's error answer (the first byte picks the provider, the second the
//! status): never a panic, and the error is one terminal-safe line.
#![no_main]

use gpujobs::ProviderKind;
use libfuzzer_sys::fuzz_target;

const STATUSES: [u16; 8] = [400, 401, 403, 404, 409, 429, 500, 503];

fuzz_target!(|data: &[u8]| {
    let [pick, status, body @ ..] = data else { return };
    let kind = ProviderKind::ALL[usize::from(*pick) % ProviderKind::ALL.len()];
    let status = STATUSES[usize::from(*status) % STATUSES.len()];
    let error = kind.descriptor().decode_error(status, body);
    assert!(!error.to_string().chars().any(char::is_control));
});
