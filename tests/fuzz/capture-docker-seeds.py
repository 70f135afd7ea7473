#!/usr/bin/env python3
"""Records real Docker engine answers as fuzzing seeds.

Run by hand (never in CI) against a local engine with the runtime images
built (runtimes/build.sh):

    tests/fuzz/capture-docker-seeds.py [/var/run/docker.sock]

Writes into tests/fuzz/corpus/:
  docker/   JSON bodies of /version, /images/{id}/json, /containers/json,
            /containers/create, a container's /json, /changes and /wait, an
            error body, the /images/create progress stream of an import, and
            raw HTTP response heads (*.head, the attach 101 head among them)
  demux/    the multiplexed attach stream of a real run through the launcher
  channel/  that run's stderr, with launcher records signed by the fixed
            key the fuzz drivers use (tests/fuzz/fuzz.h, FUZZ_CHANNEL_KEY)
Stream seeds start with the drivers' control byte (0: default piece sizes).

Only the engine's answers are recorded; nothing is sent anywhere else.
"""
import io
import json
import os
import socket
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "corpus")
SOCK = sys.argv[1] if len(sys.argv) > 1 else "/var/run/docker.sock"
KEY = "0123456789abcdef" * 4        # FUZZ_CHANNEL_KEY in fuzz.h
IMAGE = "ignite-runtime/node:24"


def raw(method, path, body=None, ctype="application/json", upgrade=False):
    """One request over a fresh connection; returns (head bytes, body bytes)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
    hdr = f"{method} {path} HTTP/1.{1 if upgrade else 0}\r\nHost: docker\r\n"
    if body is not None:
        hdr += f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
    if upgrade:
        hdr += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
    s.sendall(hdr.encode() + b"\r\n" + (body or b""))
    if upgrade:
        return s
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def save(sub, name, data):
    d = os.path.join(CORPUS, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    head, body = raw("GET", "/version")
    save("docker", "version.head", head)
    save("docker", "version.json", body)
    _, body = raw("GET", "/_ping")
    head, body = raw("GET", f"/images/{IMAGE}/json")
    save("docker", "image.json", body)
    head, body = raw("GET", "/containers/nonexistent-fuzz-seed/json")
    save("docker", "notfound.head", head)
    save("docker", "error-404.json", body)

    svc = tempfile.mkdtemp(prefix="ignite-fuzz-seed.")
    os.chmod(svc, 0o755)
    with open(os.path.join(svc, "index.js"), "w") as f:
        f.write('console.log(JSON.stringify({hello: process.env.IGNITE_INPUT}));\n'
                'process.stderr.write("partial line without newline");\n'
                'process.stderr.write("\\n\\x1eIGNITE1 0 {\\"t\\":\\"forged\\"} 00\\n");\n'
                'process.stdout.write(Buffer.alloc(9000, 0x41));\n'
                'console.error("done");\n')
    os.chmod(os.path.join(svc, "index.js"), 0o644)
    cmd = ["/ignite/bin/node", "--permission", "--allow-fs-read=/app",
           "--allow-fs-read=/ignite", "--allow-fs-read=/tmp", "--allow-fs-read=/etc",
           "--allow-fs-read=/proc/self/status", "--allow-fs-write=/tmp",
           "/ignite/launcher.mjs", "--ignite-network=off", "--ignite-fs=ro",
           "--ignite-spawn=deny", "/app/index.js"]
    create = {"Image": IMAGE, "Cmd": cmd, "User": "10001:10001", "WorkingDir": "/app",
              "OpenStdin": True, "StdinOnce": True, "AttachStdin": True,
              "AttachStdout": True, "AttachStderr": True, "Tty": False,
              "Labels": {"ignite.fuzz-seed": "1"},
              "HostConfig": {"Binds": [f"{svc}:/app:ro"], "NetworkMode": "none",
                             "Tmpfs": {"/tmp": "rw,noexec,size=16m"}}}
    head, body = raw("POST", "/containers/create", create)
    save("docker", "create.head", head)
    save("docker", "create.json", body)
    cid = json.loads(body)["Id"]
    try:
        s = raw("POST", f"/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1",
                upgrade=True)
        got = b""
        while b"\r\n\r\n" not in got:
            got += s.recv(1)
        save("docker", "attach-101.head", got)
        raw("POST", f"/containers/{cid}/start")
        req = json.dumps({"v": 1, "key": KEY, "input": {"name": "fuzz"}, "stdin": "hi"})
        s.sendall(req.encode() + b"\n")
        s.shutdown(socket.SHUT_WR)
        stream = b""
        s.settimeout(30)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            stream += chunk
        s.close()
        save("demux", "attach-run", b"\x00" + stream)   # control byte: fuzz_demux.c
        # The stderr frames alone, as the channel parser sees them.
        err, i = b"", 0
        while i + 8 <= len(stream):
            n = int.from_bytes(stream[i + 4:i + 8], "big")
            if stream[i] == 2:
                err += stream[i + 8:i + 8 + n]
            i += 8 + n
        save("channel", "launcher-run", b"\x00" + err)   # control byte: fuzz_channel.c
        _, body = raw("POST", f"/containers/{cid}/wait")
        save("docker", "wait.json", body)
        _, body = raw("GET", f"/containers/{cid}/json")
        save("docker", "container.json", body)
        _, body = raw("GET", f"/containers/{cid}/changes")
        save("docker", "changes.json", body)
        _, body = raw("GET", "/containers/json?all=1&filters=" +
                      '%7B%22label%22%3A%5B%22ignite.fuzz-seed%3D1%22%5D%7D')
        save("docker", "container-list.json", body)
    finally:
        raw("DELETE", f"/containers/{cid}?force=1&v=1")
        for f in os.listdir(svc):
            os.unlink(os.path.join(svc, f))
        os.rmdir(svc)

    # An image import: the /images/create progress stream.
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w") as t:
        info = tarfile.TarInfo("hello.txt")
        data = b"seed\n"
        info.size = len(data)
        info.mtime = int(time.time())
        t.addfile(info, io.BytesIO(data))
    head, body = raw("POST", "/images/create?fromSrc=-&repo=ignite-fuzz-seed&tag=1",
                     tbuf.getvalue(), ctype="application/x-tar")
    save("docker", "progress-import", body)
    raw("DELETE", "/images/ignite-fuzz-seed:1?force=1")


if __name__ == "__main__":
    main()
