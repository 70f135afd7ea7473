// net-extra — the ways out net-probe does not try: UDP over IPv4 and IPv6,
// TCP over IPv6, the host's loopback (the port comes in the input), the
// Docker socket as a unix socket, and the one capability a raw socket needs
// (CAP_NET_RAW, bit 13). Prints one JSON line.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import process from 'node:process';

const input = JSON.parse(process.env.IGNITE_INPUT || 'null') || {};
const fail = (e) => ({ ok: false, code: String((e && (e.code || (e.cause && e.cause.code) || e.name)) || e) });
// A refusal some runtimes throw asynchronously (deno's dgram bind) ends the
// probe in progress instead of the service.
let current = null;
process.on('uncaughtException', (e) => { if (current) current(fail(e)); });
const settle = (executor) => new Promise((resolve) => {
  let done = false;
  const finish = (v) => { if (!done) { done = true; clearTimeout(timer); current = null; resolve(v); } };
  const timer = setTimeout(() => finish({ ok: false, code: 'TIMEOUT' }), 3000);
  current = finish;
  try { executor(finish); } catch (e) { finish(fail(e)); }
});

function udp(type, host, port) {
  return settle((done) => {
    const s = dgram.createSocket(type);
    s.on('error', (e) => { try { s.close(); } catch {} done(fail(e)); });
    s.send(Buffer.from('exfiltrated'), port, host, (e) => {
      try { s.close(); } catch {}
      done(e ? fail(e) : { ok: true });
    });
  });
}

function tcp(opts) {
  return settle((done) => {
    const s = net.connect(opts);
    s.on('connect', () => { s.destroy(); done({ ok: true }); });
    s.on('error', (e) => done(fail(e)));
  });
}

const out = {};
out.udp4 = await udp('udp4', '8.8.8.8', 53);
out.udp6 = await udp('udp6', '2001:4860:4860::8888', 53);
out.tcp6 = await tcp({ host: '2606:4700:4700::1111', port: 443 });
out.hostLoopback = await tcp({ host: '127.0.0.1', port: Number(input.hostPort) || 8080 });
out.dockerUnix = await tcp({ path: '/var/run/docker.sock' });
try { out.interfaces = Object.keys(os.networkInterfaces()); } catch (e) { out.interfaces = fail(e); }
try {
  const st = fs.readFileSync('/proc/self/status', 'utf8');
  const caps = {};
  for (const m of st.matchAll(/^(Cap\w+):\s*([0-9a-f]+)$/gm)) caps[m[1]] = m[2];
  out.netRaw = Object.fromEntries(Object.entries(caps).map(([k, v]) => [k, (BigInt('0x' + v) >> 13n & 1n) === 1n]));
} catch (e) { out.netRaw = fail(e); }
console.log(JSON.stringify(out));
