"""Helpers of the fault suite: a private Docker engine that tests may stop,
SIGKILL and restart, plus small waiting and checking utilities.

The shared engine at /var/run/docker.sock is never stopped, killed or
restarted from here: every test that breaks the engine breaks its own
dockerd, started with its own socket, data root and exec root under a short
temporary directory (unix socket paths must stay under 108 bytes), with the
runtime images loaded by runtimes/build.sh.

The stacks (nginx + ignite-fcgi) come from tests/http/harness.py, reused
as is; only the standard library and pytest.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "http"))

import harness  # noqa: E402  (tests/http/harness.py)
from harness import Engine, _die_with_parent, wait_for  # noqa: E402,F401

ROOT = harness.ROOT
BUILD = harness.BUILD
RUNTIME = "node@24"


def mounts_under(path):
    """Mount points at or below path, deepest first."""
    path = str(path).rstrip("/")
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == path or mp.startswith(path + "/"):
                out.append(mp)
    return sorted(set(out), key=len, reverse=True)


def unmount_under(path):
    for mp in mounts_under(path):
        subprocess.run(["umount", "-l", mp], capture_output=True)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class PrivateEngine:
    """A dockerd of the suite's own. Its containerd is started by dockerd
    itself under the exec root and dies with it (parent-death signal)."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.sock = self.root / "docker.sock"
        self.host = f"unix://{self.sock}"
        assert len(str(self.sock)) < 100, f"socket path too long: {self.sock}"
        self.log_path = self.root / "dockerd.log"
        self.pidfile = self.root / "docker.pid"
        self.proc = None
        self.api = Engine(str(self.sock))
        # Its own bridge: a dockerd started with "--bridge none" deletes the
        # host's docker0, which the shared engine needs.
        self.bridge = f"igfault{os.getpid() % 100000}"

    def cmd(self):
        return ["dockerd", "--host", self.host, "--data-root", str(self.root / "data"),
                "--exec-root", str(self.root / "exec"), "--pidfile", str(self.pidfile),
                "--bridge", self.bridge, "--iptables=false", "--ip-masq=false",
                "--log-level", "warn"]

    def containerd_pid(self):
        try:
            return int((self.root / "exec" / "containerd" / "containerd.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def start(self, timeout=90):
        assert not self.alive(), "private dockerd already running"
        # A containerd left by a killed dockerd must be gone before the next
        # one takes the same exec root.
        old = self.containerd_pid()
        if old is not None:
            wait_for(lambda: not pid_alive(old), 15)
            # dockerd reuses a containerd whose pid answers kill(pid, 0), and a
            # zombie does until init reaps it: drop the stale pid file.
            (self.root / "exec" / "containerd" / "containerd.pid").unlink(missing_ok=True)
        if self.pidfile.exists():
            self.pidfile.unlink()
        self._make_bridge()
        with open(self.log_path, "ab") as log:
            log.write(f"---- start {time.strftime('%H:%M:%S')}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.cmd(), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=log, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"private dockerd exited with {self.proc.returncode}:\n"
                                     f"{self.log_tail()}")
            if self.api.ping():
                return self
            time.sleep(0.2)
        raise AssertionError(f"private dockerd did not answer within {timeout}s:\n{self.log_tail()}")

    def _make_bridge(self):
        if subprocess.run(["ip", "link", "show", self.bridge], capture_output=True).returncode == 0:
            return
        for cmd in (["ip", "link", "add", self.bridge, "type", "bridge"],
                    ["ip", "addr", "add", "10.254.213.1/24", "dev", self.bridge],
                    ["ip", "link", "set", self.bridge, "up"]):
            out = subprocess.run(cmd, capture_output=True, text=True)
            assert out.returncode == 0, f"{' '.join(cmd)}: {out.stderr}"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=60):
        """SIGTERM: an orderly shutdown (running containers are stopped)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        rc = self.proc.returncode
        self.proc = None
        return rc

    def kill(self):
        """SIGKILL: the engine vanishes mid-flight; containers keep running
        under their shims until the next dockerd reaps them."""
        assert self.alive(), "private dockerd is not running"
        cpid = self.containerd_pid()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=15)
        self.proc = None
        if cpid is not None:
            wait_for(lambda: not pid_alive(cpid), 15)

    def managed(self):
        return self.api.managed()

    def load_images(self):
        env = dict(os.environ, DOCKER_HOST=self.host)
        out = subprocess.run([str(ROOT / "runtimes" / "build.sh"), RUNTIME], env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, f"runtimes/build.sh {RUNTIME} failed:\n{out.stdout}\n{out.stderr}"
        return out.stdout.strip()

    def remove_managed(self):
        """Force-removes every Ignite container (suite clean-up only)."""
        for c in self.managed():
            self.api.remove(c["Id"], timeout=60)

    def log_tail(self, n=20):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def destroy(self):
        """Stops the engine and removes everything it kept on disk."""
        self.stop()
        cpid = self.containerd_pid()
        if cpid is not None:
            wait_for(lambda: not pid_alive(cpid), 15)
        unmount_under(self.root)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


def runs_files(runs):
    """(reports, other) under a runs directory: paths of *.json files and of
    anything else (temp files)."""
    reports, other = [], []
    for dirpath, _, files in os.walk(runs):
        for f in files:
            p = os.path.join(dirpath, f)
            (reports if f.endswith(".json") and not f.startswith(".") else other).append(p)
    return reports, other


def unparsable(paths):
    bad = []
    for p in paths:
        try:
            with open(p, "rb") as fh:
                json.load(fh)
        except (OSError, ValueError) as e:
            bad.append(f"{p}: {e}")
    return bad
