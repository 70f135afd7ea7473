// orphans — starts children that each start a grandchild and exit at once,
// leaving orphans behind; the orphans exit after 300 ms, so unless something
// reaps them they stay zombies. Counts processes and zombies in the
// container after a second, prints them, and exits leaving a long-lived
// orphan behind (its command line carries input.mark).
import cp from 'node:child_process';
import fs from 'node:fs';
import process from 'node:process';

const input = JSON.parse(process.env.IGNITE_INPUT || 'null') || {};
const mark = String(input.mark || 'orphan').replace(/[^a-z0-9]/g, '');
const exe = process.execPath;
const grand = 'setTimeout(() => {}, 300)';
const longOrphan = `setTimeout(() => {}, 120000) /* ${mark} */`;
const parent = (code) => `require("child_process").spawn(${JSON.stringify(exe)}, ["-e", ${JSON.stringify(code)}], {detached: true, stdio: "ignore"}).unref(); process.exit(0)`;
const out = { started: 0, errors: [] };
const waits = [];
for (let i = 0; i < 8; i++) {
  try {
    const c = cp.spawn(exe, ['-e', parent(i === 0 ? longOrphan : grand)], { stdio: 'ignore' });
    out.started++;
    waits.push(new Promise((resolve) => { c.on('exit', resolve); c.on('error', resolve); }));
  } catch (e) { out.errors.push(String(e && (e.code || e.name))); }
}
await Promise.all(waits);
await new Promise((resolve) => setTimeout(resolve, 1500));
out.processes = 0;
out.zombies = 0;
out.pid1 = null;
out.marked = 0;
for (const d of fs.readdirSync('/proc')) {
  if (!/^\d+$/.test(d)) continue;
  try {
    const stat = fs.readFileSync('/proc/' + d + '/stat', 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    out.processes++;
    if (state === 'Z') out.zombies++;
    if (fs.readFileSync('/proc/' + d + '/cmdline', 'latin1').includes(mark)) out.marked++;
    if (d === '1') out.pid1 = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  } catch {}
}
console.log(JSON.stringify(out));
process.exit(0);
