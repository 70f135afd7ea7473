// fork-bomb — tries to start 200 copies of the runtime binary and 200
// worker threads, then reports how many came up. Spawning is denied by the
// default policy; threads count against the container's PIDs limit.
import cp from 'node:child_process';
import process from 'node:process';
import { Worker } from 'node:worker_threads';

const N = 200;
const code = (e) => String(e && (e.code || e.name) || e);
const idle = 'setTimeout(() => {}, 60000)';
const args = typeof globalThis.Deno !== 'undefined' ? ['eval', idle] : ['-e', idle];
const out = { spawned: 0, spawnErrors: {}, workers: 0, workerErrors: {} };
const bump = (o, k) => { o[k] = (o[k] || 0) + 1; };

for (let i = 0; i < N; i++) {
  try {
    const c = cp.spawn(process.execPath, args, { stdio: 'ignore' });
    c.on('spawn', () => { out.spawned++; });
    c.on('error', (e) => bump(out.spawnErrors, code(e)));
  } catch (e) { bump(out.spawnErrors, code(e)); }
}
const block = 'const a = new Int32Array(new SharedArrayBuffer(4)); Atomics.wait(a, 0, 0);';
for (let i = 0; i < N; i++) {
  try {
    const w = new Worker(block, { eval: true });
    w.on('online', () => { out.workers++; });
    w.on('error', (e) => bump(out.workerErrors, code(e)));
  } catch (e) { bump(out.workerErrors, code(e)); }
}
await new Promise((resolve) => setTimeout(resolve, 3000));
console.log(JSON.stringify(out));
process.exit(0);
