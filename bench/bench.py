#!/usr/bin/env python3
"""bench.py — what `make bench` runs (through bench/run.sh).

Measures, in one run on this machine so the ratios compare like with like:

  latency (concurrency 1, the scenarios interleaved round by round):
    docker run --rm -i            the baseline: same image, audit flags, script, request line
    engine API, fresh container   create/attach/start/wait/remove without the docker CLI,
                                  with the baseline's flags and with ignite-fcgi's own
                                  create body (captured by the trace phase)
    engine API, pre-started       ignite-fcgi's container started ahead: delivery -> removed
    ignite run --audit --json     the CLI, cold
    HTTP execute, cold            nginx -> ignite-fcgi --warm-pool 0
    HTTP execute, warm            nginx -> ignite-fcgi --warm-pool 2 (pool refilled between requests)
  throughput (closed loop, C = 4 and 16, BENCH_DURATION s each): cold and warm,
    and the engine's churn ceiling (C = 16 loops of the engine API sequence above,
    baseline flags; and once more with ignite-fcgi's create body)
  non-execute endpoints: wrk -c16 on /api/health, /api/services, /api/runs
  ignite-fcgi RSS before/after BENCH_RSS_REQUESTS non-execute requests,
    CPU (utime+stime) per execution
  Docker API calls per execution (cold and warm), traced through a timing
    proxy on the engine socket (the first phase: the proxy is never in the
    timed path)

Writes bench/results.md and bench/results.json (BENCH_OUT=DIR elsewhere),
prints the tables, exits 0 whatever the targets say (non-zero only when the
benchmark itself could not run). Cleans up on exit, Ctrl-C and SIGTERM:
its nginx and ignite-fcgi processes, its temporary prefix and every
container it or its daemons created (checked by label at the end).
"""

import datetime
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import dockerproxy  # noqa: E402
import engine as eng  # noqa: E402
import httpload  # noqa: E402


def env_int(name, default, lo=1, hi=10**7):
    v = os.environ.get(name, "")
    if v == "":
        return default
    try:
        n = int(v)
    except ValueError:
        sys.exit(f"bench: {name} must be a whole number, not {v!r}")
    if not lo <= n <= hi:
        sys.exit(f"bench: {name} must be between {lo} and {hi}")
    return n


BUILD = os.path.join(ROOT, os.environ.get("B", "build"))
IGNITE = os.path.join(BUILD, "ignite")
FCGI = os.path.join(BUILD, "ignite-fcgi")
N = env_int("BENCH_N", 30, 3, 10000)                        # latency samples per scenario
DURATION = env_int("BENCH_DURATION", 30, 2, 3600)           # throughput phases, seconds
EP_DURATION = env_int("BENCH_ENDPOINT_DURATION", 10, 1, 3600)
RSS_REQUESTS = env_int("BENCH_RSS_REQUESTS", 10000, 10, 10**7)
TRACE_N = env_int("BENCH_TRACE_N", 6, 1, 1000)
WARM_POOL = env_int("BENCH_WARM_POOL", 2, 1, 64)
MAX_CONCURRENT = env_int("BENCH_MAX_CONCURRENT", 16, 1, 256)     # ignite-fcgi --max-concurrent(-per-key)
SETTLE_S = 0.05         # pause between latency scenarios
PRESTART_IDLE_S = 1.0   # a pre-started container's runtime boots in this time
SLOT_WAIT_MS = env_int("BENCH_SLOT_WAIT_MS", 2000, 0, 30000)    # ignite-fcgi --slot-wait
OUT_DIR = os.environ.get("BENCH_OUT", HERE)
DOCKER_SOCK = "/var/run/docker.sock"
IMAGE = "ignite-runtime/node:24.22.3"
SERVICE_SRC = os.path.join(ROOT, "examples", "hello")
INPUT = {"name": "x"}
EXPECT = "Hello, x!"

T_START = time.monotonic()


def log(msg):
    el = time.monotonic() - T_START
    print(f"[bench {int(el // 60)}:{int(el % 60):02d}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- statistics

def pct(values, p):
    """Nearest-rank percentile of values (any order); None when empty."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, math.ceil(p / 100.0 * len(v)) - 1))
    return v[k]


def summary_ms(seconds):
    ms = [s * 1000.0 for s in seconds]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50": round(pct(ms, 50), 1), "p95": round(pct(ms, 95), 1),
            "p99": round(pct(ms, 99), 1), "mean": round(sum(ms) / len(ms), 1),
            "min": round(min(ms), 1), "max": round(max(ms), 1)}


def median(v):
    v = [x for x in v if x is not None]
    return round(pct(v, 50), 1) if v else None


# ---------------------------------------------------------------- processes

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid):
    """utime+stime of pid in seconds (None if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def proc_start_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    return data[data.rindex(")") + 2:].split()[19]


def proc_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def engine_pids(sock_path):
    """[dockerd, its containerd…]: the process listening on sock_path (found
    through the socket's inode) and its children named containerd."""
    inode = None
    try:
        with open("/proc/net/unix") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 8 and parts[-1] == sock_path and parts[5] == "01":   # listening
                    inode = parts[6]
    except OSError:
        return []
    if inode is None:
        return []
    want = f"socket:[{inode}]"
    daemon = None
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{d}/fd"):
                if os.readlink(f"/proc/{d}/fd/{fd}") == want:
                    daemon = int(d)
                    break
        except OSError:
            continue
        if daemon:
            break
    if daemon is None:
        return []
    pids = [daemon]
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    data = f.read()
                comm = data[data.index("(") + 1:data.rindex(")")]
                ppid = int(data[data.rindex(")") + 2:].split()[1])
                if ppid == daemon and comm == "containerd":
                    pids.append(int(d))
            except (OSError, ValueError):
                pass
    return pids


def sys_cpu():
    """(busy, total) jiffies from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def proc_snapshot():
    """{pid: (comm, cpu seconds)} of every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                data = f.read()
        except OSError:
            continue
        rest = data[data.rindex(")") + 2:].split()
        out[int(d)] = (data[data.index("(") + 1:data.rindex(")")],
                       (int(rest[11]) + int(rest[12])) / CLK_TCK, int(rest[1]))
    return out


def descendants(snap, root):
    kids = {}
    for pid, (_, _, ppid) in snap.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = set(), [root]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            if k not in out:
                out.add(k)
                todo.append(k)
    return out


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Procs:
    """Every long-lived process the benchmark started, so cleanup can stop them."""

    def __init__(self):
        self.items = []

    def add(self, p):
        self.items.append(p)
        return p

    @staticmethod
    def stop(p, sig=signal.SIGTERM, wait=20):
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(sig)
            p.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
        except OSError:
            pass

    def stop_all(self):
        for p in reversed(self.items):
            self.stop(p)


PROCS = Procs()


# ---------------------------------------------------------------- the stack

class Stack:
    """nginx (rendered from nginx/dev.conf.in by scripts/stack.sh) in front of
    one ignite-fcgi, both in a private prefix, on a free loopback port."""

    def __init__(self, bench, name, warm_pool, docker_host=None, workers=24):
        self.b = bench
        self.workers = workers
        self.name = name
        self.warm_pool = warm_pool
        self.docker_host = docker_host
        self.dir = os.path.join(bench.prefix, name)
        self.sock = os.path.join(self.dir, "fcgi.sock")
        self.runs = os.path.join(self.dir, "runs")
        self.port = None
        self.daemon = None
        self.nginx = None
        self.stopped = False

    def start(self):
        os.makedirs(self.runs)
        os.makedirs(os.path.join(self.dir, "nginx"))
        args = [FCGI, "--socket", self.sock, "--socket-mode", "0666",
                "--services", self.b.services, "--runs", self.runs, "--keys", self.b.keys,
                "--workers", str(self.workers), "--warm-pool", str(self.warm_pool),
                "--max-concurrent", str(MAX_CONCURRENT), "--max-concurrent-per-key", str(MAX_CONCURRENT),
                "--slot-wait", str(SLOT_WAIT_MS),
                "--rate-limit", "1000000", "--shutdown-grace", "15"]
        if self.docker_host:
            args += ["--docker-host", self.docker_host]
        self.daemon_log = open(os.path.join(self.dir, "ignite-fcgi.log"), "wb")
        self.daemon = PROCS.add(subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.daemon_log,
                                                 stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 15
        while not os.path.exists(self.sock):
            if self.daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ignite-fcgi ({self.name}) did not start; see {self.daemon_log.name}")
            time.sleep(0.05)
        self.owner_prefix = f"{self.daemon.pid}."
        ngdir = os.path.join(self.dir, "nginx")
        for attempt in range(5):
            self.port = free_port()
            conf = subprocess.run(["bash", os.path.join(ROOT, "scripts", "stack.sh"), "nginx-conf", ngdir,
                                   str(self.port), self.sock, os.path.join(ROOT, "static")],
                                  check=True, capture_output=True, text=True).stdout
            # The per-address request limiter of the dev config would turn a
            # load test into a test of the limiter: the benchmark measures
            # the daemon (keys get --rate-limit 1000000 for the same reason).
            conf = "\n".join(ln for ln in conf.splitlines() if not re.match(r"\s*limit_req\s", ln)) + "\n"
            with open(os.path.join(ngdir, "nginx.conf"), "w") as f:
                f.write(conf)
            self.nginx = PROCS.add(subprocess.Popen(
                ["nginx", "-p", ngdir, "-e", os.path.join(ngdir, "error.log"), "-c", os.path.join(ngdir, "nginx.conf")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True))
            if self._wait_health(10):
                return
            PROCS.stop(self.nginx)
        raise RuntimeError(f"nginx ({self.name}) did not answer; see {ngdir}/error.log")

    def _wait_health(self, secs):
        import http.client
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                return False
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/api/health")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def target(self):
        return httpload.Target(self.port, f"/api/services/{self.b.svc}/execute", self.b.key,
                               body={"input": INPUT}, expect_stdout=EXPECT)

    def cpu(self):
        return proc_cpu_s(self.daemon.pid)

    def rss_kb(self):
        return proc_rss_kb(self.daemon.pid)

    def warm_ready(self, engine):
        n = 0
        for c in engine.list([f"ignite.service={self.b.svc}", "ignite.run=warm"], all_=False):
            if c.get("Labels", {}).get("ignite.owner", "").startswith(self.owner_prefix) and c.get("State") == "running":
                n += 1
        return n

    def wait_pool(self, engine, want, secs=15.0):
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            if self.warm_ready(engine) >= want:
                return True
            time.sleep(0.05)
        return False

    def died(self):
        """None while ignite-fcgi runs (or after a stop this benchmark asked
        for), else how it ended by itself: {"exit": n} or {"signal": n}."""
        if self.daemon is None or self.stopped or self.daemon.poll() is None:
            return None
        rc = self.daemon.returncode
        return {"signal": -rc} if rc < 0 else {"exit": rc}

    def stop(self):
        if self.daemon is not None and not self.stopped:
            d = self.died()
            if d is not None:
                self.b.results.setdefault("daemonDied", []).append(dict(d, stack=self.name, noticed="at stop"))
        self.stopped = True
        PROCS.stop(self.nginx, signal.SIGQUIT, wait=10)
        PROCS.stop(self.daemon, signal.SIGTERM, wait=30)
        if getattr(self, "daemon_log", None):
            self.daemon_log.close()


# ---------------------------------------------------------------- the benchmark

class Bench:
    def __init__(self):
        self.run_id = secrets.token_hex(4)
        self.svc = f"bench-{self.run_id}"
        self.label = f"ignite.bench={self.run_id}"
        self.engine = eng.Engine(DOCKER_SOCK)
        self.results = {"schema": 1, "config": {
            "latencySamples": N, "throughputSeconds": DURATION, "endpointSeconds": EP_DURATION,
            "rssRequests": RSS_REQUESTS, "traceExecutions": TRACE_N, "warmPool": WARM_POOL,
            "maxConcurrent": MAX_CONCURRENT, "slotWaitMs": SLOT_WAIT_MS,
            "image": IMAGE, "input": INPUT}}
        self.prefix = None
        self.stacks = []
        self.line = None

    # ---- setup ----

    def check_prereqs(self):
        for p in (IGNITE, FCGI):
            if not os.access(p, os.X_OK):
                sys.exit(f"bench: {p} is missing (make B={os.path.basename(BUILD)})")
        for tool in ("nginx", "wrk", "docker"):
            if shutil.which(tool) is None:
                sys.exit(f"bench: {tool} is not installed (scripts/deps.sh installs it)")
        if not os.path.exists(os.path.join(ROOT, "nginx", "dev.conf.in")):
            sys.exit("bench: nginx/dev.conf.in is missing")
        try:
            self.docker_version = self.engine.version()
            self.engine.request("GET", f"/images/{IMAGE}/json")
        except (OSError, eng.EngineError) as e:
            sys.exit(f"bench: Docker engine or image {IMAGE} unavailable ({e}); run `make runtimes`")

    def machine_facts(self):
        def first(path, key):
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith(key):
                            return line.split(":", 1)[1].strip()
            except OSError:
                pass
            return None
        def cmd(*a):
            try:
                r = subprocess.run(a, capture_output=True, text=True, timeout=10)
                return (r.stdout + r.stderr).strip().splitlines()[0]
            except (OSError, IndexError, subprocess.SubprocessError):
                return None
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        foreign = [c for c in self.engine.list([], all_=False)
                   if self.run_id not in json.dumps(c.get("Labels", {}))]
        return {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "nproc": os.cpu_count(), "cpu": first("/proc/cpuinfo", "model name"),
            "memTotal": first("/proc/meminfo", "MemTotal"), "kernel": os.uname().release,
            "os": cmd("sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""),
            "docker": f'{self.docker_version.get("Version")} (API {self.docker_version.get("ApiVersion")}, '
                      f'{self.docker_version.get("Os")}, storage {self.docker_info_driver()})',
            "nginx": cmd("nginx", "-v"), "wrk": cmd("wrk", "-v"),
            "python": sys.version.split()[0], "loadavgAtStart": load,
            "otherContainersRunningAtStart": len(foreign),
        }

    def docker_info_driver(self):
        try:
            _, info = self.engine.request("GET", "/info")
            return info.get("Driver")
        except (OSError, eng.EngineError):
            return "?"

    def setup(self):
        self.prefix = tempfile.mkdtemp(prefix="ignite-bench.")
        os.chmod(self.prefix, 0o755)
        self.services = os.path.join(self.prefix, "services")
        self.svc_dir = os.path.join(self.services, self.svc)
        shutil.copytree(SERVICE_SRC, self.svc_dir)
        p = os.path.join(self.svc_dir, "service.yaml")
        with open(p) as f:
            y = f.read()
        y2 = re.sub(r"(?m)^(\s*name:\s*)hello\s*$", r"\g<1>" + self.svc, y, count=1)
        if y2 == y:
            raise RuntimeError("examples/hello/service.yaml: no `name: hello` line to rename")
        with open(p, "w") as f:
            f.write(y2)
        self.keys = os.path.join(self.prefix, "keys")
        r = subprocess.run([IGNITE, "keys", "add", "bench", "--scope", "admin", "--file", self.keys],
                           capture_output=True, text=True, check=True)
        keys = [ln.strip() for ln in r.stdout.splitlines() if ln.strip().startswith("ign_")]
        if not keys:
            raise RuntimeError(f"ignite keys add printed no key: {r.stdout!r} {r.stderr!r}")
        self.key = keys[-1]
        self.cli_runs = os.path.join(self.prefix, "cli-runs")
        self.line = eng.launcher_line(secrets.token_hex(32), INPUT)
        self.cmd = self.container_cmd()
        self.docker_args = [
            "docker", "run", "--rm", "-i",
            "--network", "none", "--read-only", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges", "--user", "10001:10001",
            "--tmpfs", "/tmp:rw,noexec,nosuid,nodev,size=32m", "--pids-limit", "64",
            "--memory", "128m", "--init", "--log-driver", "none",
            "-v", f"{self.svc_dir}:/app:ro", "-w", "/app",
            "--label", self.label, IMAGE] + self.cmd
        self.api_config = {
            "Image": IMAGE, "Cmd": self.cmd, "WorkingDir": "/app", "User": "10001:10001",
            "AttachStdin": True, "AttachStdout": True, "AttachStderr": True,
            "OpenStdin": True, "StdinOnce": True, "Tty": False,
            "Labels": {"ignite.bench": self.run_id},
            "HostConfig": {
                "NetworkMode": "none", "ReadonlyRootfs": True, "CapDrop": ["ALL"],
                "SecurityOpt": ["no-new-privileges"],
                "Tmpfs": {"/tmp": "rw,noexec,nosuid,nodev,size=32m"}, "PidsLimit": 64,
                "Memory": 128 * 1024 * 1024, "Init": True,
                "LogConfig": {"Type": "none", "Config": {}},
                "Binds": [f"{self.svc_dir}:/app:ro"]}}
        self.results["config"]["containerCmd"] = self.cmd

    def container_cmd(self):
        """The node 24 Cmd for the audit-default policy, from runtimes/runtimes.json
        (the algorithm of runtimes/README.md "The container Cmd")."""
        with open(os.path.join(ROOT, "runtimes", "runtimes.json")) as f:
            rts = json.load(f)
        rt = next(r for r in rts["runtimes"] if r["name"] == "node")
        ver = next(v for v in rt["versions"] if v["version"] == IMAGE.split(":")[1])

        def frag(which):
            f = dict(rt.get(which, {}))
            f.update(ver.get(which, {}))
            return f.get("base", []) + f.get("networkDenied", []) + f.get("fsReadOnly", []) + f.get("spawnDenied", [])
        c = rt["command"]
        at = rt["argsAt"]
        return c[:at] + frag("args") + c[at:] + frag("launcherArgs") + [rt["entryArg"].replace("{entry}", "index.ts")]

    # ---- single runs ----

    def docker_run_once(self):
        t0 = time.perf_counter()
        r = subprocess.run(self.docker_args, input=self.line, capture_output=True, timeout=120)
        dt = time.perf_counter() - t0
        return r.returncode == 0 and EXPECT.encode() in r.stdout, dt

    def cli_once(self):
        t0 = time.perf_counter()
        r = subprocess.run([IGNITE, "run", self.svc_dir, "--audit", "--json", "--input", json.dumps(INPUT),
                            "--runs-dir", self.cli_runs], capture_output=True, timeout=120)
        dt = time.perf_counter() - t0
        return r.returncode == 0 and EXPECT.encode() in r.stdout, dt

    def http_once(self, stack):
        import http.client
        t = stack.target()
        c = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=120)
        try:
            ok, status, lat, j, why = httpload.one(c, t)
        except (OSError, http.client.HTTPException) as e:
            ok, lat, j, why = False, 0.0, None, type(e).__name__
        c.close()
        return ok, lat, j, why

    # ---- phases ----

    def phase_latency(self, cold, warm):
        """Concurrency 1, every scenario once per round, in an order that
        rotates from round to round, so slow drifts of this shared machine
        and after-effects of one scenario on the next hit all scenarios
        alike. Round 0 is a warm-up and not counted. Before each warm request
        the pool is full again (and after it, the refill finishes before the
        next scenario); the container for the "pre-started" scenario is
        created during that refill wait, untimed, and is at least
        PRESTART_IDLE_S old when its request line is delivered."""
        names = ["docker run --rm -i", "engine API, fresh container", "engine API, pre-started container",
                 "ignite run (CLI, cold)", "HTTP execute, cold (pool off)", "HTTP execute, warm (pool on)",
                 "engine API, fresh container, ignite-fcgi's config"]
        lat = {n: [] for n in names}
        errs = {n: 0 for n in names}
        api_times = []
        api_ig_times = []
        pre_times = []
        http_metrics = {"cold": [], "warm": []}
        warm_hits = 0
        pool_not_full = 0
        cpu0 = {"cold": None, "warm": None}
        pre = None          # (cid, attach, started_at)

        def prestart():
            cid = self.engine.create(self.ignite_config)
            at = self.engine.attach(cid)
            self.engine.start(cid)
            return cid, at, time.monotonic()

        def record(i, ok, dt, counted):
            if not counted:
                return False
            if ok:
                lat[names[i]].append(dt)
            else:
                errs[names[i]] += 1
            return ok

        def s_pre(counted):
            nonlocal pre
            if pre is None:
                pre = try_prestart()
                if pre is None:
                    return
            cid, at, started = pre
            pre = None
            # Untimed: let the runtime finish booting.
            idle = PRESTART_IDLE_S - (time.monotonic() - started)
            if idle > 0:
                time.sleep(idle)
            r = self.deliver_prestarted(cid, at)
            if record(2, r["ok"], r.get("total_s", 0.0), counted):
                pre_times.append(r)

        def s_docker(counted):
            ok, dt = self.docker_run_once()
            record(0, ok, dt, counted)

        def s_api(counted):
            r = eng.run_once(self.engine, self.api_config, self.line)
            if record(1, r["ok"], r["times"].get("total", 0.0) / 1000.0, counted):
                api_times.append(r)

        def s_api_ig(counted):
            r = eng.run_once(self.engine, self.ignite_config, self.line)
            if record(6, r["ok"], r["times"].get("total", 0.0) / 1000.0, counted):
                api_ig_times.append(r)

        def s_cli(counted):
            ok, dt = self.cli_once()
            record(3, ok, dt, counted)

        def s_cold(counted):
            ok, dt, j, why = self.http_once(cold)
            if record(4, ok, dt, counted):
                http_metrics["cold"].append((dt, j))

        def s_warm(counted):
            nonlocal pool_not_full, warm_hits, pre
            # Round 0's request is what creates the demand for this configuration.
            if counted and not warm.wait_pool(self.engine, WARM_POOL, 15.0):
                pool_not_full += 1
            ok, dt, j, why = self.http_once(warm)
            if record(5, ok, dt, counted):
                http_metrics["warm"].append((dt, j))
                if j["metrics"].get("coldStart") is False:
                    warm_hits += 1
            # Not timed: the refill must not overlap the next scenario; the
            # next "pre-started" container is created during the same wait.
            if pre is None:
                pre = try_prestart()
            warm.wait_pool(self.engine, WARM_POOL, 20.0 if not counted else 15.0)

        def try_prestart():
            try:
                return prestart()
            except (OSError, eng.EngineError) as e:
                log(f"pre-start failed: {e}")
                return None

        scenarios = [s_pre, s_docker, s_api, s_api_ig, s_cli, s_cold, s_warm]
        for rnd in range(N + 1):
            counted = rnd > 0
            if rnd == 1:
                cpu0 = {"cold": cold.cpu(), "warm": warm.cpu()}
            # The order rotates every round, so no scenario always follows the
            # same one (a container's removal can still be settling in the
            # engine when the next scenario starts).
            for k in range(len(scenarios)):
                scenarios[(rnd + k) % len(scenarios)](counted)
                time.sleep(SETTLE_S)
            if rnd % 5 == 0:
                log(f"latency round {rnd}/{N}")
        if pre is not None:
            cid, at, _ = pre
            at.close()
            self.engine.remove(cid)
        cpu1 = {"cold": cold.cpu(), "warm": warm.cpu()}
        nc, nw = len(lat[names[4]]) + errs[names[4]], len(lat[names[5]]) + errs[names[5]]
        out = {"scenarios": [], "warmHits": warm_hits, "warmRequests": len(lat[names[5]]),
               "poolNotFullBeforeWarmRequest": pool_not_full}
        for n in names:
            s = summary_ms(lat[n])
            s["scenario"] = n
            s["errors"] = errs[n]
            out["scenarios"].append(s)
        out["cpuPerExecutionMs"] = {
            "cold": round((cpu1["cold"] - cpu0["cold"]) * 1000.0 / nc, 2) if nc else None,
            "warm": round((cpu1["warm"] - cpu0["warm"]) * 1000.0 / nw, 2) if nw else None,
            "note": "ignite-fcgi utime+stime over the counted concurrency-1 executions / their number; "
                    "warm includes the pool thread creating the replacement container"}
        # breakdowns
        def med(rs, k):
            return median([x["times"].get(k) for x in rs])
        for key, rs in (("engineFresh", api_times), ("engineFreshIgniteConfig", api_ig_times)):
            out[key] = {k: med(rs, k) for k in (
                "create", "attach", "start", "start_to_rec_start", "rec_start_to_loaded", "loaded_to_exit_rec",
                "exit_rec_to_stream_end", "wait", "remove", "total")}
            out[key]["launcherBootMs"] = median([x.get("bootMs") for x in rs])
        out["enginePrestarted"] = {k: median([x["times"].get(k) for x in pre_times]) for k in (
            "deliver_to_rec_start", "rec_start_to_loaded", "loaded_to_exit_rec", "exit_rec_to_stream_end",
            "deliver_to_stream_end", "wait", "remove")}
        out["enginePrestarted"]["total"] = median([x["total_s"] * 1000.0 for x in pre_times])
        for mode in ("cold", "warm"):
            hm = http_metrics[mode]
            out["http_" + mode] = {
                "executionTimeMs": median([j["metrics"].get("executionTimeMs") for _, j in hm]),
                "initTimeMs": median([j["metrics"].get("initTimeMs") for _, j in hm]),
                "totalMs": median([dt * 1000.0 for dt, _ in hm]),
                "outsideExecutionMs": median([dt * 1000.0 - (j["metrics"].get("executionTimeMs") or 0) for dt, j in hm]),
            }
        return out

    def deliver_prestarted(self, cid, at):
        """Delivers the request line to a container started earlier and reads
        it to the end; then wait and remove. The pre-started floor of a warm pool."""
        r = {"ok": False}
        t0 = time.perf_counter()
        seen = {}
        out = b""
        try:
            at.send_stdin_and_close(self.line)
            for stream, payload in at.frames():
                now = time.perf_counter()
                if stream == 1:
                    out += payload
                for k in (b'"t":"start"', b'"t":"loaded"', b'"t":"exit"'):
                    if stream == 2 and k in payload and k not in seen:
                        seen[k] = now
            t1 = time.perf_counter()
            at.close()
            code = self.engine.wait(cid)
            t2 = time.perf_counter()
            self.engine.remove(cid)
            t3 = time.perf_counter()
        except (OSError, eng.EngineError) as e:
            at.close()
            try:
                self.engine.remove(cid)
            except (OSError, eng.EngineError):
                pass
            r["error"] = str(e)
            return r
        ms = lambda a, b: round((b - a) * 1000.0, 3)
        g = seen.get
        r.update(ok=code == 0 and EXPECT.encode() in out, total_s=t3 - t0, times={
            "deliver_to_rec_start": ms(t0, g(b'"t":"start"')) if g(b'"t":"start"') else None,
            "rec_start_to_loaded": ms(g(b'"t":"start"'), g(b'"t":"loaded"')) if g(b'"t":"loaded"') and g(b'"t":"start"') else None,
            "loaded_to_exit_rec": ms(g(b'"t":"loaded"'), g(b'"t":"exit"')) if g(b'"t":"exit"') and g(b'"t":"loaded"') else None,
            "exit_rec_to_stream_end": ms(g(b'"t":"exit"'), t1) if g(b'"t":"exit"') else None,
            "deliver_to_stream_end": ms(t0, t1), "wait": ms(t1, t2), "remove": ms(t2, t3)})
        return r

    def engine_cpu(self):
        """utime+stime of the dockerd serving DOCKER_SOCK and its containerd
        (other dockerds on the machine are not counted)."""
        if not self.engine_pids:
            return 0.0
        return sum(proc_cpu_s(p) or 0.0 for p in self.engine_pids)

    def churn_slice(self, conc, seconds, config):
        """The engine's ceiling: conc threads, each with its own engine
        connection, looping the engine API sequence (create, attach, start,
        deliver, read to the end, wait, remove) until the deadline."""
        lock = threading.Lock()
        st = {"ok": 0, "errors": 0, "lat": [], "why": {}}
        start = time.perf_counter()
        deadline = start + seconds
        last = [start]

        def worker():
            e = eng.Engine(DOCKER_SOCK)
            while time.perf_counter() < deadline:
                r = eng.run_once(e, config, self.line)
                now = time.perf_counter()
                with lock:
                    last[0] = max(last[0], now)
                    if r["ok"]:
                        st["ok"] += 1
                        st["lat"].append(r["times"]["total"] / 1000.0)
                    else:
                        st["errors"] += 1
                        k = (r.get("error") or f"exit {r.get('exit')}")[:80]
                        st["why"][k] = st["why"].get(k, 0) + 1
            e.close()

        ths = [threading.Thread(target=worker, daemon=True) for _ in range(conc)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        st["elapsed"] = last[0] - start
        return st

    def phase_throughput(self, cold, warm):
        """Closed-loop throughput. Each scenario runs DURATION seconds in two
        halves, in the order A B C D E F F D C B A (the middle two halves run
        as one), so a slow drift of this shared machine (other work starting
        or stopping) weighs on every scenario alike. A slice ends by letting
        the requests in flight finish; their time counts."""
        scen = [("engine API churn (ceiling)", self.api_config, 16),
                ("engine API churn, ignite-fcgi's config", self.ignite_config, 16),
                ("HTTP execute, cold (pool off)", cold, 4), ("HTTP execute, cold (pool off)", cold, 16),
                (f"HTTP execute, warm (pool {WARM_POOL})", warm, 4), (f"HTTP execute, warm (pool {WARM_POOL})", warm, 16)]
        acc = {i: {"ok": 0, "errors": 0, "lat": [], "why": {}, "elapsed": 0.0, "warm": 0, "cold": 0,
                   "dcpu": 0.0, "ecpu": 0.0, "busy": 0, "total": 0} for i in range(len(scen))}
        half = DURATION / 2.0
        n = len(scen)
        order = [(i, half) for i in range(n - 1)] + [(n - 1, 2 * half)] + [(i, half) for i in reversed(range(n - 1))]
        for k, (i, secs) in enumerate(order):
            label, stack, conc = scen[i]
            log(f"throughput {k + 1}/{len(order)}: {label}, concurrency {conc}, {secs:g} s")
            if isinstance(stack, Stack) and stack.died():
                raise RuntimeError(f"ignite-fcgi ({stack.name}) died: {stack.died()}")
            http = isinstance(stack, Stack)
            c0 = stack.cpu() if http else 0.0
            e0, s0 = self.engine_cpu(), sys_cpu()
            if not http:
                st = self.churn_slice(conc, secs, stack)
            else:
                st = httpload.run(stack.target(), conc, duration_s=secs)
            c1 = stack.cpu() if http else 0.0
            e1, s1 = self.engine_cpu(), sys_cpu()
            a = acc[i]
            for f in ("ok", "errors", "elapsed"):
                a[f] += st[f]
            a["lat"] += st["lat"]
            a["warm"] += st.get("warm", 0)
            a["cold"] += st.get("cold", 0)
            for w, n in st["why"].items():
                a["why"][w] = a["why"].get(w, 0) + n
            a["dcpu"] += (c1 or 0.0) - (c0 or 0.0)
            a["ecpu"] += e1 - e0
            a["busy"] += s1[0] - s0[0]
            a["total"] += s1[1] - s0[1]
        rows = []
        for i, (label, stack, conc) in enumerate(scen):
            a = acc[i]
            n = a["ok"] + a["errors"]
            lats = summary_ms(a["lat"])
            row = {"scenario": label, "concurrency": conc, "seconds": round(a["elapsed"], 1),
                   "completed": a["ok"], "errors": a["errors"], "errorKinds": a["why"],
                   "perSecond": round(a["ok"] / a["elapsed"], 2) if a["elapsed"] > 0 else 0.0,
                   "p50": lats.get("p50"), "p99": lats.get("p99"),
                   "daemonCpuMsPerExecution": round(a["dcpu"] * 1000.0 / n, 2) if n and isinstance(stack, Stack) else None,
                   "engineCpuMsPerExecution": round(a["ecpu"] * 1000.0 / n, 2) if n else None,
                   "systemBusy": round(a["busy"] / max(1, a["total"]), 3)}
            if isinstance(stack, Stack):
                row["warmHits"], row["coldStarts"] = a["warm"], a["cold"]
            rows.append(row)
        return rows

    def phase_rss(self, stack):
        """RSS before and after RSS_REQUESTS non-execute requests (health,
        services, runs in turn, 8 keep-alive connections). /api/runs requests
        go one at a time: concurrent ones crash ignite-fcgi today (the run
        store's cached summaries are shared between threads; see
        bench/README.md) and this phase measures memory, not that crash."""
        log(f"RSS: {RSS_REQUESTS} non-execute requests")
        paths = ["/api/health", "/api/services", "/api/runs?limit=20"]
        before = stack.rss_kb()
        cpu0 = stack.cpu()
        st = {"ok": 0, "errors": 0}
        lock = threading.Lock()
        counter = [0]
        runs_lock = threading.Lock()
        import http.client

        def worker():
            c = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
            hdr = {"Authorization": "Bearer " + self.key}
            while True:
                with lock:
                    i = counter[0]
                    if i >= RSS_REQUESTS:
                        break
                    counter[0] += 1
                try:
                    if i % 3 == 2:
                        with runs_lock:
                            c.request("GET", paths[2], headers=hdr)
                            r = c.getresponse()
                            r.read()
                    else:
                        c.request("GET", paths[i % 3], headers=hdr)
                        r = c.getresponse()
                        r.read()
                    ok = r.status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
                with lock:
                    st["ok" if ok else "errors"] += 1
            c.close()

        t0 = time.perf_counter()
        ths = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        el = time.perf_counter() - t0
        time.sleep(0.5)
        after = stack.rss_kb()
        return {"requests": RSS_REQUESTS, "errors": st["errors"], "rssBeforeKb": before, "rssAfterKb": after,
                "growthKb": after - before if after is not None and before is not None else None,
                "seconds": round(el, 1),
                "daemonCpuUsPerRequest": round((stack.cpu() - cpu0) * 1e6 / RSS_REQUESTS, 1)}

    def phase_endpoints(self, stack):
        rows = []
        for path in ("/api/health", "/api/services", "/api/runs"):
            log(f"wrk -c16 -d{EP_DURATION}s {path}")
            args = ["wrk", "-t2", "-c16", f"-d{EP_DURATION}s", "--latency", "-H", "Authorization: Bearer " + self.key,
                    f"http://127.0.0.1:{stack.port}{path}"]
            c0 = stack.cpu()
            p = PROCS.add(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                           start_new_session=True))
            out, _ = p.communicate(timeout=EP_DURATION + 60)
            c1 = stack.cpu()
            row = self.parse_wrk(path, out, (c1 or c0) - c0)
            d = stack.died()
            if d is not None:
                row["daemonDied"] = d
                self.results.setdefault("daemonDied", []).append(dict(d, stack=stack.name, noticed=f"wrk {path}"))
                stack.stopped = True
                log(f"ignite-fcgi ({stack.name}) died during wrk {path}: {d}")
                rows.append(row)
                break
            rows.append(row)
        return rows

    @staticmethod
    def parse_wrk(path, out, cpu_s):
        def num(pattern, conv=float):
            m = re.search(pattern, out)
            return conv(m.group(1)) if m else None

        def dur_ms(s):
            m = re.match(r"([\d.]+)(us|ms|s|m)$", s or "")
            if not m:
                return None
            return round(float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)], 3)
        total = num(r"(\d+) requests in", int)
        non2xx = num(r"Non-2xx or 3xx responses: (\d+)", int) or 0
        sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        sock_err = sum(int(x) for x in sock.groups()) if sock else 0
        return {"path": path, "requestsPerSecond": num(r"Requests/sec:\s+([\d.]+)"), "requests": total,
                "non2xx": non2xx, "socketErrors": sock_err,
                "p50Ms": dur_ms(num(r"\n\s+50%\s+(\S+)", str)), "p99Ms": dur_ms(num(r"\n\s+99%\s+(\S+)", str)),
                "daemonCpuUsPerRequest": round(cpu_s * 1e6 / total, 1) if total else None,
                "raw": out.strip().splitlines()[-12:]}

    def phase_trace(self):
        """Docker API calls per execution: a cold and a warm daemon pointed at a
        timing proxy on the engine socket, TRACE_N sequential executions each."""
        log(f"trace: Docker API calls per execution ({TRACE_N} cold, {TRACE_N} warm)")
        proxy = dockerproxy.DockerProxy(os.path.join(self.prefix, "docker-proxy.sock"), DOCKER_SOCK)
        out = {}
        self.ignite_config = None
        try:
            for mode, pool in (("cold", 0), ("warm", WARM_POOL)):
                # One worker, so the first request's API version negotiation
                # is the warm-up's and not counted as per-execution work.
                s = Stack(self, f"trace-{mode}", pool, docker_host="unix://" + proxy.listen_path, workers=1)
                self.stacks.append(s)
                s.start()
                ok, _, _, _ = self.http_once(s)      # warm-up (and demand for the pool)
                if not ok:
                    raise RuntimeError(f"trace-{mode}: the warm-up execution failed; see {s.dir}")
                if pool:
                    s.wait_pool(self.engine, pool, 20)
                time.sleep(0.3)
                proxy.take()
                t0 = time.monotonic()
                n = 0
                hits = 0
                for _ in range(TRACE_N):
                    if pool:
                        s.wait_pool(self.engine, pool, 15)
                    ok, _, j, _ = self.http_once(s)
                    n += 1
                    hits += 1 if ok and j["metrics"].get("coldStart") is False else 0
                if pool:
                    s.wait_pool(self.engine, pool, 15)     # the refills the requests caused
                time.sleep(0.3)
                t1 = time.monotonic()
                recs = proxy.take()
                if self.ignite_config is None:
                    self.ignite_config = self.capture_config(recs)
                out[mode] = {"executions": n, "warmHits": hits,
                             "calls": dockerproxy.summarize(recs, n, (t0, t1))}
                s.stop()
        finally:
            proxy.close()
        return out

    def capture_config(self, recs):
        """ignite-fcgi's own container create body (a cold run's), relabelled
        for this benchmark: the engine scenarios "ignite-fcgi's config" use it."""
        for r in recs:
            if r["path"] == "/containers/create" and r.get("body") and not r["warm_create"]:
                try:
                    cfg = json.loads(r["body"])
                except ValueError:
                    continue
                cfg["Labels"] = {"ignite.bench": self.run_id}
                return cfg
        return None

    def config_diff(self):
        """What ignite-fcgi's create body sets differently from the baseline's."""
        a, b_ = self.api_config, self.ignite_config or {}
        diff = {}
        for k in sorted(set(a) | set(b_)):
            if k in ("HostConfig", "Labels"):
                continue
            if a.get(k) != b_.get(k):
                diff[k] = {"baseline": a.get(k), "ignite": b_.get(k)}
        ha, hb = a.get("HostConfig", {}), b_.get("HostConfig", {})
        for k in sorted(set(ha) | set(hb)):
            if ha.get(k) != hb.get(k):
                diff["HostConfig." + k] = {"baseline": ha.get(k), "ignite": hb.get(k)}
        return diff

    def leftovers(self):
        """Containers this run (or its daemons, or its CLI runs) left behind."""
        found = []
        for labels in ([self.label], [f"ignite.service={self.svc}"]):
            for c in self.engine.list(labels):
                found.append({"id": c["Id"][:12], "state": c.get("State"), "labels": {
                    k: v for k, v in c.get("Labels", {}).items() if k.startswith("ignite.")}})
                try:
                    self.engine.remove(c["Id"])
                except (OSError, eng.EngineError):
                    pass
        return found

    def cmd_matches_daemon(self, stack):
        """Checks the baseline's Cmd and hardening match what ignite-fcgi creates."""
        for c in self.engine.list([f"ignite.service={self.svc}", "ignite.run=warm"], all_=False):
            if not c.get("Labels", {}).get("ignite.owner", "").startswith(stack.owner_prefix):
                continue
            i = self.engine.inspect(c["Id"])
            hc = i["HostConfig"]
            return {"cmdEqual": i["Config"]["Cmd"] == self.cmd,
                    "daemon": {"User": i["Config"]["User"], "NetworkMode": hc.get("NetworkMode"),
                               "ReadonlyRootfs": hc.get("ReadonlyRootfs"), "CapDrop": hc.get("CapDrop"),
                               "SecurityOpt": hc.get("SecurityOpt"), "Tmpfs": hc.get("Tmpfs"),
                               "PidsLimit": hc.get("PidsLimit"), "Memory": hc.get("Memory"),
                               "NanoCpus": hc.get("NanoCpus"), "Init": hc.get("Init"),
                               "LogConfig": (hc.get("LogConfig") or {}).get("Type")}}
        return None

    # ---- main ----

    def other_load(self, snap0, s0):
        """What else used the CPU during the run: processes alive at the end,
        by name, CPU seconds since the start (this benchmark's own process
        tree left out; its containers' processes are not in that tree and
        show up as node, containerd-shim, runc, docker-init)."""
        snap1, s1 = proc_snapshot(), sys_cpu()
        mine = descendants(snap1, os.getpid()) | {os.getpid()}
        by = {}
        for pid, (comm, cpu, _) in snap1.items():
            if pid in mine:
                continue
            before = snap0.get(pid)
            d = cpu - before[1] if before and before[0] == comm else cpu
            if d > 0:
                by[comm] = by.get(comm, 0.0) + d
        top = sorted(by.items(), key=lambda kv: -kv[1])[:8]
        return {"machineBusy": round((s1[0] - s0[0]) / max(1, s1[1] - s0[1]), 3),
                "topOtherCpuSeconds": [[k, round(v, 1)] for k, v in top]}

    def run(self):
        snap0, sys0 = proc_snapshot(), sys_cpu()
        self.check_prereqs()
        self.setup()
        self.results["machine"] = self.machine_facts()
        self.engine_pids = engine_pids(DOCKER_SOCK)
        self.results["machine"]["enginePids"] = self.engine_pids
        log(f"prefix {self.prefix}, service {self.svc}, N={N}, {DURATION} s throughput phases")
        # First: the Docker API call table, which also captures ignite-fcgi's
        # own container configuration for the "ignite-fcgi's config" scenarios.
        self.results["dockerCalls"] = self.phase_trace()
        if self.ignite_config is None:
            raise RuntimeError("could not capture ignite-fcgi's container create body")
        self.results["configDiff"] = self.config_diff()
        cold = Stack(self, "cold", 0)
        warm = Stack(self, "warm", WARM_POOL)
        self.stacks += [cold, warm]
        cold.start()
        warm.start()
        self.results["baselineMatchesDaemon"] = None

        log(f"latency: {N} rounds of 7 scenarios (+1 warm-up round)")
        self.results["latency"] = self.phase_latency(cold, warm)
        self.results["baselineMatchesDaemon"] = self.cmd_matches_daemon(warm)

        self.results["throughput"] = self.phase_throughput(cold, warm)

        warm.stop()
        self.results["warmShutdownLeft"] = len([c for c in self.engine.list([f"ignite.service={self.svc}", "ignite.run=warm"])
                                                if c.get("Labels", {}).get("ignite.owner", "").startswith(warm.owner_prefix)])
        self.results["rss"] = self.phase_rss(cold)
        self.results["endpoints"] = self.phase_endpoints(cold)
        self.results["rss"]["rssAfterEndpointsKb"] = cold.rss_kb() if not cold.died() else None
        self.results["rss"]["requestsAfterEndpoints"] = RSS_REQUESTS + sum(e["requests"] or 0 for e in self.results["endpoints"])
        cold.stop()
        with open("/proc/loadavg") as f:
            self.results["machine"]["loadavgAtEnd"] = f.read().split()[:3]
        self.results["machine"]["benchSeconds"] = round(time.monotonic() - T_START)
        self.results["machine"].update(self.other_load(snap0, sys0))

    def cleanup(self):
        for s in self.stacks:
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 - cleanup must go on
                log(f"stop {s.name}: {e}")
        PROCS.stop_all()
        try:
            left = self.leftovers()
        except (OSError, eng.EngineError) as e:
            left = [{"error": str(e)}]
        self.results["leftoverContainers"] = left
        if left:
            log(f"WARNING: {len(left)} container(s) were left behind and have been removed: {left}")
        if self.prefix and os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(self.prefix, ignore_errors=True)
        elif self.prefix:
            log(f"kept {self.prefix}")


# ---------------------------------------------------------------- reporting

def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return round(a / b, 3)


def fmt(v, nd=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def table(headers, rows):
    w = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "| " + " | ".join(str(h).ljust(w[i]) for i, h in enumerate(headers)) + " |"
    sep = "|" + "|".join("-" * (w[i] + 2) for i in range(len(headers))) + "|"
    body = ["| " + " | ".join(str(r[i]).ljust(w[i]) for i in range(len(headers))) + " |" for r in rows]
    return "\n".join([line, sep] + body)


def derive(res):
    """Ratios and targets, added to res."""
    lat = {s["scenario"]: s for s in res["latency"]["scenarios"]}
    base = lat["docker run --rm -i"]
    for s in res["latency"]["scenarios"]:
        s["xDockerP50"] = ratio(s.get("p50"), base.get("p50"))
        s["xDockerP95"] = ratio(s.get("p95"), base.get("p95"))
        s["xDockerP99"] = ratio(s.get("p99"), base.get("p99"))
    ceiling = next(t for t in res["throughput"] if t["scenario"] == "engine API churn (ceiling)")
    ceiling_ig = next(t for t in res["throughput"] if t["scenario"] == "engine API churn, ignite-fcgi's config")
    for t in res["throughput"]:
        t["xCeiling"] = ratio(t["perSecond"], ceiling["perSecond"])
        t["xCeilingIgniteConfig"] = ratio(t["perSecond"], ceiling_ig["perSecond"])
    warm = next(s for s in res["latency"]["scenarios"] if s["scenario"].startswith("HTTP execute, warm"))
    cold = next(s for s in res["latency"]["scenarios"] if s["scenario"].startswith("HTTP execute, cold"))
    tw16 = next(t for t in res["throughput"] if "warm" in t["scenario"] and t["concurrency"] == 16)
    tc16 = next(t for t in res["throughput"] if "cold" in t["scenario"] and t["concurrency"] == 16)
    growth_mb = res["rss"]["growthKb"] / 1024.0 if res["rss"]["growthKb"] is not None else None

    def target(name, value, limit, met):
        return {"target": name, "value": value, "limit": limit, "met": bool(met)}
    res["targets"] = [
        target("warm execute p50 ≤ 0.15× docker run p50", warm["xDockerP50"], 0.15,
               warm["xDockerP50"] is not None and warm["xDockerP50"] <= 0.15),
        target("warm execute p99 ≤ 0.3× docker run p99", warm["xDockerP99"], 0.3,
               warm["xDockerP99"] is not None and warm["xDockerP99"] <= 0.3),
        target("cold execute p50 ≤ 1.0× docker run p50", cold["xDockerP50"], 1.0,
               cold["xDockerP50"] is not None and cold["xDockerP50"] <= 1.0),
        target("throughput c16 (warm pool) ≥ 0.9× churn ceiling, 0 errors", tw16["xCeiling"], 0.9,
               tw16["xCeiling"] is not None and tw16["xCeiling"] >= 0.9 and tw16["errors"] == 0),
        target("throughput c16 (pool off) ≥ 0.9× churn ceiling, 0 errors", tc16["xCeiling"], 0.9,
               tc16["xCeiling"] is not None and tc16["xCeiling"] >= 0.9 and tc16["errors"] == 0),
        target(f"RSS growth < 5 MB over {res['rss']['requests']} requests",
               round(growth_mb, 2) if growth_mb is not None else None, 5.0,
               growth_mb is not None and growth_mb < 5.0),
    ]


def render(res):
    m = res["machine"]
    L = res["latency"]
    out = []
    out.append("# Ignite benchmark results\n")
    out.append(f"`make bench`, {m['date']} — one run, every scenario on the same machine in the same run "
               f"(latency scenarios interleaved round by round in a rotating order; throughput scenarios in two halves, "
               f"A B C D E F F D C B A).\n")
    out.append("## Machine\n")
    out.append(table(["fact", "value"], [
        ["nproc", m["nproc"]], ["cpu", m["cpu"]], ["memory", m["memTotal"]], ["kernel", m["kernel"]],
        ["os", m["os"]], ["docker", m["docker"]], ["nginx", m["nginx"]], ["wrk", m["wrk"]],
        ["load average at start / end", f"{' '.join(m['loadavgAtStart'])} / {' '.join(m.get('loadavgAtEnd', []))}"],
        ["other containers running at start", m["otherContainersRunningAtStart"]],
        ["CPU busy over the whole run (all processes)", f"{m.get('machineBusy', 0) * 100:.0f}%"],
        ["other processes' CPU during the run (s, by name)",
         ", ".join(f"{k} {v}" for k, v in m.get("topOtherCpuSeconds", []))],
        ["benchmark wall time", f"{m.get('benchSeconds')} s"]]))
    out.append("")
    out.append(f"## Latency, concurrency 1 ({res['config']['latencySamples']} samples each, ms)\n")
    rows = []
    for s in L["scenarios"]:
        rows.append([s["scenario"], s["n"], fmt(s.get("p50")), fmt(s.get("p95")), fmt(s.get("p99")),
                     fmt(s.get("xDockerP50"), 2) + "×", fmt(s.get("xDockerP95"), 2) + "×",
                     fmt(s.get("xDockerP99"), 2) + "×", s["errors"]])
    out.append(table(["scenario", "n", "p50", "p95", "p99", "p50/docker", "p95/docker", "p99/docker", "errors"], rows))
    out.append("")
    out.append(f"Warm requests served from the pool: {L['warmHits']}/{L['warmRequests']} "
               f"(the pool was refilled before each; not full in time: {L['poolNotFullBeforeWarmRequest']}). "
               f"Percentiles are nearest-rank; with {res['config']['latencySamples']} samples p99 is the slowest sample.\n")
    out.append("## Throughput, closed loop (requests/s over the whole phase)\n")
    rows = []
    for t in res["throughput"]:
        rows.append([t["scenario"], t["concurrency"], t["seconds"], t["completed"], t["errors"], fmt(t["perSecond"], 2),
                     fmt(t.get("xCeiling"), 2) + "×", fmt(t.get("xCeilingIgniteConfig"), 2) + "×",
                     fmt(t["p50"]), fmt(t["p99"]),
                     f"{t.get('warmHits', '–')}/{t.get('coldStarts', '–')}" if "warmHits" in t else "–",
                     fmt(t.get("daemonCpuMsPerExecution")), fmt(t.get("engineCpuMsPerExecution")),
                     f"{t['systemBusy'] * 100:.0f}%"])
    out.append(table(["scenario", "C", "s", "ok", "errors", "req/s", "×ceiling", "×ceiling (ignite cfg)", "p50 ms",
                      "p99 ms", "warm/cold",
                      "daemon CPU ms/exec", "engine CPU ms/exec", "CPU busy"], rows))
    out.append("")
    out.append("The ceiling is the Docker engine alone: 16 loops of the Engine API sequence create → attach → start → "
               "deliver the request line → read to the end → wait → remove, with the baseline's flags, no docker CLI; "
               "the second ceiling sends ignite-fcgi's own create body instead (see the configuration differences below). "
               "Engine CPU = dockerd + containerd utime+stime (it includes any other use of the engine on the machine "
               "during the phase). Errors: status ≠ 200, success ≠ true, or the expected output missing.\n")
    errs = [(t["scenario"], t["concurrency"], t["errorKinds"]) for t in res["throughput"] if t["errors"]]
    if errs:
        out.append("Error kinds: " + "; ".join(f"{s} C={c}: {k}" for s, c, k in errs) + "\n")
    out.append(f"## Non-execute endpoints (wrk -t2 -c16 -d{res['config']['endpointSeconds']}s through nginx)\n")
    rows = [[e["path"], fmt(e["requestsPerSecond"]), e["requests"], fmt(e["p50Ms"], 2), fmt(e["p99Ms"], 2),
             e["non2xx"], e["socketErrors"], fmt(e["daemonCpuUsPerRequest"]),
             ("ignite-fcgi died: " + ", ".join(f"{k} {v}" for k, v in e["daemonDied"].items())) if e.get("daemonDied") else ""]
            for e in res["endpoints"]]
    out.append(table(["endpoint", "req/s", "requests", "p50 ms", "p99 ms", "non-2xx", "socket errors",
                      "daemon CPU µs/req", "note"], rows))
    out.append("")
    for d in res.get("daemonDied", []):
        out.append(f"**ignite-fcgi ({d['stack']}) ended by itself** ({', '.join(f'{k} {v}' for k, v in d.items() if k not in ('stack', 'noticed'))}), "
                   f"noticed {d['noticed']}. Numbers measured after that point on that daemon are missing.\n")
    r = res["rss"]
    cpu = L["cpuPerExecutionMs"]
    out.append("## ignite-fcgi resources\n")
    out.append(table(["measure", "value"], [
        [f"VmRSS before {r['requests']} non-execute requests", f"{r['rssBeforeKb']} kB"],
        [f"VmRSS after them ({r['errors']} errors, {r['seconds']} s)", f"{r['rssAfterKb']} kB"],
        ["growth", f"{r['growthKb']} kB"],
        [f"VmRSS after the wrk phases too ({r['requestsAfterEndpoints']} requests in all)",
         f"{r['rssAfterEndpointsKb']} kB" if r.get("rssAfterEndpointsKb") is not None else "– (the daemon died)"],
        ["CPU per execution, pool off (concurrency 1)", f"{fmt(cpu['cold'], 2)} ms"],
        ["CPU per execution, pool on (concurrency 1, incl. the refill)", f"{fmt(cpu['warm'], 2)} ms"],
        ["warm containers left after the warm daemon's SIGTERM", res.get("warmShutdownLeft")],
        ["containers left behind by the whole run (label check)", len(res.get("leftoverContainers", []))]]))
    out.append("")
    out.append("## Targets (issue 6)\n")
    out.append(table(["target", "value", "met"], [[t["target"], fmt(t["value"], 3), "yes" if t["met"] else "no"]
                                                  for t in res["targets"]]))
    out.append("")
    out.append("## Where the time goes (medians, ms)\n")
    ef, efi, ep = L["engineFresh"], L["engineFreshIgniteConfig"], L["enginePrestarted"]
    hc, hw = L["http_cold"], L["http_warm"]
    out.append(table(["phase", "fresh, baseline flags", "fresh, ignite-fcgi's config",
                      "pre-started, ignite-fcgi's config"], [
        ["create", fmt(ef["create"]), fmt(efi["create"]), "(ahead of time)"],
        ["attach", fmt(ef["attach"]), fmt(efi["attach"]), "(ahead of time)"],
        ["start (API call)", fmt(ef["start"]), fmt(efi["start"]), "(ahead of time)"],
        ["start → launcher `start` record (runtime boot, launcher load, request read)", fmt(ef["start_to_rec_start"]),
         fmt(efi["start_to_rec_start"]), f"delivery → `start` record: {fmt(ep['deliver_to_rec_start'])}"],
        ["`start` → `loaded` (hooks + service import)", fmt(ef["rec_start_to_loaded"]), fmt(efi["rec_start_to_loaded"]),
         fmt(ep["rec_start_to_loaded"])],
        ["`loaded` → `exit` record (service ran)", fmt(ef["loaded_to_exit_rec"]), fmt(efi["loaded_to_exit_rec"]),
         fmt(ep["loaded_to_exit_rec"])],
        ["`exit` record → stream end (process exit, engine notices)", fmt(ef["exit_rec_to_stream_end"]),
         fmt(efi["exit_rec_to_stream_end"]), fmt(ep["exit_rec_to_stream_end"])],
        ["wait", fmt(ef["wait"]), fmt(efi["wait"]), fmt(ep["wait"])],
        ["remove", fmt(ef["remove"]), fmt(efi["remove"]), fmt(ep["remove"])],
        ["total", fmt(ef["total"]), fmt(efi["total"]), fmt(ep["total"])]]))
    out.append("")
    out.append(f"Launcher-reported bootMs (runtime start → launcher start) in a fresh container: {fmt(ef['launcherBootMs'])} ms "
               f"(baseline flags), {fmt(efi['launcherBootMs'])} ms (ignite-fcgi's config).\n")
    out.append(table(["HTTP execute", "total", "executionTimeMs (delivery → stream end)", "outside it",
                      "initTimeMs reported"], [
        ["cold (pool off)", fmt(hc["totalMs"]), fmt(hc["executionTimeMs"]), fmt(hc["outsideExecutionMs"]), fmt(hc["initTimeMs"])],
        ["warm (pool on)", fmt(hw["totalMs"]), fmt(hw["executionTimeMs"]), fmt(hw["outsideExecutionMs"]), fmt(hw["initTimeMs"])]]))
    out.append("")
    dc = res.get("dockerCalls") or {}
    for mode in ("cold", "warm"):
        d = dc.get(mode)
        if not d:
            continue
        out.append(f"### Docker API calls per execution, {mode} ({d['executions']} sequential executions"
                   + (f", {d['warmHits']} from the pool" if mode == "warm" else "") + ", through a timing proxy)\n")
        out.append(table(["where", "call", "per execution", "mean ms", "p50 ms", "max ms"],
                         [[c["where"], c["call"], fmt(c["perExecution"], 2), fmt(c["meanMs"], 2), fmt(c["p50Ms"], 2),
                           fmt(c["maxMs"], 2)] for c in d["calls"]]))
        out.append("")
    cd = res.get("configDiff") or {}
    if cd:
        out.append("### ignite-fcgi's container configuration against the baseline's\n")
        out.append(table(["field", "baseline (docker run flags)", "ignite-fcgi"],
                         [[k, "`" + json.dumps(v["baseline"]) + "`", "`" + json.dumps(v["ignite"]) + "`"]
                          for k, v in cd.items() if k not in ("Labels",)]))
        out.append("")
    bm = res.get("baselineMatchesDaemon")
    out.append("## Notes\n")
    out.append(f"- Baseline: `docker run --rm -i` of `{IMAGE}` with the audit flags, the service directory mounted "
               f"read-only at /app and the launcher's request line on stdin; Cmd taken from runtimes/runtimes.json "
               f"(identical to ignite-fcgi's: {bm['cmdEqual'] if bm else 'not checked'}); the rest of ignite-fcgi's configuration "
               f"differs as the table above shows. The baseline carries one extra label, for cleanup.")
    mc, sw = res["config"]["maxConcurrent"], res["config"]["slotWaitMs"]
    out.append("- Each HTTP stack is nginx (nginx/dev.conf.in via scripts/stack.sh, the per-address `limit_req` lines "
               f"removed) in front of ignite-fcgi `--workers 24 --max-concurrent {mc} --max-concurrent-per-key {mc} "
               f"--slot-wait {sw} --rate-limit 1000000`, on a free loopback port in a private prefix. The load client is "
               "bench/httpload.py (closed loop, keep-alive); non-execute endpoints use wrk.")
    out.append("- Ratios compare against the baseline measured in the same run; the machine is shared (see the other "
               "processes' CPU above), so absolute numbers move from run to run more than the ratios do.")
    out.append("- \"Pre-started container\" is the floor a warm pool can reach with today's launcher and engine calls: "
               "ignite-fcgi's container created, attached and started ahead (untimed), then timed from delivering the "
               "request line until it is removed. \"ignite-fcgi's config\" is the create body ignite-fcgi sent in the "
               "trace phase (captured by the proxy), relabelled.")
    return "\n".join(out) + "\n"


def main():
    b = Bench()

    def on_term(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    ok = False
    try:
        b.run()
        ok = True
    except KeyboardInterrupt:
        log("interrupted")
    except Exception as e:  # noqa: BLE001 - report, clean up, fail
        import traceback
        traceback.print_exc()
        log(f"failed: {e}")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        log("cleaning up")
        b.cleanup()
    if not ok:
        return 1
    derive(b.results)
    md = render(b.results)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "results.json"), "w") as f:
        json.dump(b.results, f, indent=2, sort_keys=False)
        f.write("\n")
    with open(os.path.join(OUT_DIR, "results.md"), "w") as f:
        f.write(md)
    print(md)
    log(f"wrote {os.path.join(OUT_DIR, 'results.md')} and results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
