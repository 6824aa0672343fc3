//! The session loop: the headless core that drives an investigation.
