//! Rendering of API data as kubectl prints it: tables, describe, YAML/JSON, jsonpath.
