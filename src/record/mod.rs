//! Session recording (JSONL), reading, replay support and export.
