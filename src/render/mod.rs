//! Rendering of API data as kubectl prints it: tables, YAML/JSON, jsonpath, custom columns,
//! ages, and the output cap.

pub mod cap;
pub mod describe;
