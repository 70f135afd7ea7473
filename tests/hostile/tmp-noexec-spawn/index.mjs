// tmp-noexec — writes a program to /tmp and tries to run it. The program is
// a 132-byte static x86-64 ELF that exits with status 42, so "it ran" is
// unambiguous. The images hold no shell, so this is the only way to bring a
// new program in. Prints one JSON line.
import cp from 'node:child_process';
import fs from 'node:fs';

const EXIT42 = '7f454c4602010100000000000000000002003e00010000007800400000000000' +
  '4000000000000000000000000000000000000000400038000100000000000000' +
  '0100000005000000000000000000000000004000000000000000400000000000' +
  '840000000000000084000000000000000010000000000000bf2a000000b83c00' +
  '00000f05';
const code = (e) => String(e && (e.code || e.name) || e);
const out = {};
try {
  fs.writeFileSync('/tmp/x', Buffer.from(EXIT42, 'hex'));
  fs.chmodSync('/tmp/x', 0o755);
  out.written = fs.statSync('/tmp/x').size;
} catch (e) { out.written = code(e); }
try {
  out.mount = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/tmp') || null;
} catch (e) { out.mount = code(e); }
try {
  const r = cp.spawnSync('/tmp/x', []);
  out.spawn = { status: r.status === undefined ? null : r.status, signal: r.signal || null, error: r.error ? code(r.error) : null };
} catch (e) { out.spawn = { status: null, thrown: code(e) }; }
// The runtime's own spawn API as well (deno's child_process hides the errno).
try {
  if (typeof globalThis.Deno !== 'undefined') {
    const r = new Deno.Command('/tmp/x').outputSync();
    out.native = { status: r.code, signal: r.signal || null };
  } else if (typeof globalThis.Bun !== 'undefined') {
    const r = Bun.spawnSync(['/tmp/x']);
    out.native = { status: r.exitCode, signal: r.signalCode || null };
  }
} catch (e) { out.native = { status: null, thrown: code(e), message: String(e && e.message).slice(0, 200) }; }
console.log(JSON.stringify(out));
