"""`ignite exec`: ad-hoc files run through the same core as POST /api/execute.

Usage errors need no engine; the runs need the Docker engine and the runtime
images and are skipped when it does not answer (the docker suite has one).
Every case also runs under the ASan/UBSan build."""
import json
import os
import socket
from pathlib import Path

import pytest

from conftest import assert_no_sanitizer


def engine_up():
    path = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not path.startswith("unix://"):
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(path[len("unix://"):])
            s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return b"OK" in s.recv(4096)
    except OSError:
        return False


needs_engine = pytest.mark.skipif(not engine_up(), reason="no Docker engine")


@pytest.fixture
def project(tmp_path):
    d = tmp_path / "proj"
    (d / "lib").mkdir(parents=True)
    (d / "main.ts").write_text('import { triple } from "./lib/triple.ts";\n'
                               'console.log(triple(JSON.parse(process.env.IGNITE_INPUT ?? "null")?.n ?? 1));\n')
    (d / "lib" / "triple.ts").write_text("export const triple = (n: number): number => n * 3;\n")
    return d


def test_help(ignite):
    r = ignite("exec", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: ignite exec"), r
    assert "  exec " in ignite("--help").stdout


@pytest.mark.parametrize("args,words", [
    ([], "--runtime is required"),
    (["--runtime", "node"], "expected at least one FILE"),
    (["--runtime", "node", "--memory", "0", "a.js"], "--memory"),
    (["--runtime", "node", "--timeout", "1e3", "a.js"], "--timeout"),
    (["--runtime", "node", "--input", "{nope", "a.js"], "--input"),
    (["--bogus"], "invalid option"),
])
def test_usage_errors(ignite_asan, args, words):
    r = ignite_asan("exec", *args)
    assert_no_sanitizer(r)
    assert r.returncode == 2, r
    assert words in r.stderr and "Try 'ignite exec --help'" in r.stderr, r.stderr


def test_file_errors(ignite_asan, tmp_path):
    r = ignite_asan("exec", "--runtime", "node", tmp_path / "missing.js")
    assert_no_sanitizer(r)
    assert r.returncode == 2 and "missing.js" in r.stderr, r
    r = ignite_asan("exec", "--runtime", "node", tmp_path)
    assert r.returncode == 2 and "not a regular file" in r.stderr, r
    (tmp_path / "a.js").write_text("1")
    r = ignite_asan("exec", "--runtime", "node", "a.js", "a.js", cwd=tmp_path)
    assert_no_sanitizer(r)
    assert r.returncode == 2 and "twice" in r.stderr, r


def test_entry_and_runtime_errors(ignite_asan, project):
    r = ignite_asan("exec", "--runtime", "node@20", "main.ts", "lib/triple.ts", cwd=project)
    assert_no_sanitizer(r)
    assert r.returncode == 2 and "entry" in r.stderr and "TypeScript" in r.stderr, r.stderr
    r = ignite_asan("exec", "--runtime", "python", "main.ts", cwd=project)
    assert r.returncode == 2 and "runtime" in r.stderr, r.stderr
    r = ignite_asan("exec", "--runtime", "node", "--entry", "other.ts", "main.ts", cwd=project)
    assert r.returncode == 2 and "not one of the files" in r.stderr, r.stderr


@needs_engine
def test_runs_multifile_typescript(ignite_asan, project, tmp_path):
    r = ignite_asan("exec", "--runtime", "node@24", "main.ts", "lib/triple.ts", "--input", '{"n": 14}',
                    cwd=project, env={"TMPDIR": str(tmp_path)}, timeout=120)
    assert_no_sanitizer(r)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "42\n"
    assert "success" in r.stderr and "run " in r.stderr
    # The copy of the files is gone.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("run-")] == []


@needs_engine
def test_json_report_and_exit_codes(ignite, tmp_path):
    (tmp_path / "x.js").write_text("console.log('out'); process.exit(3)")
    r = ignite("exec", "--runtime", "bun", "x.js", "--json", cwd=tmp_path, timeout=120)
    assert r.returncode == 3, r.stderr
    rep = json.loads(r.stdout)
    assert rep["kind"] == "adhoc" and rep["serviceName"] == "adhoc" and rep["audit"] is True, rep
    assert rep["metrics"]["stdout"] == "out\n" and rep["files"][0]["name"] == "x.js", rep
    (tmp_path / "spin.js").write_text("for(;;){}")
    r = ignite("exec", "--runtime", "deno", "spin.js", "--timeout", "400", cwd=tmp_path, timeout=120)
    assert r.returncode == 124, r.stderr
    (tmp_path / "in.txt").write_text("hello")
    (tmp_path / "s.js").write_text('process.stdin.on("data", (d) => process.stdout.write("got " + d))')
    r = ignite("exec", "--runtime", "node@22", "s.js", "--stdin", "in.txt", cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and r.stdout == "got hello", r
