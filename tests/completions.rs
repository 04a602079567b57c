//! Shell completions (clap_complete) and the man page (clap_mangen): each is produced
//! and names every command; bash loads its script, groff renders the page.

#[path = "common/run.rs"]
mod run;

use run::synack;

use std::process::{Command, Stdio};

const COMMANDS: [&str; 11] = [
    "list",
    "check",
    "simulate",
    "merge",
    "trace",
    "transitions",
    "replay",
    "explore",
    "completions",
    "man",
    "help",
];

#[test]
fn completions_name_every_command_and_flag() {
    for (shell, head) in [
        ("bash", "_synack() {"),
        ("zsh", "#compdef synack"),
        ("fish", "complete -c synack"),
    ] {
        let (code, out, err) = synack(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(
            out.contains(head),
            "{shell}: {}",
            &out[..out.len().min(300)]
        );
        for c in COMMANDS {
            assert!(out.contains(c), "{shell} completion lacks `{c}`");
        }
        for flag in ["shard", "seed", "runs", "depth", "traces"] {
            // bash and zsh spell a flag `--seed`, fish `-l seed`.
            let spelled = if shell == "fish" {
                format!("-l {flag}")
            } else {
                format!("--{flag}")
            };
            assert!(
                out.contains(&spelled),
                "{shell} completion lacks `{spelled}`"
            );
        }
    }
    let (code, _, err) = synack(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error:"), "{err}");
}

#[test]
fn bash_loads_the_completion_and_completes_commands() {
    let (_, script, _) = synack(&["completions", "bash"]);
    let out = Command::new("bash")
        .arg("-c")
        .arg(
            "source /dev/stdin; complete -p synack; COMP_WORDS=(synack si); COMP_CWORD=1; \
             _synack synack si synack; echo \"${COMPREPLY[@]}\"",
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(script.as_bytes())?;
            c.wait_with_output()
        })
        .expect("bash");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("-F _synack synack"), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap_or("")
            .split(' ')
            .any(|w| w == "simulate"),
        "{text}"
    );
}

#[test]
fn the_man_page_documents_every_command() {
    let (code, page, err) = synack(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.contains(".TH synack 1"), "{page}");
    for c in COMMANDS {
        assert!(
            page.contains(&format!("synack\\-{c}(1)")),
            "the page lacks synack-{c}(1)"
        );
    }
    // groff renders it (when present: man-db depends on it).
    if let Ok(mut g) = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-bou"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        g.stdin.take().unwrap().write_all(page.as_bytes()).unwrap();
        let out = g.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("SUBCOMMANDS") && text.contains("simulate"),
            "{text}"
        );
    }
    // One page per command in a directory.
    let d = std::env::temp_dir().join(format!("synack-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let (code, _, err) = synack(&["man", "--out-dir", d.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for c in ["check", "simulate", "merge"] {
        let p = std::fs::read_to_string(d.join(format!("synack-{c}.1"))).unwrap();
        assert!(p.contains(&format!(".TH synack-{c} 1")), "{p}");
    }
    let simulate = std::fs::read_to_string(d.join("synack-simulate.1")).unwrap();
    assert!(simulate.contains("\\-\\-shard"), "{simulate}");
    let _ = std::fs::remove_dir_all(&d);
}
