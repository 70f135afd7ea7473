// net-probe — tries every way out of the container it can think of and
// prints what happened: a DNS lookup, TCP connects to a public address and to
// the Docker bridge gateway, fetch(), and the Docker socket.
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

const fail = (e) => ({ ok: false, code: String((e && (e.code || (e.cause && e.cause.code) || e.name)) || e),
  message: String((e && e.message) || e).slice(0, 200) });

function tcp(host, port) {
  return new Promise((resolve) => {
    let s = null;
    const timer = setTimeout(() => { try { s.destroy(); } catch {} resolve({ ok: false, code: 'TIMEOUT' }); }, 4000);
    try {
      s = net.connect({ host, port });
      s.on('connect', () => { clearTimeout(timer); s.destroy(); resolve({ ok: true }); });
      s.on('error', (e) => { clearTimeout(timer); resolve(fail(e)); });
    } catch (e) {
      clearTimeout(timer);
      resolve(fail(e));
    }
  });
}

const out = {};
try {
  const r = await dns.promises.lookup('example.com');
  out.dns = { ok: true, address: r.address };
} catch (e) { out.dns = fail(e); }
out.tcp = await tcp('1.1.1.1', 443);
out.tcpGateway = await tcp('172.17.0.1', 2375);
try {
  const r = await fetch('http://93.184.215.14/', { signal: AbortSignal.timeout(4000) });
  out.fetch = { ok: true, status: r.status };
} catch (e) { out.fetch = fail(e); }
try { out.interfaces = Object.keys(os.networkInterfaces()); } catch (e) { out.interfaces = fail(e); }
try { out.dockerSocket = fs.existsSync('/var/run/docker.sock'); } catch (e) { out.dockerSocket = fail(e); }
console.log(JSON.stringify(out));
