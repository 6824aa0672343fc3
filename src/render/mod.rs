//! Rendering of API data as kubectl prints it: tables, YAML/JSON, jsonpath, custom columns,
//! ages, and the output cap.

pub mod age;
pub mod cap;
pub mod custom_columns;
pub mod describe;
pub mod json;
pub mod jsonpath;
pub mod sanitize;
pub mod table;
pub mod yaml;
