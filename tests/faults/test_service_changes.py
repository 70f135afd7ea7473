"""A service directory changed or deleted while its run is in flight, or
churned under a stream of executes (issue 7): every answer is a result or a
clean error (never 500, never a dead daemon), every 200 is recorded, no
container stays behind."""
import collections
import json
import os
import socket
import shutil
import threading
import time

import pytest

from faultkit import ROOT, harness, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


def make_service(services_dir, name, src):
    d = services_dir / name
    if d.exists():
        shutil.rmtree(d)
    harness._copy_service(src, d)
    y = d / "service.yaml"
    y.write_text(y.read_text().replace(f"name: {src.name}", f"name: {name}"))
    return d


def in_thread(fn):
    box = {}

    def run():
        try:
            box["value"] = fn()
        except Exception as e:
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def clean_answer(r):
    """A result or one of the contract's errors, in the error shape."""
    assert r.status in (200, 400, 404, 503), r
    body = r.json()
    if r.status != 200:
        assert body["success"] is False and body["error"]["code"] and body["error"]["message"], body
    return body


def sleep5_dir():
    return __import__("pathlib").Path(HERE) / "services" / "sleep5"


def running(engine, service):
    return [c for c in engine.managed()
            if c["Labels"].get("ignite.service") == service and c.get("State") == "running"]


def stream_execute(stack, key, service):
    """Starts a streaming execute; returns (socket, bytes read so far)."""
    body = b'{"input":{}}'
    sock = socket.create_connection(("127.0.0.1", stack.port), timeout=60)
    sock.sendall(f"POST /api/services/{service}/execute?stream=1 HTTP/1.1\r\nHost: x\r\n"
                 f"Connection: close\r\nAuthorization: Bearer {key}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                 .encode() + body)
    return sock


def read_until(sock, buf, marker):
    while marker not in buf:
        c = sock.recv(65536)
        if not c:
            return buf, False
        buf += c
    return buf, True


def result_event(buf):
    """The last NDJSON event of a chunked stream (ignores chunk-size lines)."""
    events = [json.loads(line) for line in buf.split(b"\r\n\r\n", 1)[1].split(b"\n")
              if line.startswith(b"{")]
    assert events and events[-1]["event"] == "result", buf[-500:]
    return events[-1]


CHANGES = ["delete", "rename", "invalid-yaml", "entry-replaced", "entry-symlink-out",
           "unreadable", "yaml-removed"]


def apply_change(change, d, services_dir, name):
    if change == "delete":
        shutil.rmtree(d)
    elif change == "rename":
        d.rename(services_dir / f"{name}-moved")
    elif change == "invalid-yaml":
        (d / "service.yaml").write_text("service: [this is: not valid\n")
    elif change == "entry-replaced":
        (d / "index.js").write_text('console.log("replaced");\n')
    elif change == "entry-symlink-out":
        (d / "index.js").unlink()
        (d / "index.js").symlink_to("/etc/passwd")
    elif change == "unreadable":
        os.chmod(d, 0o000)
    elif change == "yaml-removed":
        (d / "service.yaml").unlink()


# What the next execute of the changed service answers.
NEXT = {"delete": {404}, "rename": {404}, "invalid-yaml": {400}, "entry-replaced": {200},
        "entry-symlink-out": {400}, "unreadable": {200, 400}, "yaml-removed": {400, 404}}


@pytest.mark.parametrize("change", CHANGES)
def test_changed_during_run(change, make_stack, engine, keys, services_dir):
    """The change lands after the service loaded its entry (its first line
    is out): the run finishes with what it loaded, and is recorded."""
    name = f"mut-{change}"
    d = make_service(services_dir, name, sleep5_dir())
    s = make_stack(f"chg-{change}")
    sock = stream_execute(s, keys.execute, name)
    try:
        buf, ok = read_until(sock, b"", b"started")
        assert ok and buf.startswith(b"HTTP/1.1 200"), buf[:300]
        apply_change(change, d, services_dir, name)
        buf, ok = read_until(sock, buf, b'"event":"result"')
        buf, _ = read_until(sock, buf, b"\r\n0\r\n\r\n")
    finally:
        sock.close()
    res = result_event(buf)
    assert res["success"] is True, res
    assert res["metrics"]["stdout"] == "started\ndone\n", res["metrics"]
    rep = s.get(f"/api/runs/{res['runId']}", key=keys.read)
    assert rep.status == 200 and rep.json()["runId"] == res["runId"], rep
    assert wait_for(lambda: not engine.managed(), 15), engine.managed()
    assert s.daemon_alive()

    r2 = s.execute(name, key=keys.execute, timeout=60)
    assert r2.status in NEXT[change], r2
    b2 = clean_answer(r2)
    if change == "entry-replaced":
        assert b2["metrics"]["stdout"] == "replaced\n", b2
    if change == "unreadable" and r2.status == 200:
        # Root reads the directory; the container's user cannot: a failed run.
        assert b2["success"] is False, b2
    if change == "unreadable":
        os.chmod(d, 0o755)
    assert wait_for(lambda: not engine.managed(), 15), engine.managed()
    print(f"{change}: next execute {r2.status} "
          f"{b2['error']['code'] + ': ' + b2['error']['message'] if 'error' in b2 else b2['success']}")


@pytest.mark.parametrize("change", CHANGES)
def test_changed_while_starting(change, make_stack, engine, keys, services_dir):
    """The change lands while the container starts, before the entry is
    loaded: a clean result (success false) or a clean error, recorded."""
    name = f"early-{change}"
    d = make_service(services_dir, name, sleep5_dir())
    s = make_stack(f"early-{change}")
    t, box = in_thread(lambda: s.execute(name, key=keys.execute, timeout=60))
    assert wait_for(lambda: running(engine, name), 20, step=0.02), "the run never started"
    apply_change(change, d, services_dir, name)
    t.join(60)
    assert "error" not in box, box
    r = box["value"]
    body = clean_answer(r)
    if r.status == 200:
        rep = s.get(f"/api/runs/{body['runId']}", key=keys.read)
        assert rep.status == 200, rep
    if change == "unreadable":
        os.chmod(d, 0o755)
    assert wait_for(lambda: not engine.managed(), 15), engine.managed()
    assert s.daemon_alive()
    print(f"{change} while starting: {r.status} success={body['success']} "
          f"stdout={body.get('metrics', {}).get('stdout', '')!r} "
          f"exit={body.get('metrics', {}).get('exitCode')}")


def test_directory_churn_under_load(make_stack, engine, keys, services_dir):
    """Executes of one service while another thread keeps deleting,
    recreating, renaming and breaking its directory."""
    src = ROOT / "examples" / "hello"
    name = "churn"
    d = make_service(services_dir, name, src)
    s = make_stack("churn", "--max-concurrent", "4")
    stop = threading.Event()
    statuses = collections.Counter()
    errors = []
    run_ids = []
    messages = set()
    lock = threading.Lock()

    def mutate():
        i = 0
        while not stop.is_set():
            i += 1
            step = i % 6
            try:
                if step == 0:
                    shutil.rmtree(d, ignore_errors=True)
                elif step == 1:
                    make_service(services_dir, name, src)
                elif step == 2:
                    (d / "service.yaml").write_text("service:\n  name: churn\n  memoryMb: -1\n")
                elif step == 3:
                    make_service(services_dir, name, src)
                    d.rename(services_dir / "churn-away")
                elif step == 4:
                    shutil.rmtree(d, ignore_errors=True)
                    (services_dir / "churn-away").rename(d)
                else:
                    (d / "index.ts").unlink()
                    time.sleep(0.05)
                    make_service(services_dir, name, src)
            except OSError:
                pass
            time.sleep(0.15)

    def load():
        while not stop.is_set():
            try:
                r = s.execute(name, {"input": {"name": "churn"}}, key=keys.execute, timeout=60)
                body = clean_answer(r)
                with lock:
                    statuses[r.status] += 1
                    if r.status == 200:
                        run_ids.append(body["runId"])
                    else:
                        statuses[body["error"]["code"]] += 1
                        if r.status == 503:
                            messages.add(body["error"]["message"][:200])
            except AssertionError as e:
                with lock:
                    errors.append(str(e)[:300])
            time.sleep(0.05)     # under nginx's per-address limit (200 r/s)

    threads = [threading.Thread(target=mutate, daemon=True)] + \
              [threading.Thread(target=load, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(12)
    stop.set()
    for t in threads:
        t.join(90)
    shutil.rmtree(services_dir / "churn-away", ignore_errors=True)
    make_service(services_dir, name, src)
    print(f"churn: {dict(statuses)}; 503 messages: {sorted(messages)}")
    assert not errors, errors[:5]
    assert sum(v for k, v in statuses.items() if isinstance(k, int)) >= 10, statuses
    assert s.daemon_alive(), s.log_tail()
    assert wait_for(lambda: not engine.managed(), 20), engine.managed()
    for rid in run_ids:
        assert s.get(f"/api/runs/{rid}", key=keys.read).status == 200, rid
    r = s.execute(name, key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
