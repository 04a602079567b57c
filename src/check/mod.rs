//! Scenario → checker run → report. The engine explores the state graph once,
//! checks safety on the fly and decides liveness on the graph afterwards.

pub mod coverage;
pub mod engine;
pub mod figure5;
pub mod limits;
pub mod many;
pub mod progress;
pub mod run;
pub mod shard;
pub mod transitions;
pub mod vacuity;

pub use run::{check, Outcome, RunOptions};

/// The properties a model offers: (name, kind).
pub fn property_names(model: &str) -> Vec<(String, &'static str)> {
    match model {
        "tcp" => crate::tcp::model::catalogue()
            .into_iter()
            .map(|(n, k)| (n.to_string(), k))
            .collect(),
        "page-load" => crate::http::model::catalogue()
            .into_iter()
            .map(|(n, k)| (n.to_string(), k))
            .collect(),
        "h2" => crate::h2::model::catalogue()
            .into_iter()
            .map(|(n, k)| (n.to_string(), k))
            .collect(),
        _ => Vec::new(),
    }
}
