//! Running the `synack` binary from a test, shared by the command-line tests; each
//! includes this file with `#[path]`.

use std::process::Command;

/// Runs `synack ARGS` in the repository's root: exit code, stdout and stderr.
pub fn synack(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run synack");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
