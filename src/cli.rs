//! The `synack` command line (the contract of shared/DESIGN.md). `main.rs` only calls
//! [`main`]; every subcommand returns a result; one error type maps to the exit codes.

use crate::check::shard::{Shard, ShardInfo};
use crate::check::{self, limits, RunOptions};
use crate::report::{mermaid, timeline, Report};
use crate::scenario::Scenario;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Model-checked TCP, DNS and HTTP/1.1: what happens after a click.
#[derive(Parser, Debug)]
#[command(name = "synack", version, about)]
pub struct Cli {
    /// The scenario catalogue (default: ./models, else the one built in).
    #[arg(long, global = true, value_name = "DIR")]
    pub models: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the scenarios of the catalogue.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check scenarios against their expected verdicts.
    Check {
        /// Scenario names or paths to scenario files.
        #[arg(
            value_name = "SCENARIO|FILE",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        scenarios: Vec<String>,
        /// Check the whole catalogue.
        #[arg(long)]
        all: bool,
        /// Print JSON (one object per scenario; an array for several).
        #[arg(long)]
        json: bool,
        /// Worker threads.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
        /// Per kind of action: transitions, new states, first depth; flags the kinds
        /// the model defines that no run took (JSON: a `coverage` table).
        #[arg(long)]
        coverage: bool,
        /// Check only this shard's scenarios: those at positions I mod N of the list
        /// (the catalogue's order for --all). A scenario is never split: a single one
        /// is checked by shard 0 and skipped by the others.
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
        #[command(flatten)]
        bounds: Bounds,
    },
    /// Take seeded random walks over scenarios' models and test their properties on
    /// every state and step (a sample: nothing it does not find is proven).
    Simulate {
        /// Scenario names or paths to scenario files.
        #[arg(value_name = "SCENARIO|FILE", required = true)]
        scenarios: Vec<String>,
        /// The seed: run r walks a SplitMix64 stream of (seed, r), the same on any
        /// thread count, shard or machine.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Runs of the whole sample (run indices 0 to N-1).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
        runs: u64,
        /// Steps per run at most.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        depth: u32,
        /// Print JSON (one object per scenario; an array for several).
        #[arg(long)]
        json: bool,
        /// Worker threads (results do not depend on them).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
        /// Walk only this shard's runs: those whose index is I mod N.
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
        /// Write the path of every finding to DIR: SCENARIO.PROPERTY.txt (the text
        /// timeline of `trace`), .json (its JSON) and, for tcp scenarios, .trace (the
        /// format `synack replay` reads).
        #[arg(long, value_name = "DIR")]
        traces: Option<PathBuf>,
        /// Stop starting runs after this many seconds (the report is then partial:
        /// exit 3).
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
        timeout: Option<u64>,
    },
    /// Merge the JSON reports of shards (check --shard, simulate --shard) into the
    /// report of the whole; exit code as check gives for the merged verdicts.
    Merge {
        /// Report files that `--json` wrote (`-`: standard input); a file may hold
        /// several reports one after another.
        #[arg(value_name = "REPORT.json", required = true)]
        reports: Vec<PathBuf>,
        /// Print JSON (one object per scenario; an array for several).
        #[arg(long)]
        json: bool,
    },
    /// Print the counterexample or example of one property.
    Trace {
        scenario: String,
        property: String,
        #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
        format: TraceFormat,
        /// After each step, show the fields of the endpoints, timers and network that
        /// changed (text format only; unchanged fields are collapsed).
        #[arg(long)]
        diff: bool,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
        #[command(flatten)]
        bounds: Bounds,
    },
    /// List every endpoint state transition seen in the explored state space.
    Transitions {
        scenario: String,
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
        #[command(flatten)]
        bounds: Bounds,
    },
    /// Replay a trace (or a real capture) against a tcp scenario's model.
    Replay {
        scenario: String,
        /// A trace in the text format (one segment, state or call a line).
        #[arg(
            value_name = "TRACE",
            required_unless_present = "pcap",
            conflicts_with = "pcap"
        )]
        trace: Option<PathBuf>,
        /// A capture (pcap) of one connection instead of a text trace.
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
        /// Unobservable steps (ticks, deliveries, losses, timers, choices) searched
        /// between two lines.
        #[arg(long, default_value_t = crate::replay::Bounds::default().max_steps)]
        max_steps: usize,
        /// Stop after searching this many states (exit 3).
        #[arg(long, default_value_t = crate::replay::Bounds::default().max_states as u64, value_parser = clap::value_parser!(u64).range(1..))]
        max_states: u64,
    },
    /// Serve the stateright Explorer for a scenario.
    Explore {
        scenario: String,
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: String,
    },
    /// Print the shell completion script for SHELL (generated by clap_complete).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page synack(1) in roff (generated by clap_mangen); with
    /// --out-dir, write it and one page per command (synack-check.1, ...) there.
    Man {
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// The bounds of a run: when one is hit, the run stops with a partial report (exit 3).
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct Bounds {
    /// Stop after this many unique states (the run is then incomplete: exit 3).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_states: Option<u64>,
    /// Stop when the process holds more than this much memory, e.g. 8G or 512M (the
    /// run is then incomplete: exit 3) [default: half of physical memory, or of the
    /// cgroup or `ulimit -v` limit when lower].
    #[arg(long, value_name = "BYTES", value_parser = limits::parse_bytes)]
    pub max_memory: Option<u64>,
    /// Stop after this many seconds (the run is then incomplete: exit 3).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
}

impl Bounds {
    fn max_states(&self) -> Option<usize> {
        self.max_states.map(|n| n.min(usize::MAX as u64) as usize)
    }
    fn max_memory(&self) -> u64 {
        self.max_memory.unwrap_or_else(limits::default_max_memory)
    }
    fn timeout(&self) -> Option<Duration> {
        self.timeout.map(Duration::from_secs)
    }
}

/// The exit code of a run that a signal stopped (130 for SIGINT, 143 for SIGTERM),
/// else `code`.
fn or_signalled(code: i32) -> i32 {
    limits::interrupted().map_or(code, limits::signal_exit_code)
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum TraceFormat {
    Text,
    Mermaid,
    Json,
    /// A pcap file of the trace's deliveries (needs -o FILE).
    Pcap,
    /// Apalache's Informal Trace Format (JSON).
    Itf,
    /// An SVG sequence diagram: arrows slanted from send to delivery, losses as
    /// crosses, segments never delivered as dotted arrows to a bar.
    Svg,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    Text,
    Json,
    Dot,
    Mermaid,
    /// An SVG drawing on the ranks of RFC 9293 Figure 5, edges coloured by origin.
    Svg,
}

/// An error, with the exit code it maps to.
#[derive(Debug)]
pub struct Error {
    pub code: i32,
    pub message: String,
    pub causes: Vec<String>,
    /// Nothing to say: standard output was closed by its reader (a broken pipe), which
    /// ends the program quietly, the way `| head` users expect.
    pub quiet: bool,
}

impl Error {
    pub fn input(message: impl Into<String>) -> Error {
        Error {
            code: 2,
            message: message.into(),
            causes: Vec::new(),
            quiet: false,
        }
    }

    /// The reader of standard output went away; exit quietly with `code`.
    pub fn closed(code: i32) -> Error {
        Error {
            code,
            message: String::new(),
            causes: Vec::new(),
            quiet: true,
        }
    }

    pub fn caused_by(mut self, cause: impl Into<String>) -> Error {
        self.causes.push(cause.into());
        self
    }
}

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if !e.quiet {
                let mut text = format!("error: {}\n", e.message);
                for c in &e.causes {
                    text.push_str(&format!("caused by: {c}\n"));
                }
                // Nowhere left to report a failure to write the report of a failure.
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
            e.code
        }
    }
}

/// Writes `text` to standard output and flushes it. A broken pipe is
/// [`Error::closed`] (exit 0, nothing printed); any other write error is exit 2.
pub fn emit(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::closed(0)),
        Err(e) => Err(Error::input("cannot write to standard output").caused_by(e.to_string())),
    }
}

/// The catalogue directory.
fn models_dir(cli: &Option<PathBuf>) -> PathBuf {
    if let Some(d) = cli {
        return d.clone();
    }
    let here = PathBuf::from("models");
    if here.is_dir() {
        return here;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn catalogue(dir: &Path) -> Result<Vec<Scenario>, Error> {
    Scenario::catalogue(dir)
        .map_err(|e| Error::input("the scenario catalogue is invalid").caused_by(e.to_string()))
}

/// Resolves a scenario name or file.
pub fn resolve(dir: &Path, arg: &str) -> Result<Scenario, Error> {
    let as_path = Path::new(arg);
    if arg.ends_with(".toml") || arg.contains('/') {
        return Scenario::load(as_path).map_err(|e| {
            Error::input(format!("bad scenario file {arg}")).caused_by(e.to_string())
        });
    }
    let file = dir.join(format!("{arg}.toml"));
    if file.is_file() {
        return Scenario::load(&file)
            .map_err(|e| Error::input(format!("bad scenario {arg}")).caused_by(e.to_string()));
    }
    let known = catalogue(dir)?;
    let names: Vec<&str> = known.iter().map(|s| s.name.as_str()).collect();
    Err(Error::input(format!("unknown scenario `{arg}`"))
        .caused_by(format!("known scenarios: {}", names.join(", "))))
}

fn run(cli: Cli) -> Result<i32, Error> {
    let dir = models_dir(&cli.models);
    match cli.command {
        Command::List { json } => {
            let all = catalogue(&dir)?;
            if json {
                let v: Vec<serde_json::Value> = all
                    .iter()
                    .map(|s| serde_json::json!({"name": s.name, "model": s.model, "description": s.description}))
                    .collect();
                emit(&(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"))?;
            } else {
                let mut text = String::new();
                for s in &all {
                    text.push_str(&format!("{:<34} {}\n", s.name, s.description));
                }
                emit(&text)?;
            }
            Ok(0)
        }
        Command::Check {
            scenarios,
            all,
            json,
            threads,
            coverage,
            shard,
            bounds,
        } => {
            limits::catch_signals();
            let list = if all {
                catalogue(&dir)?
            } else {
                scenarios
                    .iter()
                    .map(|s| resolve(&dir, s))
                    .collect::<Result<Vec<_>, _>>()?
            };
            let whole = list.len() as u64;
            // This shard's scenarios and their positions in the whole list.
            let (positions, list): (Vec<u64>, Vec<Scenario>) = list
                .into_iter()
                .enumerate()
                .map(|(k, s)| (k as u64, s))
                .filter(|(k, _)| shard.is_none_or(|sh| sh.takes(*k)))
                .unzip();
            if let Some(sh) = shard {
                if list.is_empty() {
                    note(&format!(
                        "shard {sh}: no scenario to check (shard I checks the scenarios at \
                         positions I mod N of the {whole} given; one scenario is not split)"
                    ));
                }
            }
            let info = |k: usize| {
                shard.map(|sh| ShardInfo {
                    index: sh.index,
                    count: sh.count,
                    position: positions[k],
                    scenarios: whole,
                })
            };
            let opts = RunOptions {
                threads: threads as usize,
                max_states: bounds.max_states(),
                max_memory: Some(bounds.max_memory()),
                timeout: bounds.timeout(),
                progress: std::io::stderr().is_terminal(),
                coverage,
                ..RunOptions::default()
            };
            let mut reports: Vec<Report> = Vec::new();
            let mut unread = None;
            let mut each = |mut o: check::Outcome| {
                o.report.shard = info(reports.len());
                let shown = if json {
                    Ok(())
                } else {
                    emit(&o.report.text(false))
                };
                reports.push(o.report);
                // The reader is gone: the rest of the catalogue would go unread.
                if let Err(e) = shown {
                    unread = Some(e);
                    return false;
                }
                if !json {
                    warn(&reports[reports.len() - 1..]);
                }
                // Interrupted: this report is partial, the rest are not run.
                limits::interrupted().is_none()
            };
            if list.len() > 1 && threads > 1 {
                // Several scenarios: side by side, one thread each (check::many); one
                // progress line cannot speak for several runs.
                let opts = RunOptions {
                    progress: false,
                    ..opts
                };
                check::many::check_side_by_side(list, &opts, each);
            } else {
                for s in &list {
                    if !each(check::check(s, &opts)) {
                        break;
                    }
                }
            }
            if let Some(e) = unread {
                return Err(closed_with(e, &reports));
            }
            if json {
                emit(&json_reports(&reports)).map_err(|e| closed_with(e, &reports))?;
                warn(&reports);
            }
            Ok(or_signalled(exit_code(&reports)))
        }
        Command::Simulate {
            scenarios,
            seed,
            runs,
            depth,
            json,
            threads,
            shard,
            traces,
            timeout,
        } => {
            let list = scenarios
                .iter()
                .map(|s| resolve(&dir, s))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(d) = &traces {
                std::fs::create_dir_all(d).map_err(|e| {
                    Error::input(format!("cannot create {}", d.display())).caused_by(e.to_string())
                })?;
            }
            limits::catch_signals();
            let opts = crate::simulate::Options {
                seed,
                runs,
                depth,
                threads: threads as usize,
                shard: shard.unwrap_or(Shard::WHOLE),
                timeout: timeout.map(Duration::from_secs),
                ..crate::simulate::Options::default()
            };
            let mut reports: Vec<Report> = Vec::new();
            for (k, (s, arg)) in list.iter().zip(&scenarios).enumerate() {
                let mut o = crate::simulate::simulate(s, &opts);
                o.report.shard = shard.map(|sh| ShardInfo {
                    index: sh.index,
                    count: sh.count,
                    position: k as u64,
                    scenarios: list.len() as u64,
                });
                if !json {
                    let text = o.report.text(false) + &counterexamples(&o.report);
                    emit(&text).map_err(|e| closed_with(e, &reports))?;
                    warn(std::slice::from_ref(&o.report));
                }
                if let Some(d) = &traces {
                    write_traces(d, arg, &o)?;
                }
                reports.push(o.report);
                if limits::interrupted().is_some() {
                    break;
                }
            }
            if json {
                emit(&json_reports(&reports)).map_err(|e| closed_with(e, &reports))?;
                warn(&reports);
            }
            Ok(or_signalled(exit_code(&reports)))
        }
        Command::Merge { reports, json } => {
            let mut inputs = Vec::new();
            for f in &reports {
                let (name, text) = if f.as_os_str() == "-" {
                    let mut t = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut t).map_err(|e| {
                        Error::input("cannot read standard input").caused_by(e.to_string())
                    })?;
                    ("standard input".to_string(), t)
                } else {
                    let t = std::fs::read_to_string(f).map_err(|e| {
                        Error::input(format!("cannot read {}", f.display()))
                            .caused_by(e.to_string())
                    })?;
                    (f.display().to_string(), t)
                };
                inputs.push(crate::report::merge::parse(&name, &text)?);
            }
            let merged = crate::report::merge::merge(&inputs)?;
            if json {
                emit(&json_reports(&merged)).map_err(|e| closed_with(e, &merged))?;
            } else {
                let text: String = merged.iter().map(|r| r.text(false)).collect();
                emit(&text).map_err(|e| closed_with(e, &merged))?;
            }
            warn(&merged);
            Ok(exit_code(&merged))
        }
        Command::Trace {
            scenario,
            property,
            format,
            diff,
            output,
            threads,
            bounds,
        } => {
            if format == TraceFormat::Pcap && output.is_none() {
                return Err(Error::input(
                    "--format pcap writes a binary file: give it with -o FILE",
                ));
            }
            if diff && format != TraceFormat::Text {
                return Err(Error::input("--diff applies to --format text").caused_by(
                    "json and itf hold every field of every state; mermaid and svg draw the messages",
                ));
            }
            let mut s = resolve(&dir, &scenario)?;
            let Some(exp) = s.expect.iter().find(|(n, _)| *n == property).cloned() else {
                let names: Vec<&str> = s.expect.iter().map(|(n, _)| n.as_str()).collect();
                return Err(Error::input(format!(
                    "scenario {} checks no property `{property}`",
                    s.name
                ))
                .caused_by(format!("its properties: {}", names.join(", "))));
            };
            s.expect = vec![exp];
            limits::catch_signals();
            let opts = RunOptions {
                threads: threads as usize,
                max_states: bounds.max_states(),
                max_memory: Some(bounds.max_memory()),
                timeout: bounds.timeout(),
                progress: std::io::stderr().is_terminal(),
                states: diff || format == TraceFormat::Itf,
                svg: format == TraceFormat::Svg,
                ..RunOptions::default()
            };
            let o = check::check(&s, &opts);
            let p = &o.report.properties[0];
            // 3 if the run was cut short before it decided, 1 if the verdict is not the
            // expected one.
            let code = or_signalled(if p.verdict == "unknown" {
                3
            } else if p.verdict != p.expected {
                1
            } else {
                0
            });
            let Some(steps) = &p.trace else {
                let why = o.report.stopped.as_deref().map(|w| format!(" ({w})"));
                note(&format!(
                    "{} / {}: {} (expected {}) — there is no trace to show{}",
                    s.name,
                    property,
                    p.verdict,
                    p.expected,
                    why.unwrap_or_default()
                ));
                return Ok(code);
            };
            let title = format!(
                "{} / {}: {} (expected {})",
                s.name, property, p.verdict, p.expected
            );
            if format == TraceFormat::Pcap {
                let f = output.as_deref().unwrap_or(Path::new("-"));
                let bytes = crate::report::pcap::pcap(&o.roles, steps)
                    .map_err(|e| Error::input("cannot build the pcap file").caused_by(e))?;
                std::fs::write(f, bytes).map_err(|e| {
                    Error::input(format!("cannot write {}", f.display())).caused_by(e.to_string())
                })?;
                return Ok(code);
            }
            let states = o.states.first().and_then(Option::as_deref).unwrap_or(&[]);
            let text = match format {
                TraceFormat::Pcap => unreachable!("written above"),
                TraceFormat::Text if diff => {
                    crate::report::diff::timeline_diff(&title, steps, p.loop_start, states)
                }
                TraceFormat::Text => timeline(&title, steps, p.loop_start),
                TraceFormat::Itf => {
                    let v = crate::report::itf::itf(
                        &s.name,
                        &property,
                        &p.verdict,
                        steps,
                        p.loop_start,
                        states,
                    );
                    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
                }
                TraceFormat::Mermaid => mermaid(&o.roles, steps, p.loop_start),
                TraceFormat::Svg => o.svgs.first().cloned().flatten().unwrap_or_default(),
                TraceFormat::Json => {
                    let v = serde_json::json!({
                        "scenario": s.name, "property": property, "verdict": p.verdict,
                        "loop_start": p.loop_start, "trace": steps,
                    });
                    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
                }
            };
            match output {
                Some(f) => std::fs::write(&f, text).map_err(|e| {
                    Error::input(format!("cannot write {}", f.display())).caused_by(e.to_string())
                })?,
                None => emit(&text).map_err(|e| if e.quiet { Error::closed(code) } else { e })?,
            }
            Ok(code)
        }
        Command::Transitions {
            scenario,
            format,
            bounds,
        } => {
            let s = resolve(&dir, &scenario)?;
            if s.model != "tcp" {
                return Err(Error::input(format!(
                    "transitions lists the TCP endpoints of a tcp scenario; {} is a {} scenario",
                    s.name, s.model
                ))
                .caused_by(if s.model == "h2" {
                    "the h2 model has no TCP endpoints: its frames run on a lossless channel; \
                     `synack check` and `synack explore` show its streams"
                } else {
                    "its TCP connections live inside its HTTP actors; `synack check` and \
                     `synack explore` show them"
                }));
            }
            limits::catch_signals();
            let b = crate::check::transitions::Bounds {
                max_states: bounds.max_states(),
                max_memory: Some(bounds.max_memory()),
                timeout: bounds.timeout(),
            };
            let t = crate::check::transitions::bounded(&s, &b);
            let code = or_signalled(if t.complete { 0 } else { 3 });
            if let Some(why) = &t.stopped {
                note(&format!(
                    "{}: INCOMPLETE, stopped: {why}; transitions seen so far:",
                    s.name
                ));
            }
            emit(&crate::check::transitions::render(&t.transitions, format)).map_err(|e| {
                if e.quiet {
                    Error::closed(code)
                } else {
                    e
                }
            })?;
            Ok(code)
        }
        Command::Replay {
            scenario,
            trace,
            pcap,
            max_steps,
            max_states,
        } => {
            let s = resolve(&dir, &scenario)?;
            let src = match (&trace, &pcap) {
                (_, Some(p)) => crate::replay::Source::Pcap(p),
                (Some(t), None) => crate::replay::Source::Text(t),
                (None, None) => unreachable!("clap requires one"),
            };
            let b = crate::replay::Bounds {
                max_steps,
                max_states: max_states.min(usize::MAX as u64) as usize,
            };
            let (code, text) = crate::replay::run(&s, src, b)?;
            emit(&text).map_err(|e| if e.quiet { Error::closed(code) } else { e })?;
            Ok(code)
        }
        Command::Explore { scenario, addr } => {
            let s = resolve(&dir, &scenario)?;
            crate::explore::serve(&s, &addr)
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "synack", &mut buf);
            emit(&String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Man { out_dir } => {
            if let Some(d) = out_dir {
                std::fs::create_dir_all(&d)
                    .and_then(|()| clap_mangen::generate_to(Cli::command(), &d))
                    .map_err(|e| {
                        Error::input(format!("cannot write the man pages to {}", d.display()))
                            .caused_by(e.to_string())
                    })?;
                return Ok(0);
            }
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buf)
                .map_err(|e| Error::input("cannot render the man page").caused_by(e.to_string()))?;
            emit(&String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
    }
}

/// A line on standard error; a failure to write it is not worth failing for.
pub fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The vacuity warnings of `reports` on stderr, after their reports were written.
fn warn(reports: &[Report]) {
    let text: String = reports.iter().map(check::vacuity::lines).collect();
    // Nowhere to report a failure to warn.
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// A quiet [`Error::closed`] carries the exit code of the runs done so far.
fn closed_with(e: Error, reports: &[Report]) -> Error {
    if e.quiet {
        Error::closed(exit_code(reports))
    } else {
        e
    }
}

/// Reports as `--json` prints them: one object, or an array for none or several.
fn json_reports(reports: &[Report]) -> String {
    let out = if reports.len() == 1 {
        serde_json::to_string_pretty(&reports[0])
    } else {
        serde_json::to_string_pretty(&reports)
    };
    out.unwrap_or_default() + "\n"
}

/// The timelines of a sample's counterexamples (violated always-properties).
fn counterexamples(r: &Report) -> String {
    let mut o = String::new();
    for p in &r.properties {
        if let (Some(steps), true) = (&p.trace, p.kind == "always") {
            let title = format!(
                "{} / {}: {} in run {} (expected {})",
                r.scenario,
                p.name,
                p.verdict,
                p.first_run.unwrap_or_default(),
                p.expected
            );
            o.push('\n');
            o.push_str(&timeline(&title, steps, p.loop_start));
        }
    }
    o
}

/// A property name as a file name: `no-old-segment-accepted`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// `simulate --traces DIR`: every finding's path as text, JSON and (tcp) a replay trace.
fn write_traces(dir: &Path, arg: &str, o: &crate::simulate::Outcome) -> Result<(), Error> {
    let r = &o.report;
    let write = |name: String, text: &str| -> Result<PathBuf, Error> {
        let f = dir.join(name);
        std::fs::write(&f, text).map_err(|e| {
            Error::input(format!("cannot write {}", f.display())).caused_by(e.to_string())
        })?;
        Ok(f)
    };
    for (p, rp) in r.properties.iter().zip(&o.replay) {
        let Some(steps) = &p.trace else { continue };
        let base = format!("{}.{}", r.scenario, slug(&p.name));
        let run = p.first_run.unwrap_or_default();
        let title = format!(
            "{} / {}: {} in run {} (expected {})",
            r.scenario, p.name, p.verdict, run, p.expected
        );
        write(
            format!("{base}.txt"),
            &timeline(&title, steps, p.loop_start),
        )?;
        let seed = r.simulation.as_ref().map_or(0, |s| s.seed);
        let v = serde_json::json!({
            "scenario": r.scenario, "property": p.name, "verdict": p.verdict,
            "loop_start": p.loop_start, "trace": steps, "seed": seed, "first_run": run,
            "explorer": p.explorer,
        });
        write(
            format!("{base}.json"),
            &(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"),
        )?;
        if let Some((body, max_steps)) = rp {
            let f = dir.join(format!("{base}.trace"));
            let cmd = format!(
                "synack replay {arg} {} --max-steps {max_steps}",
                f.display()
            );
            write(format!("{base}.trace"), &format!("# replay: {cmd}\n{body}"))?;
            note(&format!("wrote {}; replay: {cmd}", f.display()));
        } else {
            note(&format!(
                "wrote {}",
                dir.join(format!("{base}.txt")).display()
            ));
        }
    }
    Ok(())
}

/// 3 if some run was incomplete (a sample: stopped before it walked all its runs),
/// else 1 if some verdict differs (a sample: a finding contradicts the expected
/// verdict), else 0.
pub fn exit_code(reports: &[Report]) -> i32 {
    let partial = |r: &Report| {
        if r.simulation.is_some() {
            r.stopped.is_some()
        } else {
            !r.complete
        }
    };
    if reports.iter().any(partial) {
        3
    } else if reports.iter().any(|r| !r.as_expected) {
        1
    } else {
        0
    }
}
