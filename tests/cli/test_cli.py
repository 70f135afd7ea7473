"""The `ignite` command line as a user runs it: help, exit codes, init,
preflight, report, lock and env. Invalid configurations run under the
ASan/UBSan build of the binary."""
import json
import os
import random
import shutil
from pathlib import Path

import pytest

from conftest import assert_no_sanitizer

VERBS = ["init", "preflight", "report", "run", "exec", "lock", "env", "keys", "sweep"]


def test_version(ignite):
    r = ignite("--version")
    assert r.returncode == 0
    assert r.stdout.startswith("ignite ")


def test_help_lists_every_verb(ignite):
    r = ignite("--help")
    assert r.returncode == 0
    for verb in VERBS:
        assert f"  {verb} " in r.stdout


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(ignite, verb):
    r = ignite(verb, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"usage: ignite {verb}")


def test_no_arguments_is_usage_error(ignite):
    r = ignite()
    assert r.returncode == 2
    assert "usage:" in r.stderr


def test_unknown_verb(ignite):
    r = ignite("frobnicate")
    assert r.returncode == 2
    assert r.stderr.startswith("ignite: unknown command 'frobnicate'")


@pytest.mark.parametrize("verb", ["preflight", "run", "lock", "init"])
def test_bad_option_is_usage_error(ignite, verb):
    r = ignite(verb, "--no-such-option")
    assert r.returncode == 2
    assert f"Try 'ignite {verb} --help'" in r.stderr


# ---- init ------------------------------------------------------------------

def test_init_scaffolds_a_valid_service(ignite, tmp_path):
    r = ignite("init", "my-svc", "--path", tmp_path)
    assert r.returncode == 0, r.stderr
    d = tmp_path / "my-svc"
    assert {p.name for p in d.iterdir()} == {"service.yaml", "index.ts", "package.json"}
    r = ignite("preflight", d, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["serviceName"] == "my-svc"


def test_init_never_overwrites(ignite, tmp_path):
    assert ignite("init", "svc", "--path", tmp_path).returncode == 0
    entry = tmp_path / "svc" / "index.ts"
    entry.write_text("// mine\n")
    r = ignite("init", "svc", "--path", tmp_path)
    assert r.returncode == 1
    assert "already exists" in r.stderr
    assert entry.read_text() == "// mine\n"


def test_init_js_and_runtime(ignite, tmp_path):
    r = ignite("init", "plain", "--path", tmp_path, "--runtime", "node@20")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "plain" / "index.js").exists()
    assert "runtime: node@20" in (tmp_path / "plain" / "service.yaml").read_text()


@pytest.mark.parametrize("name", ["Bad", "-x", "x-", "a" * 64, "a/b", "..", ""])
def test_init_rejects_bad_names(ignite, tmp_path, name):
    r = ignite("init", name, "--path", tmp_path)
    assert r.returncode == 2
    assert list(tmp_path.iterdir()) == []


# ---- preflight / report -----------------------------------------------------

@pytest.mark.parametrize("example", ["hello", "data-processor"])
def test_preflight_examples_json(ignite, root, example):
    r = ignite("preflight", root / "examples" / example, "--json")
    assert r.returncode == 0, r.stderr
    pf = json.loads(r.stdout)
    assert pf["serviceName"] == example
    assert pf["overallStatus"] in ("pass", "warn")
    assert [c["name"] for c in pf["checks"]] == [
        "memory-allocation", "dependency-count", "timeout-config", "image-size"]


def test_preflight_text_has_no_colour_without_tty(ignite, root):
    r = ignite("preflight", root / "examples" / "hello")
    assert r.returncode == 0
    assert "\x1b" not in r.stdout
    assert "memory-allocation" in r.stdout


def write_service(d, yaml, entry="index.js", entry_text="console.log(1)\n"):
    d.mkdir(parents=True, exist_ok=True)
    (d / "service.yaml").write_text(yaml)
    if entry:
        (d / entry).write_text(entry_text)
    return d


def test_preflight_fail_exits_1(ignite, tmp_path):
    d = write_service(tmp_path / "tight", """service:
  name: tight
  runtime: node@24
  entry: index.js
  memoryMb: 10
  timeoutMs: 1000
preflight:
  memory: { baseMb: 500 }
""")
    r = ignite("preflight", d, "--json")
    assert r.returncode == 1
    pf = json.loads(r.stdout)
    assert pf["overallStatus"] == "fail"
    assert pf["checks"][0]["status"] == "fail"


def test_report_to_file(ignite, root, tmp_path):
    out = tmp_path / "report.json"
    r = ignite("report", root / "examples" / "hello", "--json", "-o", out)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["serviceName"] == "hello"
    r = ignite("report", root / "examples" / "hello", "-o", out)
    assert "Overall" in out.read_text()


def test_report_unwritable_output(ignite, root, tmp_path):
    r = ignite("report", root / "examples" / "hello", "-o", tmp_path / "no" / "such" / "dir" / "x")
    assert r.returncode == 1
    assert r.stderr.startswith("ignite: ")


def test_missing_directory(ignite, tmp_path):
    r = ignite("preflight", tmp_path / "nope")
    assert r.returncode == 2
    assert str(tmp_path / "nope") in r.stderr


def test_every_error_at_once_with_path_and_line(ignite, tmp_path):
    d = write_service(tmp_path / "broken", """service:
  name: Broken_Name
  runtime: node@24
  entry: ../../etc/passwd
  memoryMb: -5
  timeoutMs: soon
  memoryMB: 128
""", entry=None)
    r = ignite("preflight", d)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    problems, summary = lines[:-1], lines[-1]
    assert len(problems) >= 5, r.stderr
    for line in problems:
        assert line.startswith(f"{d}/service.yaml:"), line
    assert summary.startswith(f"ignite: {d}: service.yaml: invalid configuration"), summary
    text = r.stderr
    assert "service.name" in text and "service.entry" in text
    assert "service.memoryMb" in text and "service.timeoutMs" in text
    assert "memoryMB" in text


def test_invalid_json_answer(ignite, tmp_path):
    d = write_service(tmp_path / "bad", "service: [1, 2]\n")
    r = ignite("preflight", d, "--json")
    assert r.returncode == 2
    body = json.loads(r.stdout)
    assert body["valid"] is False and body["errors"]


# ---- the invalid-config corpus, under ASan/UBSan ---------------------------

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def corpus_cases(kind):
    base = CORPUS / kind
    return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.exists() else []


@pytest.mark.parametrize("case", corpus_cases("invalid-service"))
def test_invalid_corpus(ignite_asan, tmp_path, case):
    src = CORPUS / "invalid-service" / case
    d = tmp_path / case
    shutil.copytree(src, d, symlinks=True)
    r = ignite_asan("preflight", d)
    assert_no_sanitizer(r)
    assert r.returncode == 2, (r.returncode, r.stderr)
    expect = (src / "expect").read_text().strip()
    assert expect in r.stderr, r.stderr
    for line in r.stderr.strip().splitlines():
        assert line.startswith(str(d)) or line.startswith("ignite: "), line


@pytest.mark.parametrize("case", corpus_cases("valid-service"))
def test_valid_corpus(ignite_asan, tmp_path, case):
    d = tmp_path / case
    shutil.copytree(CORPUS / "valid-service" / case, d, symlinks=True)
    r = ignite_asan("preflight", d, "--json")
    assert_no_sanitizer(r)
    assert r.returncode in (0, 1), r.stderr
    assert json.loads(r.stdout)["overallStatus"] in ("pass", "warn", "fail")


def test_random_bytes_never_crash(ignite_asan, tmp_path):
    """Random and mutated service.yaml files: always a clean error, never a crash."""
    rng = random.Random(1234)
    seed = (Path(__file__).resolve().parents[2] / "examples" / "data-processor" / "service.yaml").read_bytes()
    d = tmp_path / "fuzz"
    d.mkdir()
    (d / "index.ts").write_text("console.log(1)\n")
    for i in range(120):
        if i % 3 == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        else:
            b = bytearray(seed)
            for _ in range(rng.randrange(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            data = bytes(b)
        (d / "service.yaml").write_bytes(data)
        r = ignite_asan("preflight", d)
        assert_no_sanitizer(r)
        assert r.returncode in (0, 1, 2), (data, r.stderr)


# ---- host files never leak ---------------------------------------------------

def test_service_yaml_symlink_to_host_file_refused(ignite, tmp_path):
    d = tmp_path / "leak"
    d.mkdir()
    (d / "service.yaml").symlink_to("/etc/passwd")
    r = ignite("preflight", d, "--json")
    assert r.returncode == 2
    assert "root:" not in r.stdout + r.stderr


def test_entry_symlink_to_host_file_refused(ignite, tmp_path):
    d = write_service(tmp_path / "leak2", """service:
  name: leak2
  runtime: node@24
  entry: index.js
  memoryMb: 128
  timeoutMs: 1000
""", entry=None)
    (d / "index.js").symlink_to("/etc/passwd")
    r = ignite("preflight", d)
    assert r.returncode == 2
    assert "service.entry" in r.stderr
    assert "root:" not in r.stdout + r.stderr


# ---- lock ----------------------------------------------------------------------

def lockable(tmp_path, root):
    d = tmp_path / "hello"
    shutil.copytree(root / "examples" / "hello", d)
    return d


def test_lock_write_and_check(ignite, tmp_path, root):
    d = lockable(tmp_path, root)
    r = ignite("lock", d)
    assert r.returncode == 0, r.stderr
    text = (d / "ignite.lock").read_text()
    assert "node@24." in text and "package.json" in text
    r = ignite("lock", d, "--check")
    assert r.returncode == 0, r.stderr
    assert "up to date" in r.stdout


def test_lock_check_reports_drift(ignite, tmp_path, root):
    d = lockable(tmp_path, root)
    assert ignite("lock", d).returncode == 0
    (d / "package.json").write_text('{"name":"hello","version":"2.0.0"}\n')
    (d / "package-lock.json").write_text("{}\n")
    r = ignite("lock", d, "--check")
    assert r.returncode == 1
    assert "package.json: sha256 changed" in r.stderr
    assert "package-lock.json: added" in r.stderr
    assert ignite("lock", d, "--update").returncode == 0
    assert ignite("lock", d, "--check").returncode == 0


def test_lock_check_without_lock(ignite, tmp_path, root):
    d = lockable(tmp_path, root)
    r = ignite("lock", d, "--check")
    assert r.returncode == 1
    assert "ignite lock" in r.stderr


def test_lock_refuses_symlinked_package_json(ignite, tmp_path, root):
    d = lockable(tmp_path, root)
    (d / "package.json").unlink()
    (d / "package.json").symlink_to("/etc/passwd")
    r = ignite("lock", d)
    assert r.returncode != 0
    assert not (d / "ignite.lock").exists()
    assert "root:" not in r.stdout + r.stderr


# ---- env -------------------------------------------------------------------------

def test_env_runtimes_table(ignite):
    r = ignite("env", "--runtimes")
    assert r.returncode == 0, r.stderr
    for name in ("node", "bun", "deno"):
        assert f"\n{name} " in "\n" + r.stdout
    r = ignite("env", "--runtimes", "--json")
    table = json.loads(r.stdout)
    assert {t["name"] for t in table} == {"node", "bun", "deno"}
    assert sum(1 for t in table if t["default"]) == 3


def test_env_service(ignite, root):
    r = ignite("env", root / "examples" / "hello", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["service"] == "hello" and info["resolved"].startswith("24.")


def test_run_rejects_invalid_input(ignite, root):
    r = ignite("run", root / "examples" / "hello", "--input", "{not json")
    assert r.returncode == 2
    assert "--input" in r.stderr
