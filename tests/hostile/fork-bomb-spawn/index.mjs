// fork-bomb-spawn — with spawning allowed, starts copies of the runtime
// binary (each of which would start more) until something stops it, then
// reports how many came up and how many were refused (it stops early once
// 20 attempts have failed with EAGAIN).
import cp from 'node:child_process';
import process from 'node:process';

const N = 200;
const code = (e) => String(e && (e.code || e.name) || e);
const idle = 'setTimeout(() => {}, 60000)';
const args = typeof globalThis.Deno !== 'undefined' ? ['eval', idle] : ['-e', idle];
const out = { spawned: 0, exitedEarly: 0, spawnErrors: {} };
const bump = (o, k) => { o[k] = (o[k] || 0) + 1; };

for (let i = 0; i < N; i++) {
  try {
    const c = cp.spawn(process.execPath, args, { stdio: 'ignore' });
    c.on('spawn', () => { out.spawned++; });
    c.on('exit', () => { out.exitedEarly++; });
    c.on('error', (e) => bump(out.spawnErrors, code(e)));
  } catch (e) { bump(out.spawnErrors, code(e)); }
  await new Promise((resolve) => setTimeout(resolve, 10));
  if ((out.spawnErrors.EAGAIN || 0) >= 20) break;   // the limit holds: enough
}
await new Promise((resolve) => setTimeout(resolve, 2000));
console.log(JSON.stringify(out));
process.exit(0);
