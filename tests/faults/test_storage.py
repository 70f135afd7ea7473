"""The runs directory fails under a running ignite-fcgi (issue 7): full (a
small tmpfs) or read-only. An execute then answers 507 or 503 with a clear
message, leaves no container and no temp file, earlier runs stay readable
and intact, and the daemon recovers once the disk does."""
import errno
import os
import subprocess

import pytest

from faultkit import runs_files, unparsable, wait_for


@pytest.fixture
def tiny_runs(workdir, request):
    d = workdir / f"tiny-{request.node.name[:20]}"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "ignite-faults", str(d)],
                   check=True)
    yield d
    subprocess.run(["umount", "-l", str(d)], check=False)
    os.rmdir(d)


def fill(path):
    """Writes zeros to path until the file system is full."""
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
    # Smaller writes too: the last partial block.
    with open(path, "ab", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 64)
        except OSError as e:
            assert e.errno == errno.ENOSPC, e


def snapshot(stack, keys, rids):
    return {rid: stack.get(f"/api/runs/{rid}", key=keys.read).json() for rid in rids}


def check_intact(stack, keys, stored):
    for rid, rep in stored.items():
        r = stack.get(f"/api/runs/{rid}", key=keys.read)
        assert r.status == 200 and r.json() == rep, (rid, r)
        page = stack.get(f"/runs/{rid}")
        assert page.status == 200, page
    listed = {x["runId"] for x in stack.get("/api/runs?limit=100", key=keys.read).json()["runs"]}
    assert set(stored) <= listed, (set(stored) - listed)


def storage_error(r, statuses):
    assert r.status in statuses, r
    body = r.json()
    assert body["success"] is False, body
    assert body["error"]["code"] == "storage_unavailable", body
    print(f"storage: {r.status} {body['error']['code']}: {body['error']['message']}")
    msg = body["error"]["message"].lower()
    assert "run" in msg or "stor" in msg, f"the message does not say what failed: {body}"
    return body


def test_runs_directory_full(make_stack, engine, keys, tiny_runs):
    s = make_stack("full", runs=tiny_runs)
    rids = []
    for i in range(2):
        r = s.execute("hello", {"input": {"name": f"fits {i}"}}, key=keys.execute)
        assert r.status == 200, r
        rids.append(r.json()["runId"])
    stored = snapshot(s, keys, rids)
    filler = tiny_runs / "filler"
    fill(filler)

    for _ in range(2):
        r = s.execute("hello", {"input": {"name": "no room"}}, key=keys.execute)
        body = storage_error(r, (507,))
        assert body.get("serviceName") == "hello", body
    # Streaming has sent 200 already: the result event must say it failed.
    r = s.execute("hello", key=keys.execute, query="?stream=1")
    last = [line for line in r.text.splitlines() if line.strip()][-1]
    assert '"storage_unavailable"' in last or '"success":false' in last, r.text[-500:]

    assert s.daemon_alive()
    assert wait_for(lambda: not engine.managed(), 10), engine.managed()
    reports, other = runs_files(tiny_runs)
    assert not unparsable(reports), unparsable(reports)
    assert sorted(os.path.basename(p) for p in other) == ["filler"], other
    check_intact(s, keys, stored)

    filler.unlink()
    r = s.execute("hello", {"input": {"name": "room again"}}, key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
    assert s.get(f"/api/runs/{r.json()['runId']}", key=keys.read).status == 200


def test_runs_directory_read_only(make_stack, engine, keys, tiny_runs):
    s = make_stack("ro", runs=tiny_runs)
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200, r
    stored = snapshot(s, keys, [r.json()["runId"]])
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_runs)], check=True)
    try:
        r = s.execute("hello", key=keys.execute)
        storage_error(r, (503, 507))
        assert s.daemon_alive()
        assert wait_for(lambda: not engine.managed(), 10), engine.managed()
        check_intact(s, keys, stored)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tiny_runs)], check=True)
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
    reports, other = runs_files(tiny_runs)
    assert not unparsable(reports) and not other, (unparsable(reports), other)


def test_runs_directory_removed(make_stack, engine, keys, workdir):
    """The whole runs directory disappears (an operator's rm -rf)."""
    runs = workdir / "gone-runs"
    s = make_stack("gone", runs=runs)
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200, r
    subprocess.run(["rm", "-rf", str(runs)], check=True)
    r = s.execute("hello", key=keys.execute)
    storage_error(r, (503, 507))
    assert s.get("/api/runs", key=keys.read).status == 200
    assert s.daemon_alive()
    assert wait_for(lambda: not engine.managed(), 10), engine.managed()


def test_runs_directory_recreated_recovers(make_stack, engine, keys, workdir):
    """The operator puts the runs directory back: the next run is stored in
    it (the store follows its path, no restart or SIGHUP needed), and the
    listing is that of the new directory."""
    runs = workdir / "back-runs"
    s = make_stack("back", runs=runs)
    first = s.execute("hello", key=keys.execute)
    assert first.status == 200, first
    subprocess.run(["rm", "-rf", str(runs)], check=True)
    storage_error(s.execute("hello", key=keys.execute), (503, 507))
    runs.mkdir(mode=0o700)        # the operator puts the directory back
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
    rid = r.json()["runId"]
    assert (runs / f"{rid}.json").exists()
    assert s.get(f"/api/runs/{rid}", key=keys.read).status == 200
    listed = [x["runId"] for x in s.get("/api/runs?limit=100", key=keys.read).json()["runs"]]
    assert listed == [rid], listed
    assert s.get(f"/api/runs/{first.json()['runId']}", key=keys.read).status == 404
    assert s.daemon_alive()
