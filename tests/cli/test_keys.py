"""`ignite keys add|list|revoke` end to end against a temporary keys file:
the key is printed once, only a hash is stored (0600, atomic), listing never
shows secrets, revocation is recorded, and every error is one line naming
the file."""
import json
import os
import re
import stat
import subprocess

import pytest

from conftest import assert_no_sanitizer

TOKEN = re.compile(r"^ign_([0-9a-f]{12})_[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")


def add(ignite, keys, name, *extra):
    r = ignite("keys", "add", name, "--file", keys, *extra)
    assert r.returncode == 0, r.stderr
    return r


def listing(ignite, keys):
    r = ignite("keys", "list", "--file", keys, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["keys"]


@pytest.fixture
def keys(tmp_path):
    return tmp_path / "keys"


@pytest.mark.parametrize("sub", [None, "add", "list", "revoke"])
def test_help(ignite, sub):
    args = ["keys"] + ([sub] if sub else []) + ["--help"]
    r = ignite(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: ignite keys")
    if sub:
        assert f"ignite keys {sub}" in r.stdout.splitlines()[0]


def test_keys_is_in_the_verb_table(ignite):
    r = ignite("--help")
    assert "  keys " in r.stdout


def test_add_prints_the_key_once_and_stores_a_hash(ignite, keys):
    r = add(ignite, keys, "ci")
    token = r.stdout.strip()
    assert r.stdout == token + "\n"            # stdout: the key and nothing else
    m = TOKEN.match(token)
    assert m, token
    key_id = m.group(1)
    assert "only time" in r.stderr and "cannot" in r.stderr
    assert key_id in r.stderr and str(keys) in r.stderr

    st = os.stat(keys)
    assert stat.S_IMODE(st.st_mode) == 0o600
    text = keys.read_text()
    assert token not in text
    assert token.split("_", 2)[2] not in text  # nor the secret alone
    doc = json.loads(text)
    assert doc["version"] == 1
    (entry,) = doc["keys"]
    assert entry["id"] == key_id
    assert entry["name"] == "ci"
    assert entry["scope"] == "execute"         # the default scope
    assert entry["revoked"] is False
    assert re.match(r"^\$s1\$0e0801\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$", entry["hash"])
    assert sorted(p.name for p in keys.parent.iterdir()) == ["keys"]   # no temp files left


def test_add_json(ignite, keys):
    r = add(ignite, keys, "robot@ci", "--scope", "read", "--json")
    out = json.loads(r.stdout)
    assert set(out) == {"id", "name", "scope", "created", "key"}
    assert out["name"] == "robot@ci" and out["scope"] == "read"
    assert TOKEN.match(out["key"]).group(1) == out["id"]


def test_list_never_shows_secrets(ignite, keys):
    t1 = add(ignite, keys, "ci").stdout.strip()
    t2 = add(ignite, keys, "admin-bot", "-s", "admin").stdout.strip()
    entries = listing(ignite, keys)
    assert [(k["name"], k["scope"], k["revoked"]) for k in entries] == \
        [("ci", "execute", False), ("admin-bot", "admin", False)]
    assert all(set(k) == {"id", "name", "scope", "created", "revoked"} for k in entries)

    r = ignite("keys", "list", "--file", keys)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "SCOPE", "CREATED", "REVOKED"]
    assert len(lines) == 3
    for k, line in zip(entries, lines[1:]):
        assert line.split() == [k["id"], k["name"], k["scope"], k["created"], "-"]
    for out in (r.stdout, r.stderr):
        for t in (t1, t2):
            assert t.split("_", 2)[2] not in out
        assert "$s1$" not in out


def test_revoke(ignite, keys):
    add(ignite, keys, "ci")
    add(ignite, keys, "other")
    first, second = listing(ignite, keys)
    r = ignite("keys", "revoke", first["id"], "--file", keys)
    assert r.returncode == 0, r.stderr
    assert first["id"] in r.stdout and "SIGHUP" in r.stdout
    after = listing(ignite, keys)
    assert len(after) == 2                       # kept for the record
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", after[0]["revoked"])
    assert after[1]["revoked"] is False
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o600
    text = ignite("keys", "list", "--file", keys).stdout
    assert after[0]["revoked"] in text

    r = ignite("keys", "revoke", first["id"], "--file", keys)
    assert r.returncode == 1
    assert r.stderr == f"ignite: {keys}: key {first['id']} was already revoked at {after[0]['revoked']}\n"
    r = ignite("keys", "revoke", "0123456789ab", "--file", keys)
    assert r.returncode == 1
    assert r.stderr == f"ignite: {keys}: no key with id 0123456789ab\n"


def test_options_anywhere(ignite, keys):
    r = ignite("keys", "--file", keys, "add", "--scope", "read", "x1")
    assert r.returncode == 0, r.stderr
    assert listing(ignite, keys)[0]["scope"] == "read"


def test_env_and_default_file(ignite, tmp_path):
    env_file = tmp_path / "env-keys"
    r = ignite("keys", "add", "ci", env={"IGNITE_KEYS_FILE": str(env_file)})
    assert r.returncode == 0, r.stderr
    assert env_file.exists()

    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "IGNITE_KEYS_FILE": "", "XDG_CONFIG_HOME": ""}
    r = ignite("keys", "add", "ci", env=env)
    assert r.returncode == 0, r.stderr
    default = home / ".config" / "ignite" / "keys"
    assert default.exists()
    assert stat.S_IMODE(os.stat(default.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(default).st_mode) == 0o600
    r = ignite("keys", "list", env=env)
    assert r.returncode == 0 and "ci" in r.stdout

    xdg = tmp_path / "xdg"
    xdg.mkdir()
    r = ignite("keys", "add", "ci", env={**env, "XDG_CONFIG_HOME": str(xdg)})
    assert r.returncode == 0, r.stderr
    assert (xdg / "ignite" / "keys").exists()


@pytest.mark.parametrize("args,needle", [
    (["keys"], "expected a command"),
    (["keys", "frob"], "unknown command 'frob'"),
    (["keys", "--no-such-option"], "invalid option"),
    (["keys", "add"], "expected one key name"),
    (["keys", "add", "a", "b"], "expected one key name"),
    (["keys", "add", "bad name"], "key name must be"),
    (["keys", "add", "-lead"], "invalid option"),
    (["keys", "add", "x", "--scope", "write"], "scope must be read, execute or admin"),
    (["keys", "list", "extra"], "takes no arguments"),
    (["keys", "list", "--scope", "read"], "--scope is only for"),
    (["keys", "revoke"], "expected one key id"),
    (["keys", "revoke", "ABCDEF012345"], "key id must be 12 lowercase hex"),
    (["keys", "revoke", "0123456789ab", "--json"], "--json"),
    (["keys", "list", "--file", ""], "--file needs a path"),
])
def test_usage_errors(ignite, keys, args, needle):
    if "--file" not in args:
        args = args + ["--file", str(keys)]
    r = ignite(*args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr
    assert "Try 'ignite keys" in r.stderr
    assert not keys.exists()


def test_file_errors_name_the_file(ignite, keys, tmp_path):
    # missing
    r = ignite("keys", "list", "--file", keys)
    assert r.returncode == 1
    assert r.stderr.startswith(f"ignite: {keys}: ")
    assert "ignite keys add" in r.stderr

    # missing directory
    r = ignite("keys", "add", "ci", "--file", tmp_path / "nodir" / "keys")
    assert r.returncode == 1
    assert r.stderr.startswith(f"ignite: {tmp_path / 'nodir' / 'keys'}: ")

    # unsafe mode: refused for reading and for changing
    add(ignite, keys, "ci")
    os.chmod(keys, 0o644)
    for args in (["list"], ["add", "x"], ["revoke", "0123456789ab"]):
        r = ignite("keys", *args, "--file", keys)
        assert r.returncode == 1
        assert r.stderr.count("\n") == 1
        assert r.stderr.startswith(f"ignite: {keys}: mode 0644")
        assert "chmod 600" in r.stderr
    os.chmod(keys, 0o600)

    # symlink
    link = tmp_path / "link"
    link.symlink_to(keys)
    r = ignite("keys", "list", "--file", link)
    assert r.returncode == 1
    assert r.stderr == f"ignite: {link}: is a symlink; refusing to follow it\n"

    # broken content: one line with the file and the JSON path
    before = keys.read_text()
    doc = json.loads(before)
    doc["keys"][0]["scope"] = "root"
    keys.write_text(json.dumps(doc))
    r = ignite("keys", "add", "y", "--file", keys)
    assert r.returncode == 1
    assert r.stderr == f"ignite: {keys}: keys[0].scope: scope must be read, execute or admin\n"
    keys.write_text("{not json")
    r = ignite("keys", "list", "--file", keys)
    assert r.returncode == 1
    assert r.stderr.startswith(f"ignite: {keys}: invalid JSON at byte")
    assert keys.read_text() == "{not json"     # never rewritten after a failure


def test_concurrent_adds_lose_nothing(ignite_bin, keys, tmp_path):
    env = dict(os.environ, NO_COLOR="1")
    procs = [subprocess.Popen([str(ignite_bin), "keys", "add", f"k{i}", "--file", str(keys)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for i in range(8)]
    tokens = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        tokens.append(out.strip())
    doc = json.loads(keys.read_text())
    assert sorted(k["name"] for k in doc["keys"]) == sorted(f"k{i}" for i in range(8))
    assert sorted(k["id"] for k in doc["keys"]) == sorted(TOKEN.match(t).group(1) for t in tokens)


def test_round_trip_under_asan(ignite_asan, keys):
    r = ignite_asan("keys", "add", "ci", "--file", keys, "--scope", "admin")
    assert_no_sanitizer(r)
    assert r.returncode == 0, r.stderr
    key_id = TOKEN.match(r.stdout.strip()).group(1)
    for args in (["list"], ["list", "--json"], ["revoke", key_id], ["revoke", key_id],
                 ["revoke", "nothex"], ["add", "bad name"]):
        r = ignite_asan("keys", *args, "--file", keys)
        assert_no_sanitizer(r)
    keys.write_bytes(b'{"version":1,"keys":[{"id":"\x00\xff' + b"A" * 5000 + b'"}]}')
    os.chmod(keys, 0o600)
    r = ignite_asan("keys", "list", "--file", keys)
    assert_no_sanitizer(r)
    assert r.returncode == 1
