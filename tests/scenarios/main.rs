//! Scenario tests: every failure fixture loaded into the real apiserver is found by `scan`,
//! diagnosed by the offline planner through the approval loop, and gives the same answers
//! through a snapshot; healthy fixtures produce no findings.

#[path = "../support/mod.rs"]
mod support;

mod bench;
mod demo;
mod fixtures;
mod planner;
mod scan;
mod snapshot;
