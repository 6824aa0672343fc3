use super::*;

fn pods_table(running: usize) -> String {
    let mut t = String::from(
        "NAMESPACE   NAME                          READY   STATUS             RESTARTS      AGE\n",
    );
    for i in 0..running {
        t.push_str(&format!(
            "shop        web-7d4b9c8f6-{i:05}           1/1     Running            0             3d\n"
        ));
        if i == running / 2 {
            t.push_str("shop        checkout-5f6d7c8b9-abcde      0/1     CrashLoopBackOff   7 (2m ago)    14m\n");
            t.push_str("shop        cart-6b7c8d9e0-fghij          0/1     Pending            0             14m\n");
            t.push_str("shop        api-1a2b3c4d5-klmno           1/1     Running            3 (1h ago)    2d\n");
            t.push_str("shop        worker-9z8y7x6w5-pqrst        0/2     Running            0             5m\n");
        }
    }
    t.push_str(
        "shop        migrate-28391-xyz12           0/1     Completed          0             1d\n",
    );
    t
}

#[test]
fn tables_keep_header_and_abnormal_rows_and_summarise_the_rest() {
    let raw = pods_table(212);
    let out = condense_as(Kind::Table, &raw, &Limits::default());
    assert!(out.starts_with("NAMESPACE   NAME"), "{out}");
    for must in [
        "checkout-5f6d7c8b9-abcde",
        "CrashLoopBackOff",
        "cart-6b7c8d9e0-fghij",
        "Pending",
        "api-1a2b3c4d5-klmno",
        "worker-9z8y7x6w5-pqrst",
    ] {
        assert!(out.contains(must), "{must} missing:\n{out}");
    }
    // Abnormal rows come before the healthy examples.
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[1].contains("checkout"), "{out}");
    assert!(
        out.contains("more rows, all healthy (") && out.contains("Running"),
        "{out}"
    );
    assert!(!out.contains("web-7d4b9c8f6-00100"), "{out}");
    let (raw_t, out_t) = (tokens::count(&raw), tokens::count(&out));
    assert!(out_t * 10 < raw_t, "{out_t} vs {raw_t}");
}

#[test]
fn small_tables_are_kept_whole() {
    let raw = pods_table(4);
    assert_eq!(condense_as(Kind::Table, &raw, &Limits::default()), raw);
}

#[test]
fn warning_events_are_kept_normal_ones_summarised() {
    let mut raw =
        String::from("LAST SEEN   TYPE      REASON              OBJECT                 MESSAGE\n");
    for i in 0..40 {
        raw.push_str(&format!("{:<12}Normal    Pulled              {:<23}Container image \"web:1.2\" already present on machine\n", format!("{i}m"), format!("pod/web-{i}")));
    }
    raw.push_str("2m          Warning   BackOff             pod/checkout-abc       Back-off restarting failed container\n");
    raw.push_str("1m          Warning   FailedScheduling    pod/cart-def           0/3 nodes are available: 3 Insufficient memory.\n");
    let out = condense_as(Kind::Table, &raw, &Limits::default());
    assert!(
        out.contains("Back-off restarting failed container"),
        "{out}"
    );
    assert!(out.contains("3 Insufficient memory"), "{out}");
    assert!(out.contains("37 Normal"), "{out}");
}

#[test]
fn logs_keep_errors_and_tail_with_repeats_counted() {
    let mut raw = String::new();
    for i in 0..500 {
        raw.push_str(&format!(
            "2024-05-01T10:{:02}:{:02}Z INFO GET /{} 200 {}ms\n",
            i / 60 % 60,
            i % 60,
            if i % 2 == 0 { "healthz" } else { "ready" },
            i % 7
        ));
        if i % 50 == 0 {
            raw.push_str(&format!("2024-05-01T10:{:02}:{:02}Z ERROR dial tcp 10.0.0.{}:5432: connect: connection refused\n", i / 60 % 60, i % 60, i % 3));
        }
    }
    raw.push_str("2024-05-01T11:00:00Z FATAL could not connect to database after 10 attempts\n");
    let out = condense_as(Kind::Logs, &raw, &Limits::default());
    assert!(out.contains("connection refused  [× 10]"), "{out}");
    assert!(out.contains("FATAL could not connect to database"), "{out}");
    assert!(
        out.contains("--- last 30 lines ---") || out.lines().count() < 60,
        "{out}"
    );
    assert!(tokens::count(&out) * 5 < tokens::count(&raw));
}

#[test]
fn short_logs_are_kept_with_runs_collapsed() {
    let raw = "starting\nretrying\nretrying\nretrying\nready\n";
    let out = condense_as(Kind::Logs, raw, &Limits::default());
    assert!(
        out.contains("retrying  [× 3]") && out.contains("starting") && out.contains("ready"),
        "{out}"
    );
}

#[test]
fn outputs_are_capped_with_a_marker() {
    let raw: String = (0..3000)
        .map(|i| format!("line {i} of a long plain output\n"))
        .collect();
    let limits = Limits { per_output: 200 };
    let out = condense_as(Kind::Plain, &raw, &limits);
    assert!(tokens::count(&out) <= 200, "{}", tokens::count(&out));
    assert!(out.contains("more lines cut to fit 200 tokens"), "{out}");
    // A huge table of abnormal rows is cut down too.
    let mut t = String::from("NAME      READY   STATUS    RESTARTS   AGE\n");
    for i in 0..2000 {
        t.push_str(&format!("p-{i:05}   0/1     Pending   0          1m\n"));
    }
    let out = condense_as(Kind::Table, &t, &limits);
    assert!(tokens::count(&out) <= 200, "{out}");
    assert!(out.contains("Pending"), "{out}");
}

#[test]
fn a_long_list_of_namespaces_keeps_every_name() {
    let mut raw = String::from("NAME                STATUS   AGE\n");
    for i in 0..60 {
        raw.push_str(&format!("team-{i:03}-apps        Active   30d\n"));
    }
    let out = condense_as(Kind::Table, &raw, &Limits::default());
    assert!(out.contains("more rows, all healthy (57 Active)"), "{out}");
    for i in 0..60 {
        assert!(
            out.contains(&format!("team-{i:03}-apps")),
            "team-{i:03} lost:\n{out}"
        );
    }
}

#[test]
fn healthy_pods_across_hundreds_of_namespaces_keep_where_they_run() {
    let mut raw =
        String::from("NAMESPACE     NAME                     READY   STATUS    RESTARTS   AGE\n");
    for i in 0..320 {
        raw.push_str(&format!(
            "ns-{i:03}        web-7d4b9c8f6-{i:05}     1/1     Running   0          3d\n"
        ));
        if i % 3 == 0 {
            raw.push_str(&format!(
                "ns-{i:03}        api-6c5b4a3f2-{i:05}     1/1     Running   0          3d\n"
            ));
        }
    }
    let out = condense_as(Kind::Table, &raw, &Limits::default());
    assert!(out.contains("ns-319"), "the last namespace is lost:\n{out}");
    assert!(out.contains("ns-300 (2)"), "{out}");
    assert!(!out.contains("web-7d4b9c8f6-00200"), "{out}");
    // Pod names are not listed: a namespace is a few tokens, a pod list is not.
    assert!(tokens::count(&out) * 4 < tokens::count(&raw), "{out}");
}

#[test]
fn a_table_too_big_for_its_cap_names_each_namespace_once() {
    let row = |ns: &str, name: &str, ready: &str, status: &str, restarts: &str| {
        format!("{ns:<27}{name:<30}{ready:<8}{status:<19}{restarts:<11}3d\n")
    };
    let mut raw = row("NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS").replace("3d", "AGE");
    for i in 0..180 {
        let ns = format!("team-{i:03}-orders");
        raw.push_str(&row(
            &ns,
            &format!("api-7d4b9c8f6-{i:05}"),
            "0/1",
            "CrashLoopBackOff",
            "12",
        ));
        raw.push_str(&row(&ns, "db-0", "1/1", "Running", "0"));
    }
    raw.push_str(&row(
        "shared-temporal",
        "frontend-5c6d7e8f9-abcde",
        "1/1",
        "Running",
        "0",
    ));
    let limits = Limits::default();
    let out = condense_as(Kind::Table, &raw, &limits);
    assert!(tokens::count(&out) <= limits.per_output, "{out}");
    assert!(
        !out.contains("cut to fit"),
        "a hard cut lost the summary:\n{out}"
    );
    assert!(out.contains("shared-temporal"), "{out}");
    assert!(out.contains("team-179-orders"), "{out}");
    assert_eq!(out.matches("team-100-orders").count(), 1, "{out}");
}
