// channel-close — tries to silence the launcher: closes its own stderr and
// every other descriptor it holds above it, then writes where it may not
// (which the launcher would report), and exits cleanly.
import fs from 'node:fs';

const out = { closed: [] };
for (let fd = 2; fd < 64; fd++) {
  try { fs.closeSync(fd); out.closed.push(fd); } catch {}
}
try { fs.writeFileSync('/etc/ignite-silenced', 'x'); out.write = 'ok'; } catch (e) { out.write = String(e && (e.code || e.name)); }
console.log(JSON.stringify(out));
