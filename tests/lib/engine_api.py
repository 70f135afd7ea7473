"""The Docker Engine API client Ignite's test suites share, to see what Ignite
did to the engine: http.client over the engine's unix socket, standard
library only (the docker command-line tool is never used).

- socket_path(): the engine the suites use, DOCKER_HOST when it names a
  unix:// socket, else /var/run/docker.sock.
- UnixHTTPConnection: http.client.HTTPConnection over an AF_UNIX socket.
- Engine: one connection per call; request() and the few calls the suites
  need (ping, container list by label, inspect, create, remove, image check).
- proc_start_time() / owner_alive(): whether the process an ignite.owner
  label ("<pid>.<start time>") names is still the one running.

The HTTP, browser, fault and soak suites get it through tests/http/harness.py,
the Docker integration suite through tests/integration/conftest.py, and the
benchmark's keep-alive client (bench/engine.py) builds on its connection.
"""
import http.client
import json
import os
import socket
import urllib.parse

DEFAULT_SOCKET = "/var/run/docker.sock"
MANAGED_LABEL = "ignite.managed=1"


def socket_path():
    """The engine's socket: DOCKER_HOST when it is unix://, else the default."""
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://"):]
    return DEFAULT_SOCKET


def connect_unix(path, timeout):
    """A connected AF_UNIX stream socket with timeout set; raises OSError
    (and leaves no socket open) when path does not answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(path))
    except OSError:
        s.close()
        raise
    return s


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over an AF_UNIX stream socket; host only fills the Host
    header."""

    def __init__(self, path, timeout=30, host="localhost"):
        super().__init__(host, timeout=timeout)
        self.unix_path = str(path)

    def connect(self):
        self.sock = connect_unix(self.unix_path, self.timeout)


class Engine:
    """The Engine API calls the suites make; a new connection per call, so
    one object may be shared between threads."""

    def __init__(self, path=None):
        self.path = str(path) if path is not None else socket_path()

    def request(self, method, url, body=None, timeout=30):
        """Sends body (if not None) as JSON. Returns (status, answer): the
        answer parsed as JSON, else as text, None when empty. Raises OSError
        when the engine does not answer."""
        conn = UnixHTTPConnection(self.path, timeout=timeout)
        try:
            headers = {}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, url, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return resp.status, parsed

    def ping(self):
        """Whether the engine answers /_ping with 200 within 5 seconds."""
        try:
            status, _ = self.request("GET", "/_ping", timeout=5)
        except OSError:
            return False
        return status == 200

    def containers(self, *labels):
        """All containers (running or not) carrying every label given."""
        filters = json.dumps({"label": list(labels)})
        status, body = self.request(
            "GET", "/containers/json?all=1&filters=" + urllib.parse.quote(filters))
        assert status == 200, f"engine refused the container list: {status} {body}"
        return body

    def managed(self):
        """Every container Ignite made (labelled ignite.managed=1)."""
        return self.containers(MANAGED_LABEL)

    def inspect(self, cid):
        """(status, container JSON); status 404 once the container is gone."""
        return self.request("GET", f"/containers/{cid}/json")

    def create(self, config, name=None):
        """Creates a container from config; returns its id."""
        url = "/containers/create"
        if name:
            url += "?name=" + urllib.parse.quote(name)
        status, body = self.request("POST", url, config)
        assert status == 201, f"container create failed: {status} {body}"
        return body["Id"]

    def remove(self, cid, timeout=30):
        """Force-removes a container and its volumes; returns the status."""
        return self.request("DELETE", f"/containers/{cid}?force=1&v=1", timeout=timeout)[0]

    def image_exists(self, ref):
        return self.request("GET", f"/images/{urllib.parse.quote(ref, safe='')}/json")[0] == 200


def proc_start_time(pid):
    """Field 22 of /proc/<pid>/stat, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()[19]


def owner_alive(token):
    """Whether an ignite.owner label ("<pid>.<start time>") names a live process."""
    pid, _, start = (token or "").partition(".")
    if not pid.isdigit():
        return False
    return proc_start_time(int(pid)) == start
