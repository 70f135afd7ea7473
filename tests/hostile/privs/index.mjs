// privs — reports the privileges the service holds: capability sets,
// NoNewPrivs, seccomp mode and ids, from /proc/self/status and process.*.
import fs from 'node:fs';
import process from 'node:process';

const out = { status: {} };
try {
  for (const line of fs.readFileSync('/proc/self/status', 'utf8').split('\n')) {
    const m = /^(Cap\w+|NoNewPrivs|Seccomp|Uid|Gid|Groups):\s*(.*)$/.exec(line);
    if (m) out.status[m[1]] = m[2].trim();
  }
} catch (e) { out.status = null; out.statusError = String(e && (e.code || e.name)); }
try { out.getuid = process.getuid(); } catch (e) { out.getuid = String(e && (e.code || e.name)); }
try { out.geteuid = process.geteuid(); } catch (e) { out.geteuid = String(e && (e.code || e.name)); }
try { out.getgid = process.getgid(); } catch (e) { out.getgid = String(e && (e.code || e.name)); }
try { out.dockerSocket = fs.existsSync('/var/run/docker.sock'); } catch { out.dockerSocket = null; }
console.log(JSON.stringify(out));
