// Ignite launcher for deno (installed as /ignite/launcher.mjs).
//
//   deno run [deno flags] /ignite/launcher.mjs [--ignite-… options] <entry>
//
// Same protocol and records as launcher-node.mjs, over Deno's APIs.
import fs from 'node:fs';
import net from 'node:net';
import dns from 'node:dns';
import dgram from 'node:dgram';
import cp from 'node:child_process';
import path from 'node:path';
import url from 'node:url';
import process from 'node:process';
import { Readable } from 'node:stream';
import { Buffer } from 'node:buffer';
import * as P from './common.mjs';
import { installNodeHooks, wrapMethod, toText, accessDenied } from './hooks.mjs';

const Deno = globalThis.Deno;
const perf = performance;
const perfNow = perf.now;
const now = () => Reflect.apply(perfNow, perf, []);
const t0 = now();
const bootMs = t0;

const stderr = Deno.stderr;
const stderrWriteSync = stderr.writeSync;
const stdin = Deno.stdin;
const stdinReadSync = stdin.readSync;
const exit = Deno.exit;
const memoryUsage = Deno.memoryUsage;
const addEventListener = globalThis.addEventListener;
const round = (x) => Math.round(x * 1000) / 1000;

function writeAll(u8) {
	let off = 0;
	while (off < u8.length) {
		let n;
		try {
			n = Reflect.apply(stderrWriteSync, stderr, [off === 0 ? u8 : u8.subarray(off)]);
		} catch {
			return;
		}
		if (!(n > 0)) return;
		off += n;
	}
}

function failPlain(msg) {
	writeAll(new TextEncoder().encode('ignite-launcher: ' + msg + '\n'));
	exit(P.LAUNCHER_EXIT_CODE);
}

// ---- arguments ----
const args = Deno.args;
if (args.length < 1) failPlain('usage: launcher [--ignite-… options] <entry>');
const entry = args[args.length - 1];
const policy = P.parsePolicy(args.slice(0, args.length - 1));
if (typeof policy === 'string') failPlain(policy);
if (!path.isAbsolute(entry)) failPlain('entry must be an absolute path');

// ---- the request ----
function readRequest() {
	const buf = new Uint8Array(P.MAX_REQUEST_BYTES + 1);
	let len = 0;
	while (len < buf.length) {
		let n;
		try {
			n = Reflect.apply(stdinReadSync, stdin, [buf.subarray(len)]);
		} catch (e) {
			failPlain('cannot read the request from stdin: ' + (e && e.name ? e.name : 'error'));
		}
		if (n === null || n === 0) break;
		len += n;
	}
	return { buf, len };
}

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

emit({ __proto__: null, t: 'start', runtime: 'deno', version: Deno.version.deno, pid: Deno.pid, protocol: P.PROTOCOL_VERSION, bootMs: round(bootMs) });

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

Deno.env.set('IGNITE_INPUT', JSON.stringify(req.input === undefined ? null : req.input));
const stdinText = req.stdin;
req = null;

// ---- exit record ----
let initMs = null;
let events = 0;
let eventsDropped = 0;
const MAX_EVENTS = 1000;
let exitCodeNow = () => { try { return Deno.exitCode; } catch { return 0; } };
function writeExit(code) {
	let m = null;
	try {
		const u = Reflect.apply(memoryUsage, Deno, []);
		m = { __proto__: null, rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal };
	} catch { /* memory unknown */ }
	emit({ __proto__: null, t: 'exit', code, initMs, durationMs: round(now() - t0), memory: m, eventsDropped });
}
// unload fires on a normal end and on Deno.exit()/process.exit(); an uncaught
// error or unhandled rejection ends the process without it, so those write
// the exit record (code 1) themselves unless something already handled them.
// Should a later listener keep the process alive, unload writes another exit
// record: the host takes the last one.
Reflect.apply(addEventListener, globalThis, ['unload', () => {
	const c = exitCodeNow();
	writeExit(typeof c === 'number' ? c : 0);
}]);
for (const ev of ['error', 'unhandledrejection']) {
	Reflect.apply(addEventListener, globalThis, [ev, (e) => {
		if (!e.defaultPrevented) writeExit(1);
	}]);
}

function report(type, action, target, allowed, details) {
	if (events >= MAX_EVENTS) { eventsDropped++; return; }
	events++;
	emit({ __proto__: null, t: 'event', type, action, target: P.clip(target), allowed: allowed === true, details: P.clip(details) });
}

// ---- standard input for the service ----
if (typeof stdinText === 'string') {
	const data = new TextEncoder().encode(stdinText);
	let pos = 0;
	const readInto = (p) => {
		if (pos >= data.length) return null;
		const n = Math.min(p.length, data.length - pos);
		p.set(data.subarray(pos, pos + n));
		pos += n;
		return n;
	};
	const fake = {
		rid: 0,
		read: async (p) => readInto(p),
		readSync: (p) => readInto(p),
		close() {},
		isTerminal: () => false,
		setRaw() {},
		get readable() {
			return new ReadableStream({
				pull(c) { if (pos >= data.length) { c.close(); return; } c.enqueue(data.slice(pos)); pos = data.length; },
			});
		},
	};
	try { Object.defineProperty(Deno, 'stdin', { configurable: true, enumerable: true, get: () => fake }); } catch { /* read-only */ }
	let stream = null;
	try {
		Object.defineProperty(process, 'stdin', {
			configurable: true, enumerable: true,
			get() {
				if (stream === null) { stream = Readable.from([Buffer.from(data)]); stream.fd = 0; stream.isTTY = false; }
				return stream;
			},
		});
	} catch { /* read-only */ }
	wrapMethod(fs, 'readFileSync', (orig) => function (...a) {
		if (a[0] !== 0 && a[0] !== '/dev/stdin') return Reflect.apply(orig, this, a);
		const o = a[1];
		const enc = typeof o === 'string' ? o : (o && typeof o === 'object' ? o.encoding : null);
		return enc ? Buffer.from(data).toString(enc) : Buffer.from(data);
	});
}

// ---- hooks ----
const granted = (d) => { try { return Deno.permissions.querySync(d).state === 'granted'; } catch { return false; } };
const hookState = { spawnDepth: 0, connectDepth: 0, inFetch: () => false };
// With --allow-run=<list> deno decides per command; with plain --allow-run it
// lets everything through and the launcher applies the policy.
const runtimeBlocksSpawn = !granted({ name: 'run' });
installNodeHooks({
	fs, net, dns, dgram, cp, path, url, report, policy,
	spawnDecision: P.spawnDecision, execPath: Deno.execPath(), runtimeBlocksSpawn, state: hookState,
});

const OrigCommand = Deno.Command;
if (typeof OrigCommand === 'function') {
	const Command = class Command extends OrigCommand {
		constructor(command, options) {
			const file = command instanceof URL ? url.fileURLToPath(command) : toText(command);
			let target = file;
			const a = options && Array.isArray(options.args) ? options.args : [];
			for (let i = 0; i < a.length && i < 16; i++) target += ' ' + toText(a[i]);
			const run = P.spawnDecision(policy, file);
			if (hookState.spawnDepth === 0) report('process', 'spawn', target, run !== null, 'Deno.Command');
			if (run === null && (policy.spawn === 'only' || !runtimeBlocksSpawn)) throw accessDenied('spawning ' + file);
			if (run !== null && run !== file) command = run;
			super(command, options);
		}
	};
	try { Object.defineProperty(Deno, 'Command', { configurable: true, writable: true, enumerable: true, value: Command }); } catch { /* read-only */ }
}
for (const name of ['connect', 'connectTls']) {
	wrapMethod(Deno, name, (orig) => function (...a) {
		const o = a[0] || {};
		if (hookState.connectDepth === 0) {
			const t = o.transport === 'unix' ? 'unix:' + toText(o.path) : toText(o.hostname || '127.0.0.1') + ':' + toText(o.port);
			report('network', 'connect', t, policy.network, 'Deno.' + name);
		}
		return Reflect.apply(orig, this, a);
	});
}
wrapMethod(Deno, 'resolveDns', (orig) => function (...a) {
	if (hookState.connectDepth === 0) report('network', 'dns', toText(a[0]), policy.network, 'Deno.resolveDns');
	return Reflect.apply(orig, this, a);
});
wrapMethod(globalThis, 'fetch', (orig) => function (...a) {
	let t = '';
	try { const r = a[0]; t = typeof r === 'string' ? r : toText(r && r.url ? r.url : r && r.href); } catch { /* unknown */ }
	report('network', 'connect', t, policy.network, 'fetch');
	return Reflect.apply(orig, this, a);
});
const startsWith = String.prototype.startsWith;
const outsideTmp = (p) => p !== '/tmp' && !Reflect.apply(startsWith, p, ['/tmp/']);
const fsAllowed = (p) => policy.fsWritable && p !== '/app' && !Reflect.apply(startsWith, p, ['/app/']);
const denoPath = (p) => {
	try {
		const s = p instanceof URL ? url.fileURLToPath(p) : toText(p);
		return s === '' ? '' : path.resolve(s);
	} catch { return ''; }
};
const DENO_WRITES = [
	['writeFile', 0], ['writeTextFile', 0], ['mkdir', 0], ['remove', 0], ['rename', 1], ['create', 0],
	['copyFile', 1], ['symlink', 1], ['link', 1], ['truncate', 0], ['chmod', 0], ['chown', 0], ['utime', 0],
];
for (const [base, argi] of DENO_WRITES) {
	for (const name of [base, base + 'Sync']) {
		wrapMethod(Deno, name, (orig) => function (...a) {
			const p = denoPath(a[argi]);
			if (p !== '' && outsideTmp(p)) report('filesystem', 'write', p, fsAllowed(p), 'Deno.' + name);
			return Reflect.apply(orig, this, a);
		});
	}
}
for (const name of ['open', 'openSync']) {
	wrapMethod(Deno, name, (orig) => function (...a) {
		const o = a[1];
		if (o && (o.write || o.append || o.create || o.createNew || o.truncate)) {
			const p = denoPath(a[0]);
			if (p !== '' && outsideTmp(p)) report('filesystem', 'write', p, fsAllowed(p), 'Deno.' + name);
		}
		return Reflect.apply(orig, this, a);
	});
}

// The service sees itself as the program: no arguments of its own.
process.argv = [process.argv[0], entry];
try { Object.defineProperty(Deno, 'args', { configurable: true, enumerable: true, value: Object.freeze([]) }); } catch { /* read-only */ }

await import(url.pathToFileURL(entry).href);
initMs = round(now() - t0);
emit({ __proto__: null, t: 'loaded', initMs });
