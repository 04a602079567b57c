use stateright::{Checker, Model};
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let scn = synack::scenario::Scenario::load(std::path::Path::new(&p)).unwrap_or_else(|e| panic!("{e}"));
    let m = synack::tcp::model::build(&scn);
    let t = std::time::Instant::now();
    let c = m.checker().threads(2).spawn_bfs().join();
    println!("unique {} total {} depth {} in {:?}", c.unique_state_count(), c.state_count(), c.max_depth(), t.elapsed());
    for (name, path) in c.discoveries() {
        println!("DISCOVERY {name}: {} steps", path.clone().into_actions().len());
        for a in path.into_actions() { println!("   {a:?}"); }
    }
}
