//! `kubectl describe` output, as pure functions from API objects (JSON) and the related
//! objects a describer needs (events, owned pods, endpoints, ...) to text.
//!
//! The executor (`exec::describe`) fetches what [`family`] says a kind needs and fills a
//! [`Related`]; [`describe`] picks the kind's describer, or the generic one.

pub mod account;
pub mod claim;
pub mod config;
pub mod events;
pub mod generic;
pub mod hpa;
pub mod mask;
pub mod namespace;
pub mod network;
pub mod node;
pub mod pod;
pub mod policy;
pub mod quantity;
pub mod storage;
pub mod tabwriter;
pub mod volume;
pub mod workloads;
pub mod writer;

use std::collections::BTreeMap;

use serde_json::Value;

/// Endpoints of a service in one shape, whether they came from EndpointSlices or from a
/// core/v1 Endpoints object: named ports and `(address, ready)` pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpSlice {
    pub ports: Vec<(String, i64)>,
    pub endpoints: Vec<(String, bool)>,
}

/// What a describer may use besides the object itself. `None` means "not looked up".
#[derive(Debug, Clone, Default)]
pub struct Related {
    /// `group/version` the object was read with (selects the HPA and Ingress layouts).
    pub api_version: String,
    /// Events about the object; `None` with `--show-events=false`.
    pub events: Option<Vec<Value>>,
    /// Pods: those a controller may own, those on a node, or those of a claim's namespace.
    pub pods: Option<Result<Vec<Value>, String>>,
    /// ReplicaSets of a deployment's namespace.
    pub replica_sets: Vec<Value>,
    /// A service's endpoints.
    pub endpoints: Option<Vec<EpSlice>>,
    /// An ingress's backend services by name: the Service and its endpoints, or an error.
    pub backends: BTreeMap<String, Result<(Value, Vec<EpSlice>), String>>,
    /// A node's lease (`kube-node-lease`), or why it could not be read.
    pub lease: Option<Result<Value, String>>,
    /// A namespace's ResourceQuotas and LimitRanges.
    pub quotas: Option<Vec<Value>>,
    pub limit_ranges: Option<Vec<Value>>,
    /// A service account's namespace secrets (names and annotations are all that is read).
    pub secrets: Option<Vec<Value>>,
}

/// The describer families, which tell the executor what to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    Service,
    Endpoints,
    Ingress,
    Node,
    Namespace,
    PersistentVolumeClaim,
    PersistentVolume,
    ConfigMap,
    Secret,
    HorizontalPodAutoscaler,
    ResourceQuota,
    LimitRange,
    PodDisruptionBudget,
    ServiceAccount,
    Generic,
}

/// The family of an API group and kind.
pub fn family(group: &str, kind: &str) -> Family {
    match (group, kind) {
        ("", "Pod") => Family::Pod,
        ("apps" | "extensions", "Deployment") => Family::Deployment,
        ("apps" | "extensions", "ReplicaSet") => Family::ReplicaSet,
        ("apps", "StatefulSet") => Family::StatefulSet,
        ("apps" | "extensions", "DaemonSet") => Family::DaemonSet,
        ("batch", "Job") => Family::Job,
        ("batch", "CronJob") => Family::CronJob,
        ("", "Service") => Family::Service,
        ("", "Endpoints") => Family::Endpoints,
        ("networking.k8s.io" | "extensions", "Ingress") => Family::Ingress,
        ("", "Node") => Family::Node,
        ("", "Namespace") => Family::Namespace,
        ("", "PersistentVolumeClaim") => Family::PersistentVolumeClaim,
        ("", "PersistentVolume") => Family::PersistentVolume,
        ("", "ConfigMap") => Family::ConfigMap,
        ("", "Secret") => Family::Secret,
        ("autoscaling", "HorizontalPodAutoscaler") => Family::HorizontalPodAutoscaler,
        ("", "ResourceQuota") => Family::ResourceQuota,
        ("", "LimitRange") => Family::LimitRange,
        ("policy", "PodDisruptionBudget") => Family::PodDisruptionBudget,
        ("", "ServiceAccount") => Family::ServiceAccount,
        _ => Family::Generic,
    }
}

/// Describe one object of `family`.
pub fn describe(family: Family, obj: &Value, rel: &Related) -> String {
    match family {
        Family::Pod => pod::describe_pod(obj, rel),
        Family::Deployment => workloads::describe_deployment(obj, rel),
        Family::ReplicaSet => workloads::describe_replica_set(obj, rel),
        Family::StatefulSet => workloads::describe_stateful_set(obj, rel),
        Family::DaemonSet => workloads::describe_daemon_set(obj, rel),
        Family::Job => workloads::describe_job(obj, rel),
        Family::CronJob => workloads::describe_cron_job(obj, rel),
        Family::Service => network::describe_service(obj, rel),
        Family::Endpoints => network::describe_endpoints(obj, rel),
        Family::Ingress => network::describe_ingress(obj, rel),
        Family::Node => node::describe_node(obj, rel),
        Family::Namespace => namespace::describe_namespace(obj, rel),
        Family::PersistentVolumeClaim => storage::describe_pvc(obj, rel),
        Family::PersistentVolume => storage::describe_pv(obj, rel),
        Family::ConfigMap => config::describe_config_map(obj, rel),
        Family::Secret => config::describe_secret(obj),
        Family::HorizontalPodAutoscaler => hpa::describe_hpa(obj, rel),
        Family::ResourceQuota => namespace::describe_quota(obj),
        Family::LimitRange => namespace::describe_limit_range(obj),
        Family::PodDisruptionBudget => policy::describe_pdb(obj, rel),
        Family::ServiceAccount => account::describe_service_account(obj, rel),
        Family::Generic => generic::describe_generic(obj, rel),
    }
}
