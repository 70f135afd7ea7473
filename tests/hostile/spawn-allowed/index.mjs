// spawn-allowed — starts the listed runtime binary with --version, then
// tries the unlisted dynamic loader (which would run the same binary).
import cp from 'node:child_process';
import process from 'node:process';

const code = (e) => String(e && (e.code || e.name) || e);
const text = (b) => (b == null ? '' : String(b)).trim().slice(0, 100);
function run(file, args) {
  try {
    const r = cp.spawnSync(file, args);
    return { ran: r.status === 0, status: r.status, code: r.error ? code(r.error) : null, out: text(r.stdout) };
  } catch (e) { return { ran: false, code: code(e) }; }
}
const out = {
  execPath: process.execPath,
  listed: run(process.execPath, ['--version']),
  unlisted: run('/lib64/ld-linux-x86-64.so.2', [process.execPath, '--version']),
};
console.log(JSON.stringify(out));
