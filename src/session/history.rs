//! Queries already run in this session, for answering identical proposals from their result.

use crate::protocol::ProposalId;
use crate::query::Query;

/// One successful execution that later proposals may reuse.
#[derive(Debug, Clone)]
pub struct Ran {
    pub id: ProposalId,
    /// The canonical form ([`Query::canonical`]).
    pub canonical: String,
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
            canonical: query.canonical(),
            condensed,
        });
    }

    /// The earliest execution of a query with the same canonical form (flag order, short or
    /// long flags, resource aliases, the `kubectl` prefix and spacing do not matter).
    pub fn find(&self, query: &Query) -> Option<&Ran> {
        let canonical = query.canonical();
        self.ran.iter().find(|r| r.canonical == canonical)
    }
}
