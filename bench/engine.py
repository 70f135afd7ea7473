"""engine.py — a minimal Docker Engine API client for the benchmark.

Talks HTTP/1.1 over the engine's unix socket with keep-alive (one
connection per client object; use one client per thread). It does what the
benchmark needs and nothing more: create, attach (hijacked stream), start,
wait, remove, list and version, and a single timed "run once" that records
how long each phase of a container's life takes, and when the launcher's
records (start, loaded, exit) arrive on the host. The unix-socket
connection is the one the test suites use (tests/lib/engine_api.py).
"""

import http.client
import json
import os
import socket
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))

from engine_api import DEFAULT_SOCKET, UnixHTTPConnection, connect_unix  # noqa: E402

API = "/v1.41"


class EngineError(Exception):
    pass


class Engine:
    """One keep-alive connection to the engine (not thread-safe)."""

    def __init__(self, sock_path=DEFAULT_SOCKET, timeout=60):
        self.path = sock_path
        self.timeout = timeout
        self._conn = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None, ok=(200, 201, 204, 304)):
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = UnixHTTPConnection(self.path, self.timeout, host="docker")
            try:
                self._conn.request(method, API + path, body=data, headers=headers)
                resp = self._conn.getresponse()
                raw = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the engine closed: retry once on a fresh one.
                self.close()
                if attempt == 1:
                    raise
        if resp.status not in ok:
            raise EngineError(f"{method} {path}: {resp.status} {raw[:300]!r}")
        if raw and resp.getheader("Content-Type", "").startswith("application/json"):
            return resp.status, json.loads(raw)
        return resp.status, raw

    # ---- containers ----

    def create(self, config, name=None):
        q = "?name=" + urllib.parse.quote(name) if name else ""
        _, r = self.request("POST", "/containers/create" + q, config)
        return r["Id"]

    def start(self, cid):
        self.request("POST", f"/containers/{cid}/start")

    def wait(self, cid, condition="not-running"):
        _, r = self.request("POST", f"/containers/{cid}/wait?condition={condition}")
        return r.get("StatusCode", -1)

    def remove(self, cid, force=True):
        self.request("DELETE", f"/containers/{cid}?force={'1' if force else '0'}&v=1",
                     ok=(200, 204, 404))

    def inspect(self, cid):
        _, r = self.request("GET", f"/containers/{cid}/json")
        return r

    def list(self, labels, all_=True):
        f = urllib.parse.quote(json.dumps({"label": list(labels)}))
        _, r = self.request("GET", f"/containers/json?all={'1' if all_ else '0'}&filters={f}")
        return r

    def version(self):
        _, r = self.request("GET", "/version")
        return r

    def attach(self, cid):
        """Opens a hijacked attach stream (stdin, stdout, stderr). Returns an Attach."""
        s = connect_unix(self.path, self.timeout)
        req = (f"POST {API}/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
               "Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n")
        s.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                s.close()
                raise EngineError("attach: connection closed before the response")
            head += chunk
        head, rest = head.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status and b" 200 " not in status:
            s.close()
            raise EngineError(f"attach: {status!r}")
        return Attach(s, rest)


class Attach:
    """A hijacked attach stream: send stdin, then read multiplexed frames."""

    def __init__(self, sock, buffered):
        self.sock = sock
        self.buf = buffered

    def send_stdin_and_close(self, data):
        self.sock.sendall(data)
        self.sock.shutdown(socket.SHUT_WR)

    def frames(self):
        """Yields (stream, bytes) until the engine closes the stream."""
        while True:
            while len(self.buf) >= 8:
                stream, size = self.buf[0], struct.unpack(">I", self.buf[4:8])[0]
                if len(self.buf) < 8 + size:
                    break
                payload = self.buf[8:8 + size]
                self.buf = self.buf[8 + size:]
                yield stream, payload
            chunk = self.sock.recv(65536)
            if not chunk:
                return
            self.buf += chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


RECORD_MARK = b"\n\x1eIGNITE1 "


def launcher_line(key_hex, input_obj):
    """The launcher's request line (protocol v1): v first, then key."""
    return ('{"v":1,"key":"%s","input":%s}\n' % (key_hex, json.dumps(input_obj, separators=(",", ":")))).encode()


def run_once(engine, config, line, timing=True, delay_after_start=0.0):
    """Runs one container to completion through the Engine API:
    create, attach, start, [optional delay: a pre-started container],
    deliver the request line, read until the stream ends, wait, remove.

    Returns a dict: ok, exit, stdout, phase times in ms (create, attach,
    start, deliver_to_start_rec / loaded_rec / exit_rec, stream_end, wait,
    remove, total) and the launcher's own initMs/bootMs when seen.
    The container is removed whatever happens."""
    t = {}
    out = bytearray()
    err = bytearray()
    cid = None
    at = None
    res = {"ok": False, "exit": None}
    t0 = time.perf_counter()
    try:
        cid = engine.create(config)
        t1 = time.perf_counter()
        at = engine.attach(cid)
        t2 = time.perf_counter()
        engine.start(cid)
        t3 = time.perf_counter()
        if delay_after_start:
            time.sleep(delay_after_start)
        t3d = time.perf_counter()
        at.send_stdin_and_close(line)
        seen = {}
        for stream, payload in at.frames():
            now = time.perf_counter()
            if stream == 1:
                out += payload
            else:
                err += payload
                for name in (b'"t":"start"', b'"t":"loaded"', b'"t":"exit"'):
                    if name in payload and name not in seen:
                        seen[name] = now
        t4 = time.perf_counter()
        at.close()
        at = None
        code = engine.wait(cid)
        t5 = time.perf_counter()
        engine.remove(cid)
        t6 = time.perf_counter()
        cid = None
        ms = lambda a, b: round((b - a) * 1000.0, 3)
        t = {
            "create": ms(t0, t1), "attach": ms(t1, t2), "start": ms(t2, t3),
            "start_to_rec_start": ms(t3, seen[b'"t":"start"']) if b'"t":"start"' in seen and not delay_after_start else None,
            "deliver_to_rec_start": ms(t3d, seen[b'"t":"start"']) if b'"t":"start"' in seen else None,
            "rec_start_to_loaded": ms(seen[b'"t":"start"'], seen[b'"t":"loaded"'])
            if b'"t":"start"' in seen and b'"t":"loaded"' in seen else None,
            "loaded_to_exit_rec": ms(seen[b'"t":"loaded"'], seen[b'"t":"exit"'])
            if b'"t":"loaded"' in seen and b'"t":"exit"' in seen else None,
            "exit_rec_to_stream_end": ms(seen[b'"t":"exit"'], t4) if b'"t":"exit"' in seen else None,
            "deliver_to_stream_end": ms(t3d, t4),
            "wait": ms(t4, t5), "remove": ms(t5, t6),
            "total": ms(t0, t6) - (ms(t3, t3d) if delay_after_start else 0.0),
        }
        res.update(ok=(code == 0 and b"Hello, x!" in out), exit=code)
    except (OSError, EngineError, KeyError, ValueError) as e:
        res["error"] = str(e)[:300]
    finally:
        if at is not None:
            at.close()
        if cid is not None:
            try:
                engine.remove(cid)
            except (OSError, EngineError):
                pass
    res["times"] = t
    res["stdout"] = bytes(out[:4096]).decode("utf-8", "replace")
    for rec in bytes(err).split(RECORD_MARK)[1:]:
        try:
            body = rec.split(b" ", 1)[1].rsplit(b" ", 1)[0]
            j = json.loads(body)
        except (IndexError, ValueError):
            continue
        if j.get("t") == "start":
            res["bootMs"] = j.get("bootMs")
        elif j.get("t") == "exit":
            res["initMs"] = j.get("initMs")
            res["durationMs"] = j.get("durationMs")
    return res
