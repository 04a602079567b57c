//! The checker keeps its BFS frontier packed (`synack::check::engine::pack`): a
//! state must decode to an equal state, with an equal hash (so an equal
//! fingerprint) and the same clock reading. Checked on the first states of every
//! scenario in the catalogue, TCP and page load alike, together with the engine's
//! other reuse of a state's buffers: a successor written over another state
//! (`Wire::next_state_into`) is the successor `next_state` gives. The engine's
//! fingerprint (over a TCP state's encoding) is the same for equal states, whatever
//! their clock reading, and differs between the different states seen.

use stateright::Model;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use synack::check::engine::pack::{state_fingerprint, Pack, Packed};
use synack::scenario::Scenario;
use synack::wire::{Wire, WireActor};

fn hash_of<T: Hash>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// Breadth-first over the first `limit` states of `m`, round-tripping each one alone
/// and all of them through one `Packed` sequence. Returns the number of states seen.
fn round_trips<A: WireActor>(name: &str, m: &Wire<A>, limit: usize) -> usize
where
    A::State: Clone + Hash + PartialEq + std::fmt::Debug,
    A::Msg: Clone + Hash + PartialEq + std::fmt::Debug,
    A::Timer: Clone + Hash + PartialEq + std::fmt::Debug,
    A::Random: Clone + Hash + PartialEq + std::fmt::Debug,
{
    let mut seen = HashSet::new();
    // The engine's fingerprint of each state seen: a TCP state's is over its
    // encoding (`Pack::IDENTITY`), so equal states must give equal encodings, and
    // different states different ones.
    let mut by_fp: HashMap<u64, <Wire<A> as Model>::State> = HashMap::new();
    let mut scratch = Vec::new();
    let mut queue: VecDeque<_> = m.init_states().into();
    let mut all = Vec::new();
    let mut packed = Packed::default();
    let mut actions = Vec::new();
    while let Some(s) = queue.pop_front() {
        if all.len() >= limit || !seen.insert(hash_of(&s)) {
            continue;
        }
        let fp = state_fingerprint(&s, &mut scratch);
        if let Some(other) = by_fp.insert(fp, s.clone()) {
            assert_eq!(other, s, "{name}: two states share a fingerprint");
        }
        let mut later = s.clone();
        later.epoch = later.epoch.wrapping_add(1);
        assert_eq!(
            state_fingerprint(&later, &mut scratch),
            fp,
            "{name}: the clock reading changed the fingerprint"
        );
        let mut bytes = Vec::new();
        s.pack(&mut bytes);
        let back = <Wire<A> as Model>::State::unpack(&bytes);
        assert_eq!(back, s, "{name}: a state changed when packed");
        assert_eq!(
            hash_of(&back),
            hash_of(&s),
            "{name}: a packed state hashes differently"
        );
        assert_eq!(back.epoch, s.epoch, "{name}: the clock reading was lost");
        // Decoded over another state, as the engine decodes a chunk over the last.
        if let Some(prev) = all.last() {
            let mut over: <Wire<A> as Model>::State = Clone::clone(prev);
            <Wire<A> as Model>::State::unpack_into(&bytes, &mut over);
            assert_eq!(over, s, "{name}: a state decoded over another changed");
            assert_eq!(
                hash_of(&over),
                hash_of(&s),
                "{name}: ... and hashes differently"
            );
            assert_eq!(
                over.epoch, s.epoch,
                "{name}: ... and lost the clock reading"
            );
        }
        packed.push(&s);
        actions.clear();
        m.actions(&s, &mut actions);
        // The engine writes each successor over a state of its pool, which holds
        // whatever successor was written there before (or a refused step's leftovers).
        let mut slot = all.last().map_or_else(|| s.clone(), Clone::clone);
        for a in actions.drain(..) {
            let next = m.next_state(&s, a.clone());
            let stepped = m.next_state_into(&s, a, &mut slot);
            assert_eq!(
                stepped,
                next.is_some(),
                "{name}: a step written over another state"
            );
            if let Some(n) = next {
                assert_eq!(
                    slot, n,
                    "{name}: a successor written over another state changed"
                );
                assert_eq!(
                    (hash_of(&slot), slot.epoch),
                    (hash_of(&n), n.epoch),
                    "{name}: ... and hashes differently or lost the clock reading"
                );
                assert_eq!(
                    state_fingerprint(&slot, &mut scratch),
                    state_fingerprint(&n, &mut scratch),
                    "{name}: ... and has another fingerprint"
                );
                queue.push_back(n);
            }
        }
        all.push(s);
    }
    let mut back: Vec<<Wire<A> as Model>::State> = Vec::new();
    packed.unpack_range(0, packed.len(), &mut back);
    assert_eq!(back, all, "{name}: a packed sequence changed");
    let half = all.len() / 2;
    packed.clear();
    for s in &all[half..] {
        packed.push(s);
    }
    packed.unpack_range(0, packed.len(), &mut back);
    assert_eq!(
        back,
        all[half..],
        "{name}: a cleared sequence refilled changed"
    );
    all.len()
}

#[test]
fn every_scenario_s_states_survive_packing() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scenarios = Scenario::catalogue(&root.join("models")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        scenarios.len() > 40,
        "the catalogue has {} scenarios",
        scenarios.len()
    );
    for scn in &scenarios {
        let n = match scn.model.as_str() {
            "page-load" => round_trips(&scn.name, &synack::http::model::build(scn), 3_000),
            "h2" => round_trips(&scn.name, &synack::h2::model::build(scn), 3_000),
            _ => round_trips(&scn.name, &synack::tcp::model::build(scn), 3_000),
        };
        assert!(n > 100, "{}: only {n} states", scn.name);
    }
}
