// kill-all — starts a child, then sends SIGKILL to every process it may
// signal (kill(-1)) and to pid 1. Inside its own PID namespace that can only
// reach the child; the host must not notice. Prints one JSON line. With input
// {"self": true} it then kills itself with SIGKILL.
import cp from 'node:child_process';
import process from 'node:process';

const code = (e) => String(e && (e.code || e.name) || e);
const idle = 'setTimeout(() => {}, 60000)';
const args = typeof globalThis.Deno !== 'undefined' ? ['eval', idle] : ['-e', idle];
const out = { pid: process.pid };
let exited = null;
try {
  const child = cp.spawn(process.execPath, args, { stdio: 'ignore' });
  exited = new Promise((resolve) => {
    child.on('exit', (status, signal) => resolve({ status, signal }));
    child.on('error', (e) => resolve({ error: code(e) }));
  });
  await new Promise((resolve) => { child.on('spawn', resolve); child.on('error', resolve); });
  out.child = child.pid || null;
} catch (e) { out.child = code(e); }
await new Promise((resolve) => setTimeout(resolve, 300));
try { out.killAll = process.kill(-1, 'SIGKILL'); } catch (e) { out.killAll = code(e); }
if (exited) out.childExit = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 3000))]);
try { out.killInit = process.kill(1, 'SIGKILL'); } catch (e) { out.killInit = code(e); }
await new Promise((resolve) => setTimeout(resolve, 300));
out.survived = true;
console.log(JSON.stringify(out));
// Input {"self": true}: end by killing itself, as a crash would.
if ((JSON.parse(process.env.IGNITE_INPUT || 'null') || {}).self) process.kill(process.pid, 'SIGKILL');
process.exit(0);
