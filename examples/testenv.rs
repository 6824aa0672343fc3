//! Brings klue's test control plane up by hand, for demos and benchmarks:
//!
//! ```sh
//! KUBEBUILDER_ASSETS=$(scripts/provision-testenv.sh) cargo run --example testenv -- [--empty] [--pods N]
//! ```
//!
//! Starts etcd + kube-apiserver + the kubelet log stub, seeds the standard fixture (unless
//! `--empty`), optionally adds N running pods in namespace `bulk`, prints the kubeconfig paths
//! and stays up until interrupted (Ctrl-C); everything stops with it.

#[path = "../tests/support/mod.rs"]
mod support;

use support::User;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let empty = args.iter().any(|a| a == "--empty");
    let pods: usize = match args.iter().position(|a| a == "--pods") {
        Some(i) => args
            .get(i + 1)
            .ok_or_else(|| anyhow::anyhow!("--pods needs a number"))?
            .parse()?,
        None => 0,
    };
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--empty" => {}
            "--pods" => {
                rest.next();
            }
            other => anyhow::bail!("unknown argument {other}; usage: testenv [--empty] [--pods N]"),
        }
    }
    if support::assets::find()
        .map_err(anyhow::Error::msg)?
        .is_none()
    {
        anyhow::bail!("{}", support::assets::SKIP_MESSAGE);
    }
    let started = std::time::Instant::now();
    let env = support::TestEnv::start().map_err(anyhow::Error::msg)?;
    eprintln!("control plane up in {:.1?}", started.elapsed());
    if !empty {
        support::seed_standard(&env).map_err(anyhow::Error::msg)?;
        eprintln!("seeded the standard fixture");
    }
    if pods > 0 {
        let t = std::time::Instant::now();
        let admin = env.kubeconfigs.admin.clone();
        support::run_isolated(async move {
            let client = support::seed::client_for(&admin).await?;
            support::seed::create_pods(&client, "bulk", "bulk", pods, &["node-1", "node-2"], 64)
                .await
        })
        .map_err(anyhow::Error::msg)?;
        eprintln!(
            "created {pods} pods in namespace bulk in {:.1?}",
            t.elapsed()
        );
    }
    println!("server:      {}", env.server);
    println!(
        "kubeconfig:  {}   (contexts testenv-admin, testenv-viewer [current], testenv-limited)",
        env.kubeconfigs.all.display()
    );
    for user in User::ALL {
        println!(
            "  {:<12} {}",
            user.username(),
            env.kubeconfig(user).display()
        );
    }
    println!("audit log:   {}", env.audit_log.display());
    println!("kubelet log stub port: {}", support::kubelet().port());
    println!(
        "try: kubectl --kubeconfig {} get pods -A",
        env.kubeconfigs.all.display()
    );
    println!("up; press Ctrl-C to stop");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(tokio::signal::ctrl_c())?;
    drop(env);
    Ok(())
}
