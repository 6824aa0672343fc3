//! The terminal UI: a front end over the core protocol (never touches cluster or planner).
