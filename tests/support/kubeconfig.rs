//! kubeconfig files for the test users.

use std::path::{Path, PathBuf};

/// One user of the test control plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum User {
    /// `admin`, group `system:masters`: seeds the cluster.
    Admin,
    /// `klue-viewer`: the built-in `view` ClusterRole plus read on cluster-scoped kinds
    /// (nodes, events, PVs, storage classes, CRDs), Secrets and the fixture's CRD groups.
    /// What klue runs as in tests.
    Viewer,
    /// `limited`: no role bindings at all (Forbidden tests).
    Limited,
}

impl User {
    pub const ALL: [User; 3] = [User::Admin, User::Viewer, User::Limited];

    /// The user name the apiserver sees (and writes into the audit log).
    pub fn username(self) -> &'static str {
        match self {
            User::Admin => "admin",
            User::Viewer => "klue-viewer",
            User::Limited => "limited",
        }
    }

    /// The context name for this user in the combined kubeconfig.
    pub fn context(self) -> &'static str {
        match self {
            User::Admin => "testenv-admin",
            User::Viewer => "testenv-viewer",
            User::Limited => "testenv-limited",
        }
    }

    pub(crate) fn groups(self) -> &'static str {
        match self {
            User::Admin => "system:masters",
            User::Viewer => "klue:viewers",
            User::Limited => "",
        }
    }
}

/// Paths of the kubeconfig files written for a control plane.
#[derive(Debug, Clone)]
pub struct Kubeconfigs {
    pub admin: PathBuf,
    pub viewer: PathBuf,
    pub limited: PathBuf,
    /// All three contexts in one file (current context: `testenv-viewer`).
    pub all: PathBuf,
}

impl Kubeconfigs {
    pub fn for_user(&self, user: User) -> &Path {
        match user {
            User::Admin => &self.admin,
            User::Viewer => &self.viewer,
            User::Limited => &self.limited,
        }
    }
}

/// Writes one file per user and the combined one into `dir`.
pub fn write_all(
    dir: &Path,
    server: &str,
    ca_path: &Path,
    token: impl Fn(User) -> String,
) -> std::io::Result<Kubeconfigs> {
    let one = |user: User, file: &str| -> std::io::Result<PathBuf> {
        let path = dir.join(file);
        std::fs::write(&path, render(server, ca_path, &[(user, token(user))], user))?;
        Ok(path)
    };
    let all = dir.join("kubeconfig");
    let entries: Vec<(User, String)> = User::ALL.iter().map(|u| (*u, token(*u))).collect();
    std::fs::write(&all, render(server, ca_path, &entries, User::Viewer))?;
    Ok(Kubeconfigs {
        admin: one(User::Admin, "kubeconfig-admin")?,
        viewer: one(User::Viewer, "kubeconfig-viewer")?,
        limited: one(User::Limited, "kubeconfig-limited")?,
        all,
    })
}

fn render(server: &str, ca_path: &Path, users: &[(User, String)], current: User) -> String {
    let mut out = String::new();
    out.push_str("apiVersion: v1\nkind: Config\nclusters:\n");
    out.push_str(&format!(
        "- name: testenv\n  cluster:\n    server: {server}\n    certificate-authority: {}\n",
        ca_path.display()
    ));
    out.push_str("contexts:\n");
    for (user, _) in users {
        out.push_str(&format!(
            "- name: {}\n  context:\n    cluster: testenv\n    user: {}\n    namespace: default\n",
            user.context(),
            user.username()
        ));
    }
    out.push_str(&format!("current-context: {}\nusers:\n", current.context()));
    for (user, token) in users {
        out.push_str(&format!(
            "- name: {}\n  user:\n    token: {token}\n",
            user.username()
        ));
    }
    out.push_str("preferences: {}\n");
    out
}
