// Ignite launcher for node and bun (installed as /ignite/launcher.mjs).
//
//   <runtime> [runtime flags] /ignite/launcher.mjs [--ignite-… options] <entry>
//
// Reads the request line from stdin (protocol v1, see common.mjs), sets
// IGNITE_INPUT, installs the audit hooks, imports the entry and writes signed
// records on stderr: start, loaded, event…, exit.
import fs from 'node:fs';
import net from 'node:net';
import dns from 'node:dns';
import dgram from 'node:dgram';
import cp from 'node:child_process';
import path from 'node:path';
import url from 'node:url';
import { Readable } from 'node:stream';
import * as nodeModule from 'node:module';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as P from './common.mjs';
import { installNodeHooks, wrapMethod, toText, accessDenied } from './hooks.mjs';

const perf = performance;
const perfNow = perf.now;
const now = () => Reflect.apply(perfNow, perf, []);
const t0 = now();
const bootMs = t0;

const isBun = typeof globalThis.Bun !== 'undefined';
const Bun = globalThis.Bun;
const RUNTIME = isBun ? 'bun' : 'node';
const VERSION = isBun ? Bun.version : process.versions.node;
const writeSync = fs.writeSync;
const readSync = fs.readSync;
const exit = process.exit;
const memoryUsage = process.memoryUsage;
const round = (x) => Math.round(x * 1000) / 1000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const wait = Atomics.wait;
const sleep = (ms) => { try { Reflect.apply(wait, Atomics, [sleepCell, 0, 0, ms]); } catch { /* busy retry */ } };

// Writes all of u8 to fd 2, retrying when the pipe is full.
function writeAll(u8) {
	let off = 0;
	let spins = 0;
	while (off < u8.length) {
		try {
			off += Reflect.apply(writeSync, fs, [2, u8, off, u8.length - off]);
		} catch (e) {
			if (e && e.code === 'EAGAIN' && spins++ < 10000) { sleep(1); continue; }
			return;
		}
	}
}

function failPlain(msg) {
	writeAll(new TextEncoder().encode('ignite-launcher: ' + msg + '\n'));
	exit(P.LAUNCHER_EXIT_CODE);
}

// ---- arguments ----
const argv = process.argv;
if (argv.length < 3) failPlain('usage: launcher [--ignite-… options] <entry>');
const entry = argv[argv.length - 1];
const policy = P.parsePolicy(argv.slice(2, argv.length - 1));
if (typeof policy === 'string') failPlain(policy);
if (!path.isAbsolute(entry)) failPlain('entry must be an absolute path');

// ---- the request ----
function readRequest() {
	const buf = new Uint8Array(P.MAX_REQUEST_BYTES + 1);
	let len = 0;
	let spins = 0;
	while (len < buf.length) {
		let n;
		try {
			n = readSync(0, buf, len, buf.length - len, null);
		} catch (e) {
			if (e && e.code === 'EAGAIN' && spins++ < 600000) { sleep(1); continue; }
			if (e && e.code === 'EOF') break;
			failPlain('cannot read the request from stdin: ' + (e && e.code ? e.code : 'error'));
		}
		if (n === 0) break;
		len += n;
	}
	return { buf, len };
}

// Load the runtime's TypeScript support now, while a warm container waits
// for its request, instead of on the service's first import. Launcher-owned
// code only; node 20 (no TypeScript) simply skips it.
try { await import(url.pathToFileURL('/ignite/prewarm.ts').href); } catch { /* no TypeScript */ }

const { buf, len } = readRequest();
const key = P.extractKey(buf, len);
if (key === null) failPlain('the request does not start with {"v":1,"key":"<64 hex>"');
const mid = P.deriveKey(key);
const emit = P.createRecorder(mid, writeAll);

function failSigned(code, message) {
	emit({ __proto__: null, t: 'error', code, message: P.clip(message) });
	emit({ __proto__: null, t: 'exit', code: P.LAUNCHER_EXIT_CODE, initMs: null, durationMs: round(now() - t0), memory: null });
	exit(P.LAUNCHER_EXIT_CODE);
}

emit({ __proto__: null, t: 'start', runtime: RUNTIME, version: VERSION, pid: process.pid, protocol: P.PROTOCOL_VERSION, bootMs: round(bootMs) });

if (len > P.MAX_REQUEST_BYTES) failSigned('input-too-large', 'the request exceeds ' + P.MAX_REQUEST_BYTES + ' bytes');
let req;
try {
	req = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, len)));
} catch (e) {
	failSigned('bad-request', 'the request is not valid UTF-8 JSON: ' + (e && e.message));
}
buf.fill(0);
if (req === null || typeof req !== 'object' || req.v !== 1)
	failSigned('bad-request', 'unsupported request version');
if (req.stdin !== undefined && typeof req.stdin !== 'string')
	failSigned('bad-request', '"stdin" must be a string');

process.env.IGNITE_INPUT = JSON.stringify(req.input === undefined ? null : req.input);
const stdinText = req.stdin;
req = null;

// ---- exit record ----
let initMs = null;
let eventsDropped = 0;
let events = 0;
const MAX_EVENTS = 1000;
process.on('exit', (code) => {
	let m = null;
	try {
		const u = Reflect.apply(memoryUsage, process, []);
		m = { __proto__: null, rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal };
	} catch { /* memory unknown */ }
	emit({ __proto__: null, t: 'exit', code: typeof code === 'number' ? code : null, initMs, durationMs: round(now() - t0), memory: m, eventsDropped });
});

function report(type, action, target, allowed, details) {
	if (events >= MAX_EVENTS) { eventsDropped++; return; }
	events++;
	emit({ __proto__: null, t: 'event', type, action, target: P.clip(target), allowed: allowed === true, details: P.clip(details) });
}

// ---- standard input for the service ----
// fd 0 is at EOF (the request was read from it); what the service reads as
// its standard input is the request's "stdin" text, or nothing.
{
	const data = Buffer.from(typeof stdinText === 'string' ? stdinText : '', 'utf8');
	if (typeof stdinText === 'string') {
		let stream = null;
		Object.defineProperty(process, 'stdin', {
			configurable: true, enumerable: true,
			get() {
				if (stream === null) { stream = Readable.from([data]); stream.fd = 0; stream.isTTY = false; }
				return stream;
			},
		});
		// Writable but not configurable on bun: assign.
		if (isBun) { try { Bun.stdin = new Blob([data]); } catch { /* read-only */ } }
	}
	const isStdin = (p) => p === 0 || p === '/dev/stdin';
	wrapMethod(fs, 'readFileSync', (orig) => function (...args) {
		if (!isStdin(args[0])) return Reflect.apply(orig, this, args);
		const o = args[1];
		const enc = typeof o === 'string' ? o : (o && typeof o === 'object' ? o.encoding : null);
		return enc ? data.toString(enc) : Buffer.from(data);
	});
}

// ---- hooks ----
let runtimeBlocksSpawn = false;
if (!isBun) {
	try { runtimeBlocksSpawn = !!process.permission && !process.permission.has('child'); } catch { runtimeBlocksSpawn = false; }
}
const fetchContext = new AsyncLocalStorage();
const alsRun = fetchContext.run, alsGet = fetchContext.getStore;
const hookState = {
	spawnDepth: 0, connectDepth: 0,
	inFetch: () => { try { return Reflect.apply(alsGet, fetchContext, []) === true; } catch { return false; } },
};
installNodeHooks({
	fs, net, dns, dgram, cp, path, url, report, policy,
	spawnDecision: P.spawnDecision, execPath: process.execPath, runtimeBlocksSpawn, state: hookState,
});
if (isBun) {
	// bun has no permission model: these wrappers are the refusal layer
	// (child_process calls them too), the image content the real barrier.
	const spawnFile = (a) => {
		const c = Array.isArray(a[0]) ? a[0] : (a[0] && typeof a[0] === 'object' ? a[0].cmd : null);
		return Array.isArray(c) ? c : [];
	};

	for (const name of ['spawn', 'spawnSync']) {
		wrapMethod(Bun, name, (orig) => function (...args) {
			const c = spawnFile(args);
			const file = toText(c[0]);
			let target = file;
			for (let i = 1; i < c.length && i < 16; i++) target += ' ' + toText(c[i]);
			const run = P.spawnDecision(policy, file);
			if (hookState.spawnDepth === 0) report('process', 'spawn', target, run !== null, 'Bun.' + name);
			if (run === null) throw accessDenied('spawning ' + file);
			if (run !== file) {
				// Run the image's program, without changing the caller's objects.
				const cmd = [run];
				for (let i = 1; i < c.length; i++) cmd[i] = c[i];
				args[0] = Array.isArray(args[0]) ? cmd : { ...args[0], cmd };
			}
			return Reflect.apply(orig, this, args);
		});
	}
	wrapMethod(Bun, 'connect', (orig) => function (...args) {
		const o = args[0] || {};
		if (hookState.connectDepth === 0) report('network', 'connect', o.unix ? 'unix:' + toText(o.unix) : toText(o.hostname) + ':' + toText(o.port), policy.network, 'Bun.connect');
		return Reflect.apply(orig, this, args);
	});
}
// fetch (undici in node, native in bun) does not go through net.Socket.
wrapMethod(globalThis, 'fetch', (orig) => function (...args) {
	let t = '';
	try { const r = args[0]; t = typeof r === 'string' ? r : toText(r && r.url ? r.url : r && r.href); } catch { /* unknown */ }
	report('network', 'connect', t, policy.network, 'fetch');
	return Reflect.apply(alsRun, fetchContext, [true, () => Reflect.apply(orig, this, args)]);
});
try { nodeModule.syncBuiltinESMExports(); } catch { /* not on this runtime */ }

// The service sees itself as the program: argv[1] is the entry.
process.argv = [argv[0], entry];

await import(url.pathToFileURL(entry).href);
initMs = round(now() - t0);
emit({ __proto__: null, t: 'loaded', initMs });
