//! The Promela twin of the TCP model (`bench/spin/tcp.pml`, see bench/spin/README.md):
//! SPIN's reachable states are synack's unique states, for `tcp-handshake` and
//! `tcp-teardown` with a smaller network buffer, so that the test stays cheap
//! (`bench/run` compares them at full size, and times both).
//!
//! It needs Debian's `spin` and a C compiler (`gcc`); without them it fails (never
//! skips), naming the install command.

use std::path::{Path, PathBuf};
use std::process::Command;
use synack::check::{check, RunOptions};
use synack::scenario::Scenario;

const INSTALL: &str = "apt-get install spin gcc";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn found(tool: &str) -> bool {
    Command::new(tool).arg("-V").output().is_ok()
}

/// synack's unique states for scenario `name` with the buffer's capacity set to `cap`.
fn synack_states(name: &str, cap: u8) -> u64 {
    let path = root().join("models").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut replaced = 0;
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("capacity = ") {
                replaced += 1;
                format!("capacity = {cap}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_eq!(replaced, 1, "{name} sets `capacity` once");
    let scn = Scenario::parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions {
        threads: 1,
        explorer: None,
        ..RunOptions::default()
    };
    let out = check(&scn, &opts);
    assert!(out.report.complete, "{name}: synack's run is complete");
    out.report.unique_states
}

/// Runs `cmd` in `dir`; its standard output, or a panic with what it printed.
fn run(dir: &Path, cmd: &mut Command) -> String {
    let out = cmd.current_dir(dir).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// SPIN's "states, stored" for the twin built with `-D<config> -DCAP=<cap>`.
fn spin_states(config: &str, cap: u8) -> u64 {
    let dir =
        std::env::temp_dir().join(format!("synack-spin-{config}-{cap}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pml = root().join("bench/spin/tcp.pml");
    run(
        &dir,
        Command::new("spin")
            .arg(format!("-D{config}"))
            .arg(format!("-DCAP={cap}"))
            .arg("-a")
            .arg(&pml),
    );
    // -O0: the verifier compiles in a second or two, and runs in as much.
    run(
        &dir,
        Command::new("gcc").args(["-O0", "-DNOREDUCE", "-DSAFETY", "-o", "pan", "pan.c"]),
    );
    let text = run(&dir, Command::new(dir.join("pan")).arg("-w20"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(text.contains("errors: 0"), "pan found errors:\n{text}");
    assert!(!text.contains("max search depth too small"), "{text}");
    text.lines()
        .find_map(|l| l.trim().strip_suffix(" states, stored"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no state count in pan's output:\n{text}"))
}

#[test]
fn spin_reaches_as_many_states_as_synack_on_the_twin() {
    if !found("spin") || !found("gcc") {
        panic!("spin or gcc is missing; install them with: {INSTALL}");
    }
    // handshake: the oracle ISNs and duplication; teardown: the ISN clock and RFC 1337.
    let cases = [
        ("HANDSHAKE", "tcp-handshake", 2),
        ("TEARDOWN", "tcp-teardown", 3),
    ];
    std::thread::scope(|s| {
        let spin: Vec<_> = cases
            .iter()
            .map(|&(config, _, cap)| s.spawn(move || spin_states(config, cap)))
            .collect();
        for (&(_, name, cap), spin) in cases.iter().zip(spin) {
            let synack = synack_states(name, cap);
            let spin = spin.join().unwrap();
            assert_eq!(
                spin, synack,
                "{name} with capacity {cap}: SPIN's reachable states against synack's \
                 unique states"
            );
        }
    });
}
