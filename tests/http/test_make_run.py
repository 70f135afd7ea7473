"""`make run` (scripts/run.sh, DESIGN §10): it ends with a working server and
a printed curl line that works as printed; SIGTERM stops every process it
started and removes its state directory; a port in use is refused."""
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness import BUILD, ROOT, free_port, http_request


def descendants(pid):
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            continue
        for k in kids:
            out.append(k)
            out += descendants(k)
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.fixture
def run_sh(binaries, workdir):
    procs = []

    def start(*args, env=None):
        e = dict(os.environ, IGNITE_BUILD=str(BUILD))
        e.update(env or {})
        out = open(workdir / f"run-sh.{len(procs)}.out", "w+")
        p = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh"), *map(str, args)], env=e,
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, text=True)
        procs.append((p, out))
        return p, out

    yield start
    for p, out in procs:
        if p.poll() is None:
            for k in descendants(p.pid):
                try:
                    os.kill(k, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            p.terminate()
            p.wait(30)
        out.close()


def read(out):
    out.seek(0)
    return out.read()


def test_run_sh_serves_prints_curl_line_and_stops_everything(run_sh, engine):
    port = free_port()
    p, out = run_sh(port)
    deadline = time.monotonic() + 180
    while "curl -H" not in read(out):
        assert p.poll() is None, f"run.sh exited with {p.returncode}:\n{read(out)}"
        assert time.monotonic() < deadline, f"no curl line after 180 s:\n{read(out)}"
        time.sleep(0.2)
    text = read(out)
    assert f"http://127.0.0.1:{port}/" in text, text
    line = next(x for x in text.splitlines() if x.strip().startswith("curl -H"))
    argv = shlex.split(line)
    key = re.fullmatch(r"Authorization: Bearer (ign_[0-9a-f]{12}_[A-Za-z0-9_-]{43})", argv[2])
    assert key, argv
    url = next(a for a in argv if a.startswith("http://"))
    assert url == f"http://127.0.0.1:{port}/api/services/hello/execute", url
    body = argv[argv.index("-d") + 1]
    assert argv[argv.index("-H", 3) + 1] == "Content-Type: application/json", argv
    # The printed line, as curl would send it (curl -d implies POST).
    r = http_request(port, "POST", "/api/services/hello/execute", body,
                     key=key.group(1), content_type="application/json")
    assert r.status == 200, r
    assert r.json()["success"] is True and "Hello, you!" in r.json()["metrics"]["stdout"], r.json()
    # And the curl line itself, through a shell, when curl is there.
    if subprocess.run(["sh", "-c", "command -v curl"], capture_output=True).returncode == 0:
        c = subprocess.run(["sh", "-c", line + " -s"], capture_output=True, text=True, timeout=60)
        assert '"success":true' in c.stdout, (c.stdout, c.stderr)

    state = re.search(r"State:\s+(\S+)", text).group(1)
    assert Path(state).is_dir()
    kids = descendants(p.pid)
    assert len(kids) >= 2, f"expected ignite-fcgi and nginx under run.sh: {kids}"
    p.send_signal(signal.SIGTERM)
    rc = p.wait(60)
    assert rc == 0, f"run.sh exited with {rc} on SIGTERM:\n{read(out)[-2000:]}"
    left = [k for k in kids if alive(k)]
    assert not left, f"processes left running: {left}"
    assert not Path(state).exists(), f"state directory left behind: {state}"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_run_sh_refuses_a_busy_port(run_sh):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p, out = run_sh(port)
        rc = p.wait(30)
    assert rc != 0 and "in use" in read(out), read(out)


def test_run_sh_refuses_a_bad_port(run_sh):
    p, out = run_sh("80a")
    assert p.wait(30) != 0 and "PORT" in read(out), read(out)
