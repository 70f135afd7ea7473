#!/usr/bin/env python3
"""Soak: mixed valid, invalid and hostile traffic through nginx into one
ignite-fcgi at a fixed concurrency for a set time, against the Docker engine
the suites share (DOCKER_HOST, else /var/run/docker.sock); then checks that
nothing was lost or leaked (issue 7):

- 0 daemon crashes: the same ignite-fcgi process answers from start to end;
- no answer outside the contract (never 500, never nginx's 502/504);
- 0 leaked containers: none owned by this daemon once the traffic stops;
- 0 lost or corrupt runs: every 200 execute's runId answers GET /api/runs/{id}
  and its file in the runs directory parses; no other file is there;
- file descriptors flat: within what the workers' Docker connection caches
  explain, and (long soaks) the load's last quarter at its first quarter's;
- RSS flat: the load's floor net of the run index (a summary per stored run,
  measured by starting a fresh daemon on the same runs) holds, and the soaked
  daemon outweighs that fresh one only by its warmed workers.

    tests/soak/soak.py [--duration SECONDS] [--concurrency N] [--json FILE]

Exit 0 when every check holds. IGNITE_BUILD selects the binaries (default
build/). Only the standard library; the stack comes from tests/http/harness.py.
"""
import argparse
import collections
import http.client
import json
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "http"))

import harness  # noqa: E402

ROOT = harness.ROOT
HOSTILE = ["net-probe", "fs-write", "forged-records", "spawn-denied", "privs"]

# Allowances for "flat": the end of the load against its start.
FD_SLACK = 8                 # descriptors
CURL_CONNS = 5               # libcurl's default CURLOPT_MAXCONNECTS per handle
RSS_SLACK_RATIO = 0.20       # of the start figure ...
RSS_SLACK_KB = 8 * 1024      # ... plus this
RSS_WARM_KB = 16 * 1024      # soaked over fresh: the warmed workers' arenas and connections


class Result:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()     # (action, status)
        self.unexpected = []                    # (action, status, body head)
        self.run_ids = []                       # (runId, service) of every 200 execute
        self.exec_success = collections.Counter()

    def record(self, action, status, body=b"", allowed=(), run_id=None, service=None,
               success=None):
        with self.lock:
            self.counts[(action, status)] += 1
            if status not in allowed:
                self.unexpected.append((action, status, body[:300]))
            if run_id:
                self.run_ids.append((run_id, service))
            if success is not None:
                self.exec_success[(service, success)] += 1


class Client:
    """HTTP to nginx from its own loopback address: nginx limits requests
    per address, and each worker gets its own budget."""

    def __init__(self, port, source):
        self.port = port
        self.source = source

    def request(self, method, path, body=None, headers=None, timeout=120):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(self.source, 0))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, data
        finally:
            conn.close()

    def raw(self, data, read=True, timeout=20):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout,
                                     source_address=(self.source, 0))
        try:
            s.sendall(data)
            if not read:
                return 0, b""
            chunks = []
            while True:
                try:
                    c = s.recv(65536)
                except socket.timeout:
                    break
                if not c:
                    break
                chunks.append(c)
            raw = b"".join(chunks)
            try:
                status = int(raw.split(b" ", 2)[1])
            except (IndexError, ValueError):
                status = 0
            return status, raw
        finally:
            s.close()


class Traffic:
    """The actions, each with the statuses the contract allows for it."""

    def __init__(self, stack, keys, result):
        self.s = stack
        self.k = keys
        self.r = result
        self.known_runs = collections.deque(maxlen=200)

    def auth(self, key):
        return {"Authorization": f"Bearer {key}"}

    def exec_key(self):
        return random.choice(self.k.exec_keys)

    # -- valid --
    def execute(self, c, service, inp):
        body = json.dumps({"input": inp}).encode()
        st, data = c.request("POST", f"/api/services/{service}/execute", body,
                             {**self.auth(self.exec_key()), "Content-Type": "application/json"})
        rid = success = None
        if st == 200:
            try:
                j = json.loads(data)
                rid, success = j["runId"], j["success"]
                self.known_runs.append(rid)
            except (ValueError, KeyError):
                st = -200       # a 200 that is not a result
        # 429: the concurrency slots are full (bounded wait, then Retry-After).
        self.r.record(f"execute {service}", st, data, (200, 429), rid, service, success)

    def a_hello(self, c):
        self.execute(c, "hello", {"name": "soak " + "é" * random.randint(0, 50)})

    def a_data(self, c):
        n = random.randint(0, 200)
        self.execute(c, "data-processor", {"data": [random.uniform(-1e6, 1e6) for _ in range(n)],
                                           "operation": random.choice(["sum", "average", "max", "min"])})

    def a_hostile(self, c):
        self.execute(c, random.choice(HOSTILE), {})

    def a_stream(self, c):
        body = b'{"input":{"name":"stream"}}'
        st, data = c.request("POST", "/api/services/hello/execute?stream=1", body,
                             {**self.auth(self.exec_key()), "Content-Type": "application/json"})
        rid = success = None
        if st == 200:
            lines = [x for x in data.split(b"\n") if x.strip()]
            try:
                last = json.loads(lines[-1])
                assert last["event"] == "result"
                rid, success = last["runId"], last["success"]
            except (ValueError, KeyError, IndexError, AssertionError):
                st = -200
        self.r.record("execute stream", st, data, (200, 429), rid, "hello", success)

    def a_stream_walkaway(self, c):
        """A streaming client that leaves after the first event."""
        body = b'{"input":{}}'
        req = (f"POST /api/services/hello/execute?stream=1 HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer {self.exec_key()}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        s = socket.create_connection(("127.0.0.1", self.s.port), timeout=30,
                                     source_address=(c.source, 0))
        try:
            s.sendall(req)
            buf = b""
            while b'"event"' not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        except OSError:
            # This client walks away on purpose; a connection that dies while it
            # waits (a timeout on a saturated 2-core machine) is its own doing.
            # The checks that matter here — the run is recorded and its container
            # removed — are made after the soak.
            return
        finally:
            s.close()
        try:
            st = int(buf.split(b" ", 2)[1])
        except (IndexError, ValueError):
            st = 0
        self.r.record("stream walk-away", st, buf, (200, 429))

    def a_runs(self, c):
        q = random.choice(["", "?limit=5", "?service=hello&limit=20", "?limit=100"])
        st, data = c.request("GET", "/api/runs" + q, headers=self.auth(self.k.read))
        self.r.record("runs list", st, data, (200,))
        if st == 200:
            nxt = json.loads(data).get("next")
            if nxt:
                st, data = c.request("GET", f"/api/runs?limit=5&before={nxt}",
                                     headers=self.auth(self.k.read))
                self.r.record("runs page", st, data, (200,))

    def a_run(self, c):
        if not self.known_runs:
            return
        rid = random.choice(list(self.known_runs))
        st, data = c.request("GET", f"/api/runs/{rid}", headers=self.auth(self.k.read))
        self.r.record("run", st, data, (200,))
        st, data = c.request("GET", f"/runs/{rid}")
        self.r.record("run page", st, data, (200,))

    def a_reads(self, c):
        for path, key, ok in (("/api/health", None, (200,)),
                              ("/api/services", self.k.read, (200,)),
                              ("/api/services/hello", self.k.read, (200,)),
                              ("/api/services/data-processor/preflight", self.k.read, (200,)),
                              ("/api/metrics", self.k.read, (200,)),
                              ("/static/style.css", None, (200, 404)),
                              ("/login", None, (200,))):
            st, data = c.request("GET", path, headers=self.auth(key) if key else {})
            self.r.record(f"GET {path}", st, data, ok)

    # -- invalid --
    def a_bad_json(self, c):
        body = random.choice([b"{not json", b'{"input":', b"\xff\xfe\x00", b"[]", b'"x"',
                              b'{"input":{}, "audit":"yes"}', b'{"input":{},"skipPreflight":7}',
                              b"[" * 20000 + b"]" * 20000, b'{"a":' * 3000 + b"1" + b"}" * 3000])
        st, data = c.request("POST", "/api/services/hello/execute", body,
                             {**self.auth(self.exec_key()), "Content-Type": "application/json"})
        self.r.record("bad JSON", st, data, (400,))

    def a_bad_requests(self, c):
        cases = [
            ("POST", "/api/services/nope/execute", b"{}", (404,)),
            ("POST", "/api/services/..%2f..%2fetc/execute", b"{}", (400, 404)),
            ("POST", "/api/services/" + "a" * 300 + "/execute", b"{}", (400, 404)),
            ("POST", "/api/services/Hello/execute", b"{}", (400, 404)),
            ("GET", "/api/services/hello/execute", None, (405,)),
            ("DELETE", "/api/runs", None, (405,)),
            ("GET", "/api/runs/../../../etc/passwd", None, (400, 404)),
            ("GET", "/api/runs/" + "z" * 32, None, (400, 404)),
            ("GET", "/api/runs?limit=-1", None, (400,)),
            ("GET", "/api/runs?limit=abc", None, (400,)),
            ("GET", "/api/runs?limit=1000", None, (400,)),
            ("GET", "/api/runs?before=%00%ff", None, (400, 404, 200)),
            ("GET", "/api/nowhere", None, (404,)),
            ("GET", "/runs/%3Cscript%3E", None, (400, 404)),
        ]
        m, path, body, ok = random.choice(cases)
        h = {**self.auth(self.k.admin), "Content-Type": "application/json"}
        st, data = c.request(m, path, body, h)
        self.r.record(f"bad {m} {path[:40]}", st, data, ok)
        # Wrong type, too large.
        st, data = c.request("POST", "/api/services/hello/execute", b"input=1",
                             {**self.auth(self.exec_key()), "Content-Type": "text/plain"})
        self.r.record("wrong content type", st, data, (415,))
        if random.random() < 0.2:
            big = b'{"input":"' + b"x" * (2 << 20) + b'"}'
            try:
                st, data = c.request("POST", "/api/services/hello/execute", big,
                                     {**self.auth(self.exec_key()), "Content-Type": "application/json"})
            except (ConnectionError, OSError):
                st, data = 413, b"(connection closed while sending)"
            self.r.record("too large", st, data, (413,))

    def a_auth_failures(self, c):
        bad = random.choice(["", "Bearer", "Bearer ", "Basic Zm9vOmJhcg==",
                             "Bearer ign_000000000000_" + "A" * 43,
                             f"Bearer {self.k.revoked}", "Bearer " + "x" * 5000,
                             "Bearer ign_" + "\u00e9" * 10])
        h = {"Authorization": bad} if bad else {}
        try:
            st, data = c.request("GET", "/api/runs", headers=h)
        except UnicodeEncodeError:
            st, data = c.request("GET", "/api/runs", headers={"Authorization": bad.encode("utf-8")})
        self.r.record("auth failure", st, data, (401, 400))
        st, data = c.request("POST", "/api/services/hello/execute", b"{}",
                             {**self.auth(self.k.read), "Content-Type": "application/json"})
        self.r.record("execute with read key", st, data, (403,))

    # -- hostile at the protocol level --
    def a_hostile_http(self, c):
        # Connection: close where nginx would keep the connection open.
        cases = [
            (b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             b"X-Big: " + b"a" * 20000 + b"\r\n\r\n", (400, 431, 494)),
            (b"POST /api/services/hello/execute HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             b"Content-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
             (400, 401, 411, 415)),
            (b"GET /api/health\x00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", (400,)),
            (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", (400,)),
            (b"BREW /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", (400, 405)),
            (b"GET /api/runs HTTP/1.0\r\n\r\n", (401,)),
        ]
        data, ok = random.choice(cases)
        st, raw = c.raw(data)
        self.r.record("hostile HTTP", st, raw, ok)
        if random.random() < 0.3:
            # A request that stops half-way and leaves.
            c.raw(b"POST /api/services/hello/execute HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"inp", read=False)
            self.r.record("half request", 0, b"", (0,))


WEIGHTS = [("a_hello", 10), ("a_data", 6), ("a_hostile", 3), ("a_stream", 4),
           ("a_stream_walkaway", 1), ("a_runs", 8), ("a_run", 8), ("a_reads", 6),
           ("a_bad_json", 6), ("a_bad_requests", 6), ("a_auth_failures", 4), ("a_hostile_http", 4)]


class Sampler(threading.Thread):
    def __init__(self, pid, runs, every=1.0):
        super().__init__(daemon=True)
        self.pid = pid
        self.runs = runs
        self.every = every
        self.samples = []       # (t, fds, rss_kb, threads, runs so far)
        self.stop = threading.Event()
        self.died = False

    def sample(self):
        try:
            fds = len(os.listdir(f"/proc/{self.pid}/fd"))
            rss = thr = 0
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                    elif line.startswith("Threads:"):
                        thr = int(line.split()[1])
            self.samples.append((time.monotonic(), fds, rss, thr, self.runs()))
        except OSError:
            self.died = True

    def run(self):
        while not self.stop.wait(self.every):
            self.sample()


def fd_kinds(pid):
    """What the process's descriptors point at, counted by kind."""
    kinds = collections.Counter()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                t = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            kinds[t.split(":")[0] if ":[" in t else ("file" if t.startswith("/") else t)] += 1
    except OSError:
        pass
    return dict(kinds)


def managed_of(engine, pid):
    return [c for c in engine.managed()
            if (c.get("Labels") or {}).get("ignite.owner", "").split(".")[0] == str(pid)]


def setup(work):
    services = work / "services"
    services.mkdir()
    for name in ("hello", "data-processor"):
        harness._copy_service(ROOT / "examples" / name, services / name)
    for name in HOSTILE:
        harness._copy_service(ROOT / "tests" / "hostile" / name, services / name)
    keys = harness.Keys(work / "keys")
    keys.add("admin", "admin")
    keys.add("read", "read")
    keys.exec_keys = [keys.add(f"exec{i}", "execute") for i in range(4)]
    keys.add("revoked", "execute")
    keys.revoke("revoked")
    return services, keys


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def get_retrying(client_for, path, key, tries=50):
    """GET that waits out nginx's per-address 429s."""
    for i in range(tries):
        st, data = client_for(i).request("GET", path, headers={"Authorization": f"Bearer {key}"})
        if st != 429:
            return st, data
        time.sleep(0.05 * (i + 1))
    return st, data


def fresh_rss(work, services, keys, runs, args):
    """RSS of a new daemon holding the same stored runs (its run index built,
    one key verified): what the soaked daemon would weigh without wear."""
    s = harness.Stack("fresh", work, services, keys.path, args, runs=runs)
    try:
        s.start()
        st, _ = Client(s.port, "127.0.0.2").request(
            "GET", "/api/runs?limit=5", headers={"Authorization": f"Bearer {keys.read}"})
        time.sleep(1)
        return rss_kb(s.daemon.pid), st
    finally:
        s.stop()


def window(samples, col):
    v = sorted(x[col] for x in samples)
    return {"min": v[0], "median": v[len(v) // 2], "max": v[-1]}


def soak(duration, concurrency=16, log=print):
    engine = harness.Engine(harness.docker_socket_path())
    if not engine.ping():
        raise SystemExit(f"soak: no Docker engine at {engine.path}")
    for b in ("ignite", "ignite-fcgi"):
        if not (harness.BUILD / b).exists():
            raise SystemExit(f"soak: {harness.BUILD / b} is missing")
    work = Path(tempfile.mkdtemp(prefix="igsoak"))
    os.chmod(work, 0o755)
    failures = []
    figures = {}
    stack = None
    try:
        services, keys = setup(work)
        workers = concurrency + 8
        args = ["--workers", str(workers), "--max-concurrent", "4",
                "--max-concurrent-per-key", "4", "--slot-wait", "5000",
                "--rate-limit", "1000000", "--auth-failure-limit", "1000000"]
        stack = harness.Stack("soak", work, services, keys.path, args)
        stack.start()
        pid = stack.daemon.pid
        figures["base"] = {"fds": len(os.listdir(f"/proc/{pid}/fd")), "rss_kb": rss_kb(pid)}
        result = Result()
        traffic = Traffic(stack, keys, result)
        warm = Client(stack.port, "127.0.0.2")
        for name in ("hello", "data-processor", *HOSTILE):
            traffic.execute(warm, name, {})
        traffic.a_stream(warm)
        sampler = Sampler(pid, lambda: len(result.run_ids))
        sampler.sample()
        figures["idle_start"] = {"fds": sampler.samples[-1][1], "rss_kb": sampler.samples[-1][2],
                                 "fd_kinds": fd_kinds(pid)}
        sampler.start()
        names = [n for n, w in WEIGHTS for _ in range(w)]
        deadline = time.monotonic() + duration
        errors = []

        def worker(i):
            c = Client(stack.port, f"127.0.0.{3 + i}")
            rnd = random.Random(i)
            while time.monotonic() < deadline:
                action = rnd.choice(names)
                try:
                    getattr(traffic, action)(c)
                except Exception as e:      # a transport failure is a finding
                    result.record(action, -1, repr(e).encode(), ())
                    if len(errors) < 20:
                        errors.append(f"{action}: {e!r}")

        t0 = time.monotonic()
        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
        for t in threads:
            t.start()
        last_report = t0
        while any(t.is_alive() for t in threads):
            time.sleep(1)
            if time.monotonic() - last_report >= 60 and sampler.samples:
                last_report = time.monotonic()
                _, fds, rss, thr, _ = sampler.samples[-1]
                log(f"soak: {last_report - t0:.0f}s, {sum(result.counts.values())} requests, "
                    f"{len(result.run_ids)} runs, fds {fds}, rss {rss} kB, threads {thr}")
        for t in threads:
            t.join(300)
        elapsed = time.monotonic() - t0
        # Quiet again: in-flight work done, containers removed.
        time.sleep(3)
        sampler.stop.set()
        sampler.join(5)
        sampler.sample()
        end = sampler.samples[-1]
        figures["idle_end"] = {"fds": end[1], "rss_kb": end[2], "fd_kinds": fd_kinds(pid)}

        # 0 crashes.
        if not stack.daemon_alive() or stack.daemon.pid != pid or sampler.died:
            failures.append(f"ignite-fcgi died (exit {stack.daemon.poll()}):\n{stack.log_tail(40)}")
        # Answers within the contract.
        if result.unexpected:
            byk = collections.Counter((a, s) for a, s, _ in result.unexpected)
            ex = {f"{a} {s}": b.decode("utf-8", "replace")[:200] for a, s, b in result.unexpected[:10]}
            failures.append(f"{len(result.unexpected)} answers outside the contract: {dict(byk)}; "
                            f"examples: {json.dumps(ex, indent=1)}")
        # 0 leaked containers.
        deadline2 = time.monotonic() + 30
        while managed_of(engine, pid) and time.monotonic() < deadline2:
            time.sleep(0.5)
        leaked = managed_of(engine, pid)
        if leaked:
            failures.append(f"{len(leaked)} containers left: "
                            f"{[(c['Id'][:12], c.get('State')) for c in leaked][:10]}")
        # 0 lost or corrupt runs.
        checkers = [Client(stack.port, f"127.0.0.{100 + i}") for i in range(50)]
        lost, corrupt = [], []
        for n, (rid, svc) in enumerate(result.run_ids):
            st, data = get_retrying(lambda i: checkers[(n + i) % len(checkers)],
                                    f"/api/runs/{rid}", keys.read)
            if st != 200:
                lost.append((rid, svc, st))
                continue
            try:
                with open(stack.runs / f"{rid}.json", "rb") as f:
                    stored = json.load(f)
                if stored.get("runId", rid) != rid or json.loads(data).get("runId", rid) != rid:
                    corrupt.append((rid, "runId mismatch"))
            except (OSError, ValueError) as e:
                corrupt.append((rid, repr(e)))
        others, bad_files = [], []
        for f in os.listdir(stack.runs):
            p = stack.runs / f
            if not f.endswith(".json") or f.startswith("."):
                others.append(f)
                continue
            try:
                with open(p, "rb") as fh:
                    json.load(fh)
            except ValueError:
                bad_files.append(f)
        if lost:
            failures.append(f"{len(lost)} runs answered 200 but are not stored: {lost[:10]}")
        if corrupt or bad_files:
            failures.append(f"corrupt run reports: {corrupt[:10]} {bad_files[:10]}")
        if others:
            failures.append(f"unexpected files in the runs directory: {others[:10]}")

        rc = stack.stop()
        if rc != 0:
            failures.append(f"ignite-fcgi exited {rc} on SIGTERM:\n{stack.log_tail(20)}")
        stored_runs = len(os.listdir(stack.runs))
        fresh, fresh_status = fresh_rss(work, services, keys, stack.runs, args)
        if fresh_status != 200:
            failures.append(f"a fresh daemon on the soaked runs answered {fresh_status}")

        # The load window: while requests were being sent (not the drain).
        load = [x for x in sampler.samples if t0 <= x[0] <= t0 + duration]
        q = max(1, len(load) // 4)
        head, tail = load[:q], load[-q:]
        # Every stored run costs the daemon a summary in its run index (kept
        # until retention prunes it): RSS is judged net of that.
        per_run = max(0.0, (fresh - figures["base"]["rss_kb"]) / max(1, stored_runs))
        net = [(x[0], x[1], int(x[2] - x[4] * per_run), x[3], x[4]) for x in load]
        nhead, ntail = net[:q], net[-q:]
        figures.update({
            "seconds": round(elapsed, 1),
            "requests": sum(result.counts.values()),
            "executes_200": len(result.run_ids),
            "executes_per_s": round(len(result.run_ids) / elapsed, 2),
            "exec_success": {f"{k[0]}:{k[1]}": v for k, v in sorted(result.exec_success.items())},
            "statuses": dict(sorted(collections.Counter(
                s for (_, s), n in result.counts.items() for _ in range(n)).items())),
            "fds": {"start": window(head, 1), "end": window(tail, 1),
                    "peak": max(x[1] for x in load), "idle_end": end[1]},
            "rss_kb": {"start": window(head, 2), "end": window(tail, 2),
                       "peak": max(x[2] for x in load), "idle_end": end[2],
                       "fresh_same_runs": fresh, "stored_runs": stored_runs,
                       "index_kb_per_run": round(per_run, 2),
                       "net_start": window(nhead, 2), "net_end": window(ntail, 2)},
            "threads": {"peak": max(x[3] for x in load), "idle_end": end[3]},
            "transport_errors": errors,
        })
        # Each worker keeps its own Docker client, whose libcurl handle keeps
        # up to CURL_CONNS connections for reuse: descriptors climb while
        # workers first execute, then hold. A leak breaks that bound; a long
        # soak must also hold its first quarter's level.
        fd, rss = figures["fds"], figures["rss_kb"]
        bound = figures["base"]["fds"] + workers * CURL_CONNS + FD_SLACK
        fd["bound"] = bound
        if fd["idle_end"] > bound or fd["end"]["max"] > bound + concurrency * 4:
            failures.append(f"file descriptors grew past {bound}: {fd}")
        if duration >= 300 and fd["end"]["max"] > fd["start"]["max"] + FD_SLACK:
            failures.append(f"file descriptors grew under load: {fd}")
        # RSS swings with scrypt's 16 MB per key check (key cache misses and
        # failed logins): its floor, net of the run index, must hold; and the
        # soaked daemon may outweigh a fresh one with the same runs only by
        # its warmed workers (their malloc arenas and engine connections).
        floor = rss["net_start"]["min"] * (1 + RSS_SLACK_RATIO) + RSS_SLACK_KB
        if rss["net_end"]["min"] > floor:
            failures.append(f"RSS net of the run index grew past {floor:.0f} kB: {rss}")
        if rss["idle_end"] > fresh + RSS_WARM_KB:
            failures.append(f"RSS idle at the end {rss['idle_end']} kB, a fresh daemon with the "
                            f"same runs {fresh} kB: more than {RSS_WARM_KB} kB apart")
        ok_hello = result.exec_success.get(("hello", True), 0)
        bad_hello = result.exec_success.get(("hello", False), 0)
        if bad_hello > max(1, (ok_hello + bad_hello) // 50):
            failures.append(f"hello failed {bad_hello} of {ok_hello + bad_hello} times")
        if not result.run_ids:
            failures.append("no execution succeeded")
    finally:
        if stack is not None and stack.daemon is not None:
            stack.stop()
        if failures or os.environ.get("IGNITE_KEEP_TMP"):
            figures["workdir"] = str(work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return failures, figures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--json", help="write the figures there")
    a = ap.parse_args()
    failures, figures = soak(a.duration, a.concurrency)
    print(json.dumps(figures, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps({"failures": failures, "figures": figures}, indent=1))
    for f in failures:
        print(f"soak: FAIL {f}", file=sys.stderr)
    print(f"soak: {'FAILED' if failures else 'ok'}: {figures.get('requests', 0)} requests, "
          f"{figures.get('executes_200', 0)} runs in {figures.get('seconds', 0)}s; "
          f"fds {json.dumps(figures.get('fds'))}, rss_kb {json.dumps(figures.get('rss_kb'))}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
