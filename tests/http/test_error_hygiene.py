"""Error answers name what failed, never where it lives on the server.

When the Docker engine is unreachable, the runs directory is gone, the ad-hoc
work directory is unusable or a service's files are refused, ignite-fcgi's
answers (the error body, a streamed result, the stored report through the API
and its page, an async run's report) carry a fixed message for the class of
failure and no server path (the Docker socket, the runs, services or work
directory, anything under /var/, /tmp/ or /run/), while the daemon log keeps
the full detail under the request's id (X-Request-Id).
"""
import json
import os
import shutil
import time

import pytest

from harness import Stack

SERVER_DIRS = ("/var/", "/tmp/", "/run/")
ADHOC_BODY = {"runtime": "node@24", "files": {"main.js": "console.log(1)"}}


def assert_path_free(r, *paths):
    text = r.body.decode("utf-8", "replace")
    for p in (*SERVER_DIRS, *(str(x) for x in paths)):
        assert p not in text, f"{p!r} appears in the answer (HTTP {r.status}): {text[:800]}"


def logged_detail(stack, r, needle):
    """The daemon logged needle in a line of the request that got answer r."""
    rid = r.header("X-Request-Id")
    assert rid, r.headers
    for _ in range(50):
        for line in stack.log_lines():
            if line.get("id") == rid and any(needle in str(v) for v in line.values()):
                return True
        time.sleep(0.05)
    return False


def error_of(r, statuses, code):
    assert r.status in statuses, r
    body = r.json()
    assert body["success"] is False and body["error"]["code"] == code, body
    return body


def final_report(stack, key, run_id, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        r = stack.get(f"/api/runs/{run_id}", key=key)
        assert r.status == 200, r
        if r.json().get("status") not in ("queued", "running") or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


# ---- the Docker engine cannot be reached --------------------------------------------

@pytest.fixture(scope="module")
def no_engine(make_stack, workdir):
    sock = workdir / "hygiene-no-engine.sock"
    work = workdir / "hygiene-adhoc-files"
    work.mkdir(exist_ok=True)
    s = make_stack("hygiene-noengine", "--docker-host", f"unix://{sock}", "--sandbox-work-dir", str(work))
    return s, sock, work


def test_engine_down_execute_answer_and_report(no_engine, keys, services_dir):
    s, sock, work = no_engine
    r = s.execute("hello", key=keys.execute)
    body = error_of(r, (503,), "docker_unavailable")
    assert "Docker engine" in body["error"]["message"], body
    assert body.get("serviceName") == "hello", body
    assert_path_free(r, sock, s.runs, services_dir, work)
    assert logged_detail(s, r, str(sock)), f"the socket path is not in the log:\n{s.log_tail()}"

    # The run was recorded: its report, through the API and as a page.
    run_id = body.get("runId")
    assert run_id, body
    rep = s.get(f"/api/runs/{run_id}", key=keys.read)
    assert rep.status == 200 and rep.json()["status"] == "error", rep
    assert "Docker engine" in rep.json()["error"]["message"], rep.json()
    assert_path_free(rep, sock, s.runs, services_dir)
    page = s.get(f"/runs/{run_id}")
    assert page.status == 200, page
    assert_path_free(page, sock, s.runs, services_dir)
    # Stored as it was: the file keeps the detail for the operator.
    stored = json.loads((s.runs / f"{run_id}.json").read_text())
    assert str(sock) in stored["error"]["message"], stored["error"]


def test_engine_down_streamed_result(no_engine, keys, services_dir):
    s, sock, work = no_engine
    r = s.execute("hello", key=keys.execute, query="?stream=1")
    assert r.status == 200, r
    last = json.loads([line for line in r.text.splitlines() if line.strip()][-1])
    assert last["event"] == "result" and last["success"] is False, last
    assert last["error"]["code"] == "docker_unavailable", last
    assert_path_free(r, sock, s.runs, services_dir, work)


def test_engine_down_adhoc_sync_and_async(no_engine, keys):
    s, sock, work = no_engine
    r = s.request("POST", "/api/execute", ADHOC_BODY, key=keys.execute)
    body = error_of(r, (503,), "docker_unavailable")
    assert_path_free(r, sock, s.runs, work)
    assert logged_detail(s, r, str(sock)), s.log_tail()

    r = s.request("POST", "/api/execute", dict(ADHOC_BODY, **{"async": True}), key=keys.execute)
    assert r.status == 202, r
    rep = final_report(s, keys.read, r.json()["runId"])
    assert rep.json()["status"] == "error", rep.json()
    assert_path_free(rep, sock, s.runs, work)


# ---- the runs directory is gone ---------------------------------------------------

def test_storage_failure_answers(make_stack, keys, workdir, services_dir):
    runs = workdir / "hygiene-runs"
    work = workdir / "hygiene-adhoc-files-2"
    work.mkdir(exist_ok=True)
    s = make_stack("hygiene-storage", "--sandbox-work-dir", str(work), runs=runs)
    assert s.execute("hello", key=keys.execute).status == 200
    shutil.rmtree(runs)

    r = s.execute("hello", key=keys.execute)
    body = error_of(r, (503, 507), "storage_unavailable")
    msg = body["error"]["message"].lower()
    assert "run" in msg or "stor" in msg, body
    assert_path_free(r, runs, services_dir, work)
    assert logged_detail(s, r, str(runs)), f"the runs path is not in the log:\n{s.log_tail()}"

    r = s.execute("hello", key=keys.execute, query="?stream=1")
    assert r.status == 200, r
    assert '"storage_unavailable"' in r.text.splitlines()[-1], r.text[-400:]
    assert_path_free(r, runs, services_dir, work)

    r = s.request("POST", "/api/execute", ADHOC_BODY, key=keys.execute)
    error_of(r, (503, 507), "storage_unavailable")
    assert_path_free(r, runs, work)
    assert s.daemon_alive()


# ---- the ad-hoc work directory cannot be used ------------------------------------------

def test_adhoc_work_dir_failure(make_stack, keys, workdir):
    work = workdir / "hygiene-not-a-directory"
    work.write_text("a file where the work directory should be\n")
    s = make_stack("hygiene-workdir", "--sandbox-work-dir", str(work))
    r = s.request("POST", "/api/execute", ADHOC_BODY, key=keys.execute)
    assert r.status >= 500, r
    assert r.json()["success"] is False, r.json()
    assert_path_free(r, work, s.runs)
    assert logged_detail(s, r, str(work)), f"the work directory is not in the log:\n{s.log_tail()}"


# ---- a service whose files are refused -----------------------------------------------

@pytest.fixture(scope="module")
def symlinked(servers, workdir, keys):
    """A stack of its own whose services directory holds one service whose
    service.yaml is a symlink out of it."""
    root = workdir / "hygiene-services"
    svc = root / "symyaml"
    svc.mkdir(parents=True)
    outside = workdir / "hygiene-outside.yaml"
    outside.write_text("service:\n  name: symyaml\n  runtime: node@24\n  entry: index.js\n")
    (svc / "index.js").write_text("console.log(1)\n")
    os.symlink(outside, svc / "service.yaml")
    for p in (root, svc):
        os.chmod(p, 0o755)
    s = Stack("hygiene-sym", workdir, root, keys.path, ["--rate-limit", "1000000"],
              owner=servers["stacks"]).start()
    return s, root


def test_refused_service_files_name_the_file_not_the_directory(symlinked, keys):
    s, root = symlinked
    for r in (s.execute("symyaml", key=keys.execute),
              s.get("/api/services/symyaml", key=keys.read),
              s.get("/api/services/symyaml/preflight", key=keys.read)):
        body = error_of(r, (400,), "invalid_service")
        assert "service.yaml" in body["error"]["message"], body
        assert_path_free(r, root)
    r = s.request("POST", "/api/services/symyaml/execute", {"async": True}, key=keys.execute)
    body = error_of(r, (400,), "invalid_service")
    assert "service.yaml" in body["error"]["message"], body
    assert_path_free(r, root)
    assert logged_detail(s, r, str(root)), s.log_tail()
