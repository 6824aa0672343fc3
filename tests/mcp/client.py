"""Drive `klue mcp` with the official Python MCP SDK (the PyPI package `mcp`).

Usage: client.py MODE KLUE [klue args...]
  MODE session  initialize, list tools, call every tool, resources, prompt; prints one JSON
                report of everything the server said (the Rust test asserts on it).
  MODE cancel   call `query` with a 1 s read timeout (the client then sends
                notifications/cancelled), then check the server still answers.
  MODE bench    N `query` calls (KLUE_MCP_BENCH_CALLS, default 50) of KLUE_MCP_BENCH_QUERY;
                prints the per-call latencies in milliseconds.
The server's environment is this process's (XDG_STATE_HOME, HOME, KLUE_LOG ...).
"""

import asyncio
import json
import os
import sys
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def dump(model):
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


async def call(session, name, arguments=None, **kw):
    try:
        result = await session.call_tool(name, arguments or {}, **kw)
        return {"ok": True, "result": dump(result)}
    except Exception as e:  # a protocol error: record it, go on
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


async def session_mode(session, ns):
    report = {}
    init = await session.initialize()
    report["initialize"] = dump(init)
    tools = await session.list_tools()
    report["tools"] = [dump(t) for t in tools.tools]
    calls = {}
    calls["query_pods"] = await call(session, "query", {"command": f"get pods -n {ns}"})
    calls["query_namespace_arg"] = await call(session, "query", {"command": "get pods", "namespace": ns})
    calls["query_write"] = await call(session, "query", {"command": f"delete pod web -n {ns}"})
    calls["query_shell"] = await call(session, "query", {"command": f"get pods -n {ns} | sh"})
    calls["query_subshell"] = await call(session, "query", {"command": "get pods $(rm -rf /)"})
    calls["query_not_found"] = await call(session, "query", {"command": f"get pod nope -n {ns}"})
    calls["query_bad_type"] = await call(session, "query", {"command": 5})
    calls["query_unknown_arg"] = await call(session, "query", {"command": "get pods", "force": True})
    for name, command in [
        ("secret_yaml", f"get secret planted-secret -n {ns} -o yaml"),
        ("secret_json", f"get secret planted-secret -n {ns} -o json"),
        ("secret_describe", f"describe secret planted-secret -n {ns}"),
        ("configmap_yaml", f"get configmap planted-config -n {ns} -o yaml"),
        ("pod_yaml", f"get pod web -n {ns} -o yaml"),
        ("pod_describe", f"describe pod web -n {ns}"),
        ("logs", f"logs web -n {ns} --previous --tail=20"),
    ]:
        calls[name] = await call(session, "query", {"command": command})
    calls["scan"] = await call(session, "scan", {"namespace": ns})
    calls["scan_all"] = await call(session, "scan", {"all_namespaces": True, "min_severity": "critical"})
    calls["scan_bad_severity"] = await call(session, "scan", {"namespace": ns, "min_severity": "fatal"})
    calls["api_resources"] = await call(session, "api_resources")
    calls["contexts"] = await call(session, "contexts")
    progress = []

    async def on_progress(done, total, message):
        progress.append({"progress": done, "total": total, "message": message})

    calls["investigate"] = await call(
        session,
        "investigate",
        {"symptom": "web pods keep restarting", "namespace": ns, "max_queries": 30},
        progress_callback=on_progress,
    )
    calls["investigate_empty"] = await call(session, "investigate", {"symptom": "  "})
    calls["unknown_tool"] = await call(session, "drop_tables", {})
    report["calls"] = calls
    report["progress"] = progress
    resources = await session.list_resources()
    report["resources"] = [dump(r) for r in resources.resources]
    templates = await session.list_resource_templates()
    report["resource_templates"] = [dump(t) for t in templates.resource_templates]
    report["read"] = {}
    for r in resources.resources:
        content = await session.read_resource(r.uri)
        report["read"][r.uri] = dump(content)
    try:
        await session.read_resource("klue://sessions/../../etc/passwd")
        report["read_bad"] = {"ok": True}
    except Exception as e:
        report["read_bad"] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    prompts = await session.list_prompts()
    report["prompts"] = [dump(p) for p in prompts.prompts]
    prompt = await session.get_prompt("troubleshoot", {"symptom": "checkout is slow", "namespace": ns})
    report["prompt"] = dump(prompt)
    # Still alive after all of it.
    report["ping"] = dump(await session.send_ping())
    return report


async def cancel_mode(session, _ns):
    await session.initialize()
    report = {}
    started = time.monotonic()
    try:
        await session.call_tool("query", {"command": "get pods -n default"}, read_timeout_seconds=1.0)
        report["query"] = "returned"
    except Exception as e:
        report["query"] = f"{type(e).__name__}: {e}"
    report["abandoned_after_s"] = time.monotonic() - started
    # An investigation waiting on the same server: cancelled too, and still recorded.
    try:
        await session.call_tool(
            "investigate", {"symptom": "web pods keep restarting in namespace default"}, read_timeout_seconds=2.0
        )
        report["investigate"] = "returned"
    except Exception as e:
        report["investigate"] = f"{type(e).__name__}: {e}"
    # Give the server a moment to act on the cancellation, then check it still answers.
    await asyncio.sleep(1.0)
    report["contexts"] = dump(await session.call_tool("contexts", {}))
    resources = await session.list_resources()
    report["resources"] = [dump(r) for r in resources.resources]
    report["read"] = {r.uri: dump(await session.read_resource(r.uri)) for r in resources.resources}
    report["ping"] = dump(await session.send_ping())
    return report


async def bench_mode(session, ns):
    await session.initialize()
    command = os.environ.get("KLUE_MCP_BENCH_QUERY", f"get pods -n {ns}")
    calls = int(os.environ.get("KLUE_MCP_BENCH_CALLS", "50"))
    first = await session.call_tool("query", {"command": command})
    if first.is_error:
        raise SystemExit(f"bench query failed: {first.content}")
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        r = await session.call_tool("query", {"command": command})
        times.append((time.perf_counter() - t) * 1000.0)
        if r.is_error:
            raise SystemExit(f"bench query failed: {r.content}")
    return {"command": command, "ms": times}


async def main():
    mode, klue, *args = sys.argv[1:]
    ns = os.environ.get("KLUE_MCP_NAMESPACE", "default")
    params = StdioServerParameters(command=klue, args=["mcp", *args], env=dict(os.environ))
    modes = {"session": session_mode, "cancel": cancel_mode, "bench": bench_mode}
    async with stdio_client(params) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            report = await modes[mode](session, ns)
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    asyncio.run(main())
