"""Every runtime image runs a service end to end through `ignite run`.

Issue 3, "Done when": `ignite run examples/hello --input '{"name":"x"}' --json`
succeeds on every runtime image; TypeScript runs on bun, deno and node 24
(and node 22, which runs .ts natively too).
"""
import json

import pytest

ALL_RUNTIMES = ["node@20", "node@22", "node@24", "bun@1", "deno@2"]
TYPESCRIPT_RUNTIMES = ["node@22", "node@24", "bun@1", "deno@2"]


def check_greeting(run, name, runtime):
    assert run.rc == 0, str(run)
    r = run.report
    assert r is not None, str(run)
    assert r["success"] is True and r["status"] == "success", str(run)
    assert run.metrics["exitCode"] == 0, str(run)
    assert run.metrics["timedOut"] is False and run.metrics["oomKilled"] is False, str(run)
    assert json.loads(run.metrics["stdout"]) == {"message": f"Hello, {name}!"}, str(run)
    want_name, _, want_major = runtime.partition("@")
    assert r["runtime"]["name"] == want_name, str(run)
    assert r["runtime"]["version"].split(".")[0] == want_major, str(run)
    assert r["runtime"]["image"] == f"ignite-runtime/{want_name}:{r['runtime']['version']}", str(run)
    assert r["audit"] is True and run.audit["auditMode"] is True, str(run)
    assert run.summary["overallStatus"] == "clean", str(run)
    assert run.summary["launcherChannel"] == "ok", str(run)


@pytest.mark.parametrize("runtime", TYPESCRIPT_RUNTIMES)
def test_hello_typescript(ignite, service, root, runtime):
    """Threat-model goal: preserve inspectability — examples/hello (index.ts)
    greets the name from IGNITE_INPUT on each TypeScript-capable runtime, and
    the report names the runtime and image it ran on."""
    run = ignite.run(service(root / "examples" / "hello"), runtime=runtime, input={"name": "Ada"})
    check_greeting(run, "Ada", runtime)
    assert run.metrics["initTimeMs"] is not None, str(run)


@pytest.mark.parametrize("runtime", ALL_RUNTIMES)
def test_hello_javascript(ignite, service, runtime):
    """Threat-model goal: preserve inspectability — the plain-JavaScript hello
    (tests/hostile/hello-js, service.runtime node@20) runs on every runtime
    image; node@20 is its own runtime, the others are chosen with --runtime."""
    svc = service("hello-js")
    run = ignite.run(svc, runtime=None if runtime == "node@20" else runtime,
                     input={"name": "Grace"})
    check_greeting(run, "Grace", runtime)


def test_typescript_refused_on_node20(ignite, service, root):
    """Threat-model goal: preserve inspectability — node@20 cannot run
    TypeScript, and `ignite run --runtime node@20` on a .ts entry says so
    (exit 2, invalid service) instead of starting a container."""
    run = ignite.run(service(root / "examples" / "hello"), runtime="node@20", input={"name": "x"})
    assert run.rc == 2, str(run)
    assert "TypeScript" in run.stderr, str(run)
