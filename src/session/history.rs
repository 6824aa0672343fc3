//! Queries already run in this session, for answering identical proposals from their result.

use crate::protocol::ProposalId;
use crate::query::Query;

/// One successful execution that later proposals may reuse.
#[derive(Debug, Clone)]
pub struct Ran {
    pub id: ProposalId,
    pub query: Query,
    pub condensed: String,
}

/// Successful executions in order. Failed ones are not kept: the failure may be transient
/// (a timeout, a connection refused), so the same query may be worth running again.
#[derive(Debug, Default)]
pub struct History {
    ran: Vec<Ran>,
}

impl History {
    pub fn record(&mut self, id: ProposalId, query: Query, condensed: String) {
        self.ran.push(Ran {
            id,
            query,
            condensed,
        });
    }

    /// The earliest execution of a query equal to `query` (same parsed form: flag order,
    /// spelling of flags, `kubectl` prefix and spacing do not matter).
    pub fn find(&self, query: &Query) -> Option<&Ran> {
        self.ran.iter().find(|r| r.query == *query)
    }
}
