"""dockerproxy.py — a transparent, timing unix-socket proxy in front of dockerd.

ignite-fcgi is pointed at it (--docker-host unix://<proxy>) for a short
trace phase so the benchmark can count the Engine API calls one execution
makes and how long each takes. Bytes are relayed unchanged; the proxy only
watches request heads going up and response bytes coming back:

  t_req    the request head arrived from the client
  t_first  the first response byte (the engine's status line)
  t_last   the last response byte before the next request on that
           connection, or the close (a hijacked attach: the stream's end)

Requests on one connection are sequential (HTTP/1.1, no pipelining), which
is how libcurl and the engine talk. Not used by the timed phases.
"""

import os
import re
import socket
import threading
import time

_ID = re.compile(rb"[0-9a-f]{64}")
_CREATED_ID = re.compile(rb'"Id"\s*:\s*"([0-9a-f]{64})"')


def _norm_path(p):
    p = p.split("?", 1)[0]
    p = re.sub(r"^/v[0-9.]+", "", p)
    p = re.sub(r"/[0-9a-f]{64}", "/{id}", p)
    p = re.sub(r"/containers/ignite-[0-9a-f]+", "/containers/{name}", p)
    return p


class _Conn:
    def __init__(self, proxy, cid, client):
        self.proxy = proxy
        self.cid = cid
        self.client = client
        self.upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.upstream.connect(proxy.upstream_path)
        self.cur = None          # the record in flight
        self.upgraded = False
        self.up_buf = b""
        self.body_left = 0
        self.lock = threading.Lock()

    def _finish(self):
        self.cur = None

    def up(self):
        """client -> engine"""
        try:
            while True:
                data = self.client.recv(65536)
                if not data:
                    break
                now = time.monotonic()
                with self.lock:
                    if not self.upgraded:
                        self._parse_up(data, now)
                self.upstream.sendall(data)
        except OSError:
            pass
        try:
            self.upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _parse_up(self, data, now):
        if self.body_left > 0:
            take = min(self.body_left, len(data))
            if self.cur is not None and len(self.cur["_body"]) < 65536:
                self.cur["_body"] += data[:take]
            self.body_left -= take
            data = data[take:]
            if not data:
                return
        self.up_buf += data
        while b"\r\n\r\n" in self.up_buf:
            head, rest = self.up_buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            try:
                method, path, _ = lines[0].decode("latin-1").split(" ", 2)
            except ValueError:
                self.up_buf = b""
                return
            clen = 0
            for ln in lines[1:]:
                if ln.lower().startswith(b"content-length:"):
                    try:
                        clen = int(ln.split(b":", 1)[1].strip())
                    except ValueError:
                        clen = 0
            self._finish()
            m = _ID.search(path.encode())
            self.cur = {"conn": self.cid, "method": method, "path": _norm_path(path),
                        "query": path.split("?", 1)[1] if "?" in path else "",
                        "target": m.group(0).decode() if m else None,
                        "t_req": now, "t_first": None, "t_last": None, "status": None,
                        "_body": b"", "_resp": b""}
            self.proxy._add(self.cur)
            body = rest[:clen]
            self.cur["_body"] = body
            self.body_left = clen - len(body)
            self.up_buf = rest[len(body):]
            if self.body_left > 0:
                return

    def down(self):
        """engine -> client"""
        try:
            while True:
                data = self.upstream.recv(65536)
                if not data:
                    break
                now = time.monotonic()
                with self.lock:
                    c = self.cur
                    if c is not None:
                        if c["t_first"] is None:
                            c["t_first"] = now
                            try:
                                c["status"] = int(data.split(b" ", 2)[1])
                            except (IndexError, ValueError):
                                c["status"] = 0
                            if c["status"] == 101:
                                self.upgraded = True
                        c["t_last"] = now
                        if len(c["_resp"]) < 65536 and not self.upgraded:
                            c["_resp"] += data[:65536]
                self.client.sendall(data)
        except OSError:
            pass
        with self.lock:
            if self.cur is not None and self.upgraded:
                self.cur["t_last"] = time.monotonic()
            self._finish()
        for s in (self.client, self.upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class DockerProxy:
    def __init__(self, listen_path, upstream_path="/var/run/docker.sock"):
        self.listen_path = listen_path
        self.upstream_path = upstream_path
        self.records = []
        self._lock = threading.Lock()
        self._next = 0
        self._srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(listen_path):
            os.unlink(listen_path)
        self._srv.bind(listen_path)
        os.chmod(listen_path, 0o600)
        self._srv.listen(128)
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _add(self, rec):
        with self._lock:
            self.records.append(rec)

    def _accept(self):
        while not self._stop:
            try:
                c, _ = self._srv.accept()
            except OSError:
                return
            self._next += 1
            try:
                conn = _Conn(self, self._next, c)
            except OSError:
                c.close()
                continue
            threading.Thread(target=conn.up, daemon=True).start()
            threading.Thread(target=conn.down, daemon=True).start()

    def take(self):
        """Returns and clears the records so far (a call still in flight has
        t_last None, or the time of its latest response bytes)."""
        with self._lock:
            recs, self.records = self.records, []
        out = []
        for rec in recs:
            r = {k: v for k, v in rec.items() if not k.startswith("_")}
            r["warm_create"] = b'"ignite.run":"warm"' in rec["_body"]
            m = _CREATED_ID.search(rec["_resp"]) if rec["path"] == "/containers/create" else None
            r["created"] = m.group(1).decode() if m else None
            if rec["path"] == "/containers/create":
                r["body"] = rec["_body"].decode("utf-8", "replace")
            out.append(r)
        return out

    def close(self):
        self._stop = True
        try:
            self._srv.close()
        except OSError:
            pass
        try:
            os.unlink(self.listen_path)
        except OSError:
            pass


def summarize(records, n_exec, window=None):
    """Per normalized call: count per execution, mean and p50 ms (t_req ->
    t_last), split into the request path and the pool's background work.

    A connection that created a warm container (label ignite.run=warm) is the
    pool's; attach streams to containers the pool created are the pool's too.
    window: (t0, t1) monotonic bounds to keep (calls starting inside)."""
    pool_conns = {r["conn"] for r in records if r["warm_create"]}
    warm_ids = {r["created"] for r in records if r["warm_create"] and r["created"]}
    out = {}
    for r in records:
        if window and not (window[0] <= r["t_req"] <= window[1]):
            continue
        if r["t_last"] is None:
            continue
        pool = r["conn"] in pool_conns or (r["path"].endswith("/attach") and r["target"] in warm_ids)
        name = f'{r["method"]} {r["path"]}'
        end = r["t_last"]
        if r["path"].endswith("/wait") and r["query"]:
            name += "?" + r["query"]
        if r["path"].endswith("/attach"):
            # A hijacked stream lasts as long as the container: time the
            # upgrade only (request -> 101).
            name += " (until 101 Switching Protocols)"
            end = r["t_first"] if r["t_first"] is not None else r["t_last"]
        key = ("pool" if pool else "request", name)
        out.setdefault(key, []).append((end - r["t_req"]) * 1000.0)
    rows = []
    for (where, name), v in sorted(out.items(), key=lambda kv: (kv[0][0], -sum(kv[1]))):
        v.sort()
        rows.append({"where": where, "call": name, "count": len(v),
                     "perExecution": round(len(v) / n_exec, 2) if n_exec else None,
                     "meanMs": round(sum(v) / len(v), 2), "p50Ms": round(v[len(v) // 2], 2),
                     "maxMs": round(v[-1], 2)})
    return rows
