//! Writing to stdout: a closed stdout (`| head`) ends the program quietly,
//! as other Unix tools do.

use std::io::Write;

/// Writes a line to stdout. A closed stdout (`| head`) ends the program quietly,
/// as other Unix tools do.
pub fn emit(text: &str) {
    emit_bytes(format!("{text}\n").as_bytes());
}

/// Writes bytes to stdout, as [`emit`].
pub fn emit_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}
