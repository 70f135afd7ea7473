// host-read — tries to read the host: its password files, pid 1's
// environment and command line, the mount table, and host paths it was told
// about in the input (a canary file, the keys file, the services directory).
// Prints what it got, so any host content would show in the report.
import fs from 'node:fs';
import process from 'node:process';

const input = JSON.parse(process.env.IGNITE_INPUT || 'null') || {};
const code = (e) => String(e && (e.code || e.name) || e);
const paths = ['/etc/shadow', '/etc/passwd', '/etc/hostname', '/proc/1/environ', '/proc/1/cmdline',
  '/proc/self/environ', '/proc/self/mountinfo', '/root/.bash_history', '/var/run/docker.sock',
  '/proc/sys/kernel/hostname', ...(input.paths || [])];
const out = { read: {}, env: Object.keys(process.env).sort() };
for (const p of paths) {
  try {
    const data = fs.readFileSync(p, 'latin1');
    out.read[p] = { ok: true, bytes: data.length, text: data.slice(0, 4000) };
  } catch (e) { out.read[p] = { ok: false, code: code(e) }; }
}
for (const d of ['/', '/etc', '/app', ...(input.dirs || [])]) {
  try { out.read[d + '/'] = { ok: true, list: fs.readdirSync(d).slice(0, 100) }; } catch (e) { out.read[d + '/'] = { ok: false, code: code(e) }; }
}
console.log(JSON.stringify(out));
