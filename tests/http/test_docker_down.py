"""Docker down → 503, Docker back → recovers, without touching the shared
engine: a daemon of its own reaches the engine through a unix-socket relay
(--docker-host unix://<relay>) that the test takes away and brings back.
Also a daemon pointed at a socket that never exists."""
import os
import socket
import threading
import time

import pytest

from harness import docker_socket_path


class Relay:
    """Forwards connections on a unix socket to the Docker engine's socket."""

    def __init__(self, path, target):
        self.path = str(path)
        self.target = target
        self.listener = None
        self.conns = []
        self.lock = threading.Lock()

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(self.path)
        ls.listen(64)
        self.listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def _accept(self, ls):
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            try:
                up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                up.connect(self.target)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, up]
            threading.Thread(target=self._pump, args=(c, up), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, c), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def stop(self):
        """The engine "goes away": no listener, open connections cut."""
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        if os.path.exists(self.path):
            os.unlink(self.path)
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self.conns = []


def health(stack):
    r = stack.get("/api/health")
    return r.status, r.json()


def test_engine_that_never_existed_503(make_stack, keys, workdir):
    s = make_stack("nodocker", "--docker-host", f"unix://{workdir}/nonexistent.sock")
    status, body = health(s)
    assert status == 503 and body["docker"] == "unavailable" and body["status"] != "ok", body
    r = s.execute("hello", key=keys.execute)
    assert r.status == 503, r
    assert r.json()["error"]["code"] == "docker_unavailable", r.json()
    # Everything that does not need the engine still works.
    assert s.get("/api/services", key=keys.read).status == 200
    assert s.get("/api/runs", key=keys.read).status == 200
    metrics = s.get("/api/metrics", key=keys.read).text
    assert 'ignite_docker_errors_total{kind="unavailable"}' in metrics, metrics
    assert s.daemon_alive()


def test_engine_goes_down_and_comes_back(make_stack, keys, workdir):
    relay = Relay(workdir / "relay.sock", docker_socket_path())
    s = make_stack("relay", "--docker-host", f"unix://{relay.path}")
    try:
        # Started while the engine is unreachable.
        status, body = health(s)
        assert status == 503 and body["docker"] == "unavailable", body

        relay.start()
        status, body = health(s)
        assert status == 200 and body["docker"] == "ok", body
        r = s.execute("hello", {"input": {"name": "relayed"}}, key=keys.execute)
        assert r.status == 200 and r.json()["success"] is True, r

        relay.stop()
        status, body = health(s)
        assert status == 503 and body["docker"] == "unavailable", body
        r = s.execute("hello", key=keys.execute)
        assert r.status == 503 and r.json()["error"]["code"] == "docker_unavailable", r
        # Error shape, with the service named.
        assert r.json()["success"] is False and r.json().get("serviceName") == "hello", r.json()

        relay.start()
        deadline = time.monotonic() + 10
        while health(s)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        status, body = health(s)
        assert status == 200 and body["docker"] == "ok", body
        r = s.execute("hello", {"input": {"name": "again"}}, key=keys.execute)
        assert r.status == 200 and r.json()["success"] is True, r
        assert "again" in r.json()["metrics"]["stdout"]
        assert s.daemon_alive()
    finally:
        s.stop()          # before the relay goes, so the daemon can clean up
        relay.stop()


@pytest.mark.parametrize("name,host", [("down-tcp", "tcp://127.0.0.1:1"), ("down-devnull", "unix:///dev/null")])
def test_other_unreachable_endpoints_503(make_stack, keys, name, host):
    s = make_stack(name, "--docker-host", host)
    status, body = health(s)
    assert status == 503 and body["docker"] == "unavailable", body
    r = s.execute("hello", key=keys.execute)
    assert r.status == 503, r
    assert s.daemon_alive()
