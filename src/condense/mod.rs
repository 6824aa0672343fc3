//! The model's copy of an output: the facts that matter, within a token budget.
//!
//! The engineer and the recording keep the full output; the planner gets this condensed copy.

use crate::planner::{Entry, Outcome, Transcript};
use crate::tokens;

/// Token limits for what the model sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most tokens one condensed output may take.
    pub per_output: usize,
    /// Most tokens all outputs of the transcript may take together; the oldest are elided
    /// first (with a marker) when they do not fit.
    pub context: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_output: 2_000,
            context: 24_000,
        }
    }
}

/// Condense one (already redacted) output for the model.
pub fn condense(text: &str, limits: &Limits) -> String {
    let (head, cut) = tokens::truncate(text, limits.per_output);
    if cut {
        format!("{head}[… output cut to {} tokens]\n", limits.per_output)
    } else {
        head.to_string()
    }
}

/// The transcript as the planner should see it: outputs beyond the context budget are
/// replaced, oldest first, by a marker.
pub fn fit_transcript(transcript: &Transcript, limits: &Limits) -> Transcript {
    let mut view = transcript.clone();
    let mut total: usize = view
        .entries
        .iter()
        .map(|e| match e {
            Entry::Result { outcome, .. } => outcome_tokens(outcome),
            _ => 0,
        })
        .sum();
    for entry in &mut view.entries {
        if total <= limits.context {
            break;
        }
        if let Entry::Result { outcome, .. } = entry {
            let before = outcome_tokens(outcome);
            if let Outcome::Executed {
                command, condensed, ..
            }
            | Outcome::Duplicate { command, condensed } = outcome
                && before > 0
            {
                *condensed = format!(
                    "[output elided to fit the context budget; run `{command}` again if it is still needed]"
                );
                total = total - before + tokens::count(condensed);
            }
        }
    }
    view
}

fn outcome_tokens(outcome: &Outcome) -> usize {
    match outcome {
        Outcome::Executed { condensed, .. } | Outcome::Duplicate { condensed, .. } => {
            tokens::count(condensed)
        }
        _ => 0,
    }
}
