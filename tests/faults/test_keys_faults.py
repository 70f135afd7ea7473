"""A missing, unreadable or corrupt keys file (issue 7): ignite-fcgi refuses to
start, with one clear line naming the file and a non-zero exit; corrupted
under a running daemon, SIGHUP keeps the last good set and logs why."""
import json
import os
import shutil
import subprocess
import time

import pytest

from faultkit import BUILD, wait_for

# Ways to break a keys file; each takes the path of a good one.


def _missing(p):
    p.unlink()


def _directory(p):
    p.unlink()
    p.mkdir()


def _fifo(p):
    p.unlink()
    os.mkfifo(p, 0o600)


def _world_writable(p):
    os.chmod(p, 0o666)


def _world_readable(p):
    os.chmod(p, 0o644)


def _foreign_owner(p):
    os.chown(p, 4242, 4242)


def _symlink(p):
    real = p.with_name(p.name + ".real")
    p.rename(real)
    p.symlink_to(real)


def _garbage(p):
    p.write_bytes(b"\x00\xff this is not JSON \x1b[31m")


def _truncated(p):
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _empty(p):
    p.write_bytes(b"")


def _wrong_shape(p):
    p.write_text(json.dumps({"version": 1, "keys": [{"id": 7, "hash": ["x"]}]}))


def _bad_hash(p):
    d = json.loads(p.read_text())
    d["keys"][0]["hash"] = "$s1$not-a-real-mcf"
    p.write_text(json.dumps(d))


def _huge(p):
    p.write_bytes(b'{"version":1,"keys":[' + b" " * (8 << 20) + b"]}")


BREAKS = {f.__name__.lstrip("_"): f for f in (
    _missing, _directory, _fifo, _world_writable, _world_readable, _foreign_owner, _symlink,
    _garbage, _truncated, _empty, _wrong_shape, _bad_hash, _huge)}

# What the one-line error must mention besides the path (lower case).
HINTS = {"missing": "no such file", "directory": "not a regular file", "fifo": "not a regular file",
         "world_writable": "mode", "world_readable": "mode", "foreign_owner": "owned",
         "symlink": "symlink", "huge": "larger"}


def own_keys(workdir, keys, name):
    d = workdir / "keyfiles" / name
    d.mkdir(parents=True, exist_ok=True)
    p = d / "keys"
    shutil.copyfile(keys.path, p)
    os.chmod(p, 0o600)
    return p


@pytest.mark.parametrize("how", sorted(BREAKS))
def test_refuses_to_start(how, engine, workdir, services_dir, keys):
    kf = own_keys(workdir, keys, f"start-{how}")
    BREAKS[how](kf)
    sock = workdir / "keyfiles" / f"start-{how}" / "s.sock"
    cmd = [str(BUILD / "ignite-fcgi"), "--socket", str(sock), "--services", str(services_dir),
           "--runs", str(kf.parent / "runs"), "--keys", str(kf), "--docker-host", engine.host]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, f"started with a {how} keys file:\n{p.stderr}"
    assert p.returncode > 0, f"died of signal {-p.returncode}:\n{p.stderr}"
    assert time.monotonic() - t0 < 20
    err = p.stderr.strip()
    assert err, "no error message"
    assert str(kf) in err, f"the error does not name the keys file:\n{err}"
    if how in HINTS:
        assert HINTS[how] in err.lower(), err
    assert not sock.exists(), "the socket was created although the daemon refused to start"


RELOAD_BREAKS = ["missing", "directory", "fifo", "world_writable", "symlink", "garbage", "truncated",
                 "empty", "wrong_shape", "bad_hash"]


@pytest.mark.parametrize("how", RELOAD_BREAKS)
def test_sighup_keeps_last_good_keys(how, make_stack, workdir, keys):
    kf = own_keys(workdir, keys, f"hup-{how}")
    s = make_stack(f"hup-{how}", "--key-cache-ttl", "0")
    s.keys_file = kf
    s.stop_daemon()
    s.start_daemon()
    assert f"--keys {kf}" in s.log_text()
    assert s.get("/api/services", key=keys.read).status == 200
    pid = s.daemon.pid

    BREAKS[how](kf)
    s.sighup()
    lines = [x for x in s.log_lines() if x.get("msg") == "reload: keeping the previous keys"]
    assert lines, f"the failed reload is not logged:\n{s.log_tail()}"
    assert lines[-1].get("level") == "error", lines[-1]
    assert str(kf) in lines[-1].get("error", ""), lines[-1]
    # The old keys still work (no cache: --key-cache-ttl 0), the others not.
    for _ in range(3):
        assert s.get("/api/services", key=keys.read).status == 200
        assert s.get("/api/runs", key=keys.admin).status == 200
    assert s.get("/api/services", key="ign_000000000000_" + "A" * 43).status == 401
    assert s.daemon_alive() and s.daemon.pid == pid

    # A good file again: the next SIGHUP takes it, with a key added since.
    if kf.is_dir():
        kf.rmdir()
    elif kf.is_symlink() or kf.exists():
        kf.unlink()
    shutil.copyfile(keys.path, kf)
    os.chmod(kf, 0o600)
    out = subprocess.run([str(BUILD / "ignite"), "keys", "add", "late", "--scope", "read",
                          "--file", str(kf), "--json"], capture_output=True, text=True, check=True)
    late = json.loads(out.stdout)["key"]
    assert s.get("/api/services", key=late).status == 401
    s.sighup()
    assert wait_for(lambda: any(x.get("msg") == "reload: keys reloaded" for x in s.log_lines()), 5)
    assert s.get("/api/services", key=late).status == 200
    assert s.get("/api/services", key=keys.read).status == 200
