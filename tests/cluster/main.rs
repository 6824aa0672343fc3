//! klue against a real kube-apiserver: output parity with kubectl on the seeded cluster, and
//! the errors users meet (Forbidden, NotFound, server gone, bad kubeconfig, unknown context).

#[path = "../support/mod.rs"]
mod support;

mod errors;
mod parity;
mod run;
