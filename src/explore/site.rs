//! stateright's Explorer, served in-process: its pages from memory, and its three JSON
//! endpoints (`/.status`, `/.states/…`, `/.runtocompletion`) answered here, with the
//! same JSON as stateright 0.31's own server. There is no second server that another
//! local user could reach, and nothing is read from `./ui`. Run-to-completion runs
//! synack's engine, bounded by the same memory limit as `synack check`.

use crate::check::engine::{self, Options, Prop};
use crate::check::limits::{self, Watch};
use crate::report::{Envelope, Lifeline, TimerName};
use crate::wire::svg::{action_name_at, drawable, sequence_svg, Explorable};
use crate::wire::{ActionOf, StateOf, Wire, WireActor};
use serde_json::{json, Value};
use stateright::Model;
use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A replayed path: `(action that led here, state)`, the first without an action.
type Steps<A> = Vec<(Option<ActionOf<A>>, StateOf<A>)>;

/// An answer: status code, reason, content type, body.
pub type Answer = (u16, &'static str, &'static str, Vec<u8>);

/// The Explorer of one model.
pub trait Site: Send + Sync {
    /// Answers a request the front has accepted.
    fn answer(self: Arc<Self>, method: &str, target: &str) -> Answer;
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// stateright's UI, as its own server would serve it (see `stateright-ui/README.md`).
fn page(target: &str) -> Option<(&'static str, &'static [u8])> {
    Some(match target {
        "/" => (HTML, include_bytes!("stateright-ui/index.htm")),
        "/app.css" => ("text/css", include_bytes!("stateright-ui/app.css")),
        "/app.js" => (
            "application/javascript",
            include_bytes!("stateright-ui/app.js"),
        ),
        "/knockout-3.5.0.js" => (
            "application/javascript",
            include_bytes!("stateright-ui/knockout-3.5.0.js"),
        ),
        _ => return None,
    })
}

/// What run-to-completion found so far.
#[derive(Default)]
struct Run {
    done: bool,
    states: u64,
    unique_states: u64,
    max_depth: u32,
    /// Property name → the encoded path of its example or counterexample.
    discoveries: HashMap<String, String>,
}

/// The Explorer of a model on the timed wire.
pub struct WireSite<A: WireActor> {
    model: Explorable<A>,
    /// The engine's version of each property the model shows, where it has one.
    props: Vec<Prop<Wire<A>>>,
    max_memory: Option<u64>,
    started: AtomicBool,
    run: Mutex<Run>,
}

impl<A: WireActor> WireSite<A> {
    pub fn new(model: Wire<A>, prop: fn(&str) -> Option<Prop<Wire<A>>>) -> Self {
        let props = model
            .properties
            .iter()
            .filter_map(|p| prop(p.name))
            .collect();
        WireSite {
            model: Explorable(model),
            props,
            max_memory: Some(limits::default_max_memory()),
            started: AtomicBool::new(false),
            run: Mutex::new(Run::default()),
        }
    }
}

impl<A> WireSite<A>
where
    A: crate::check::coverage::ActionKinds + Sync + Send + 'static,
    A::State: Clone + Hash + Send + Sync + Lifeline + Debug,
    A::Msg: Clone + Hash + Send + Sync + Envelope + Debug,
    A::Timer: Clone + Hash + Send + Sync + Debug + TimerName,
    A::Random: Clone + Hash + Send + Sync + Debug,
{
    fn run(&self) -> std::sync::MutexGuard<'_, Run> {
        self.run.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `[expectation, name, discovery path or null]` for every property shown.
    fn properties(&self) -> Value {
        let run = self.run();
        Value::Array(
            self.model
                .properties()
                .iter()
                .map(|p| json!([p.expectation, p.name, run.discoveries.get(p.name)]))
                .collect(),
        )
    }

    fn status(&self) -> Value {
        let properties = self.properties();
        let run = self.run();
        json!({
            "done": run.done,
            "model": std::any::type_name::<Explorable<A>>(),
            "state_count": run.states,
            "unique_state_count": run.unique_states,
            "max_depth": run.max_depth,
            "properties": properties,
            "recent_path": Value::Null,
        })
    }

    /// Explores the whole model once, on synack's engine, within the memory bound.
    fn run_to_completion(self: Arc<Self>) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = Arc::clone(&self);
        let _ = std::thread::Builder::new()
            .name("explorer-run".into())
            .spawn(move || {
                let watch = Watch::new(me.max_memory);
                let stop = || watch.poll();
                let progress = |p: engine::Progress| {
                    let mut run = me.run();
                    run.states = p.states;
                    run.unique_states = p.unique_states;
                    run.max_depth = p.depth;
                };
                let opts = Options {
                    threads: 2,
                    progress: Some(&progress),
                    stop: Some(&stop),
                    ..Options::default()
                };
                let m = &me.model.0;
                let res = engine::run(m, &me.props, &opts);
                let mut found = HashMap::new();
                for p in &res.properties {
                    if let Some(path) = p
                        .trace
                        .as_ref()
                        .and_then(|t| crate::check::run::explorer_path(m, &t.steps))
                    {
                        found.insert(p.name.clone(), path);
                    }
                }
                let mut run = me.run();
                run.done = true;
                run.states = res.states;
                run.unique_states = res.unique_states;
                run.max_depth = res.max_depth;
                run.discoveries = found;
                if let Some(why) = watch.why() {
                    crate::cli::note(&format!(
                        "warning: the Explorer's run to completion stopped: {}",
                        why.describe()
                    ));
                }
            });
    }

    /// The state after the action indices `indices` (the first picks the initial
    /// state), taking an ignored action as a step that keeps the state, as stateright
    /// does; `None` when an index is out of range.
    fn replay(&self, indices: &[usize]) -> Option<Steps<A>> {
        let (first, rest) = indices.split_first()?;
        let mut steps = vec![(None, self.model.init_states().get(*first)?.clone())];
        let mut actions = Vec::new();
        for &i in rest {
            let last = &steps[steps.len() - 1].1;
            actions.clear();
            self.model.actions(last, &mut actions);
            let a = actions.get(i)?.clone();
            let next = self
                .model
                .next_state(last, a.clone())
                .unwrap_or_else(|| last.clone());
            steps.push((Some(a), next));
        }
        Some(steps)
    }

    /// The sequence diagram of a replayed path, without the actions the model ignores.
    fn svg(&self, steps: &[(Option<ActionOf<A>>, StateOf<A>)]) -> String {
        sequence_svg(&self.model.0, &drawable(&self.model.0, steps.to_vec()))
    }

    fn view(
        &self,
        action: Option<String>,
        outcome: Option<String>,
        state: Option<&StateOf<A>>,
        svg: Option<String>,
        index: usize,
        properties: &Value,
    ) -> Value {
        let mut v = serde_json::Map::new();
        if let Some(a) = action {
            v.insert("action".into(), a.into());
        }
        if let Some(o) = outcome {
            v.insert("outcome".into(), o.into());
        }
        if let Some(s) = state {
            v.insert("state".into(), format!("{s:#?}").into());
            v.insert(
                "fingerprint".into(),
                crate::wire::key_of(s).to_string().into(),
            );
        }
        if properties.as_array().is_some_and(|p| !p.is_empty()) {
            v.insert("properties".into(), properties.clone());
        }
        if let Some(svg) = svg {
            v.insert("svg".into(), svg.into());
        }
        v.insert("actionIndex".into(), index.into());
        Value::Object(v)
    }

    /// `/.states/i/j/…`: the successors of the state the path leads to (the initial
    /// states for an empty path), as stateright's Explorer lists them.
    fn states(&self, path: &str) -> Result<Value, String> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let indices: Vec<usize> = path
            .split('/')
            .filter_map(|i| i.parse::<usize>().ok())
            .collect();
        if indices.len() + 1 != path.split('/').count() {
            return Err(format!("Unable to parse action indices {path}"));
        }
        let properties = self.properties();
        let mut out = Vec::new();
        if indices.is_empty() {
            for (i, s) in self.model.init_states().iter().enumerate() {
                let svg = self.replay(&[i]).map(|steps| self.svg(&steps));
                out.push(self.view(None, None, Some(s), svg, i, &properties));
            }
            return Ok(Value::Array(out));
        }
        let Some(steps) = self.replay(&indices) else {
            return Err(format!(
                "Unable to find state following action indices {path}"
            ));
        };
        let last = &steps[steps.len() - 1].1;
        let mut actions = Vec::new();
        self.model.actions(last, &mut actions);
        for (i, a) in actions.into_iter().enumerate() {
            let name = Some(action_name_at(&self.model.0, last, &a));
            let outcome = self.model.format_step(last, a.clone());
            match self.model.next_state(last, a.clone()) {
                Some(next) => {
                    let mut longer = steps.clone();
                    longer.push((Some(a), next));
                    let svg = Some(self.svg(&longer));
                    let next = &longer[longer.len() - 1].1;
                    out.push(self.view(name, outcome, Some(next), svg, i, &properties));
                }
                // An ignored action is listed too, as stateright does.
                None => out.push(self.view(name, None, None, None, i, &properties)),
            }
        }
        Ok(Value::Array(out))
    }
}

impl<A> Site for WireSite<A>
where
    A: crate::check::coverage::ActionKinds + Sync + Send + 'static,
    A::State: Clone + Hash + Send + Sync + Lifeline + Debug,
    A::Msg: Clone + Hash + Send + Sync + Envelope + Debug,
    A::Timer: Clone + Hash + Send + Sync + Debug + TimerName,
    A::Random: Clone + Hash + Send + Sync + Debug,
{
    fn answer(self: Arc<Self>, method: &str, target: &str) -> Answer {
        let json_of = |v: Value| serde_json::to_vec(&v).unwrap_or_default();
        match (method, target) {
            ("GET", "/.status") => (200, "OK", JSON, json_of(self.status())),
            ("POST", "/.runtocompletion") => {
                self.run_to_completion();
                (200, "OK", JSON, Vec::new())
            }
            ("GET", t) => {
                if let Some(path) = t.strip_prefix("/.states") {
                    return match self.states(path) {
                        Ok(v) => (200, "OK", JSON, json_of(v)),
                        Err(e) => (404, "Not Found", "text/plain", e.into_bytes()),
                    };
                }
                match page(t) {
                    Some((kind, body)) => (200, "OK", kind, body.to_vec()),
                    None => (404, "Not Found", "text/plain", Vec::new()),
                }
            }
            _ => (404, "Not Found", "text/plain", Vec::new()),
        }
    }
}
