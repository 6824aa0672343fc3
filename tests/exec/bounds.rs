//! Every renderer stops at the output cap while it renders, and reading stops with it:
//! ConfigMaps near the apiserver's own size limit, many of them, in a real apiserver.

use klue::exec::ExecError;

use super::{executor, ok, run, support};
use support::User;

const STOPPED: &str = "… output truncated: rendering stopped at the output cap (262,144 bytes, 2,000 lines); narrow the template or the query\n";

#[tokio::test]
async fn huge_objects_and_lists_stop_at_the_output_cap() {
    let env = support::seeded_testenv!();
    // 56 objects of ~1 MB: one page of 500 would be ~56 MB, past the bound on a response
    support::seed_huge(env, "huge", 56, 1_000_000)
        .await
        .unwrap();
    let ex = executor(env, User::Viewer).await;
    for line in [
        "get cm -n huge -o yaml",
        "get cm -n huge -o json",
        "get cm big-7 -n huge -o yaml",
        "get cm big-7 -n huge -o json",
        "get cm big-7 big-8 -n huge -o yaml",
        "get cm big-1 big-2 -n huge -o jsonpath={.items[*].data}",
        "get cm big-1 big-2 -n huge -o custom-columns=DATA:.data",
    ] {
        let out = ok(&ex, line).await;
        assert!(out.truncated, "{line}");
        assert!(out.text.ends_with(STOPPED), "{line}: …{}", tail(&out.text));
        assert!(
            out.text.len() <= 256 * 1024 + 1 + STOPPED.len(),
            "{line}: {}",
            out.text.len()
        );
        assert!(out.text.lines().count() <= 2001, "{line}");
    }
    // a list in YAML stops reading once its output is full: few objects were read
    let out = ok(&ex, "get cm -n huge -o yaml").await;
    assert!(out.objects.len() < 56, "{}", out.objects.len());
    assert!(
        out.text.starts_with(
            "apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n    app.properties: |\n"
        ),
        "{}",
        &out.text[..200]
    );
    // the table is small and complete
    let table = ok(&ex, "get cm -n huge").await;
    assert!(!table.truncated);
    assert_eq!(table.text.lines().count(), 57, "{}", table.text);
    // a sort or a template over the list needs every object: past the read bound it is a
    // clear output-cap error
    for line in [
        "get cm -n huge --sort-by=.metadata.name -o yaml",
        "get cm -n huge -o jsonpath={.items[*].data}",
        "get cm -n huge -o custom-columns=DATA:.data",
    ] {
        match run(&ex, line).await {
            Err(e @ ExecError::OutputCap { .. }) => {
                let msg = e.to_string();
                assert!(msg.starts_with("error: output cap reached while rendering: listing /api/v1/namespaces/huge/configmaps passed 48 MiB (klue's read bound for one listing)"), "{msg}");
            }
            other => panic!("{line}: expected an output-cap error, got {other:?}"),
        }
    }
}

fn tail(text: &str) -> &str {
    let mut at = text.len().saturating_sub(300);
    while !text.is_char_boundary(at) {
        at += 1;
    }
    &text[at..]
}
