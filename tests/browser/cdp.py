"""Headless Chromium driven over the Chrome DevTools Protocol, standard
library only: a minimal RFC 6455 WebSocket client (masked client frames,
fragmented and 16/64-bit-length server frames, ping/close) and a small
CDP session on top of it (commands, events, waiting for page loads)."""
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio",
                  "--no-default-browser-check", "--hide-scrollbars", "--window-size=1280,900"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class WebSocket:
    """A WebSocket client connection (text messages only)."""

    def __init__(self, url, timeout=30):
        u = urllib.parse.urlparse(url)
        assert u.scheme == "ws", url
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + (f"?{u.query}" if u.query else "")
        # No Origin header: Chromium only accepts DevTools connections with
        # an Origin when --remote-allow-origins names it.
        req = (f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            c = self.sock.recv(1)
            if not c:
                raise ConnectionError(f"WebSocket handshake: connection closed after {head!r}")
            head += c
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError(f"WebSocket handshake refused: {head!r}")
        import hashlib
        want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        if want not in head:
            raise ConnectionError("WebSocket handshake: bad Sec-WebSocket-Accept")
        self.buf = b""

    def _recv_exact(self, n):
        while len(self.buf) < n:
            c = self.sock.recv(max(65536, n - len(self.buf)))
            if not c:
                raise ConnectionError("WebSocket closed")
            self.buf += c
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self, timeout=None):
        """The next text message (reassembled), or raises socket.timeout."""
        self.sock.settimeout(timeout)
        parts = []
        while True:
            b0, b1 = self._recv_exact(2)
            fin, opcode, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._recv_exact(8))[0]
            if b1 & 0x80:
                mask = self._recv_exact(4)
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._recv_exact(n)))
            else:
                payload = self._recv_exact(n)
            if opcode == 0x9:                    # ping
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:                    # pong
                continue
            if opcode == 0x8:                    # close
                raise ConnectionError("WebSocket closed by the browser")
            parts.append(payload)
            if fin:
                return b"".join(parts).decode("utf-8")

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


class CDPError(Exception):
    pass


class Page:
    """One page target: send(method, **params) → result; events queued."""

    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.events = []
        self.dialogs = []

    def send(self, method, timeout=30, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to {method}")
            msg = json.loads(self.ws.recv(timeout=left))
            if msg.get("id") == mid:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def _event(self, msg):
        if "method" not in msg:
            return
        self.events.append(msg)
        if msg["method"] == "Page.javascriptDialogOpening":
            self.dialogs.append(msg["params"])
            # Never leave a page blocked on a dialog.
            self.ws.send(json.dumps({"id": 0, "method": "Page.handleJavaScriptDialog",
                                     "params": {"accept": False}}))

    def wait_event(self, name, timeout=30):
        """Waits for (and consumes) the next event called name."""
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    del self.events[i]
                    return e.get("params", {})
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {name} within {timeout}s")
            try:
                self._event(json.loads(self.ws.recv(timeout=left)))
            except socket.timeout:
                raise TimeoutError(f"no {name} within {timeout}s")

    def evaluate(self, expression, timeout=30):
        r = self.send("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise CDPError(f"{expression!r}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def loads_after(self, action, timeout=30):
        """Runs action (a callable that starts a navigation) and waits for the
        page that results to finish loading."""
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        action()
        self.wait_event("Page.loadEventFired", timeout)

    def navigate(self, url, timeout=30):
        self.loads_after(lambda: self.send("Page.navigate", url=url), timeout)

    def screenshot(self, path):
        """A PNG of the whole page (not just the viewport)."""
        height = int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)") or 900)
        self.send("Emulation.setDeviceMetricsOverride", width=1280, height=min(max(height, 600), 8000),
                  deviceScaleFactor=1, mobile=False)
        try:
            data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        finally:
            self.send("Emulation.clearDeviceMetricsOverride")
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        self.ws.close()


class Chromium:
    """A headless Chromium with DevTools on a loopback port of its choosing."""

    def __init__(self, binary, workdir):
        self.profile = tempfile.mkdtemp(prefix="chromium-profile.", dir=workdir)
        self.log = open(os.path.join(workdir, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, start_new_session=True)
        self.port = self._devtools_port()

    def _devtools_port(self, timeout=30):
        f = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with open(f) as fh:
                    port = fh.readline().strip()
                if port.isdigit():
                    return int(port)
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"chromium wrote no DevToolsActivePort within {timeout}s")

    def _get(self, path, method="GET"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path)
            r = conn.getresponse()
            return r.status, json.loads(r.read() or b"null")
        finally:
            conn.close()

    def new_page(self):
        status, target = self._get("/json/new?about:blank", method="PUT")
        if status != 200:
            raise RuntimeError(f"DevTools refused a new target: {status} {target}")
        page = Page(target["webSocketDebuggerUrl"])
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Network.enable")
        return page

    def close(self):
        if self.proc.poll() is None:
            # Chromium's helpers share its session: signal the whole group.
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
