//! Printing results for people (text) or programs (JSON).

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// One result: the JSON form always, and the lines a person reads.
pub struct Report {
    pub json: Value,
    pub text: Vec<String>,
}

impl Report {
    pub fn new(json: Value, text: impl IntoIterator<Item = String>) -> Self {
        Report { json, text: text.into_iter().collect() }
    }

    pub fn print(&self, format: Format) {
        match format {
            Format::Json => {
                println!("{}", serde_json::to_string_pretty(&self.json).expect("serializable"))
            }
            Format::Text => self.text.iter().for_each(|line| println!("{line}")),
        }
    }
}
