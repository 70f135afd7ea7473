// grandchild — starts a detached child that inherits stdout and stderr and
// keeps writing to them for a minute, then either exits at once
// (input {"mode":"exit"}) or stays alive itself (input {"mode":"hang"}).
import cp from 'node:child_process';
import process from 'node:process';

const input = JSON.parse(process.env.IGNITE_INPUT || 'null') || {};
const mode = input.mode === 'hang' ? 'hang' : 'exit';
const body = 'setInterval(() => console.log("grandchild alive"), 200); setTimeout(() => {}, 60000)';
const args = typeof globalThis.Deno !== 'undefined' ? ['eval', body] : ['-e', body];
const child = cp.spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
child.unref();
await new Promise((resolve) => { child.on('spawn', resolve); child.on('error', resolve); setTimeout(resolve, 2000); });
console.log(JSON.stringify({ mode, grandchild: child.pid || null }));
if (mode === 'exit') process.exit(0);
setInterval(() => {}, 1000);
