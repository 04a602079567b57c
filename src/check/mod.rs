//! Scenario → checker run → report.

/// The properties a model offers: (name, kind).
pub fn property_names(model: &str) -> Vec<(String, &'static str)> {
    match model {
        "tcp" => crate::tcp::model::catalogue().into_iter().map(|(n, k)| (n.to_string(), k)).collect(),
        _ => Vec::new(),
    }
}
