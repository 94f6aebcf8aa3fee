//! The real fixtures (tests/fixtures/events, published CloudTrail events; attribution in
//! SOURCES.md), loaded the same way by every native test that runs on them.
#![allow(dead_code)] // each test file uses what it needs

use serde_json::Value;
use std::fs;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events")
}

/// One fixture by name (the file name without `.json`).
pub fn fixture(name: &str) -> Value {
    let path = dir().join(format!("{name}.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every fixture, by name in name order; there are at least the 24 shared ones.
pub fn fixtures() -> Vec<(String, Value)> {
    let mut names: Vec<String> = fs::read_dir(dir())
        .expect("fixtures dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.file_stem().expect("file name").to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 24, "the shared fixtures are all here");
    names.into_iter().map(|n| (n.clone(), fixture(&n))).collect()
}
