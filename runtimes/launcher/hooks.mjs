// Audit hooks over the Node.js-compatible built-in modules (node, bun, and
// deno's node: layer). Each wrapper reports the attempt as an event record,
// then calls the original, so the runtime's permission model and the
// container's kernel-level restrictions still decide and still fail loudly.
// Where the runtime itself would let a forbidden spawn through (bun, or node
// with a list of allowed commands), the wrapper refuses it instead.
//
// Hooks are best effort: a service can always reach lower layers the launcher
// does not see. They are observations for the report, never the enforcement
// the security promises rest on (see runtimes/README.md).

const apply = Reflect.apply;
const defineProperty = Reflect.defineProperty;
const getOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
const ownKeys = Reflect.ownKeys;
const isArray = Array.isArray;
const strStartsWith = String.prototype.startsWith;
const strIncludes = String.prototype.includes;
const ErrorCtor = Error;
const StringCtor = String;
const PromiseCtor = Promise;

// Copies own properties (symbols such as util.promisify.custom included) from
// the original function to its wrapper so the wrapper looks like the original.
function mirror(wrapper, orig) {
	for (const k of ownKeys(orig)) {
		if (k === 'length' || k === 'name' || k === 'prototype' || k === 'arguments' || k === 'caller') continue;
		const d = getOwnPropertyDescriptor(orig, k);
		if (d) defineProperty(wrapper, k, d);
	}
	defineProperty(wrapper, 'name', { value: orig.name, configurable: true });
	defineProperty(wrapper, 'length', { value: orig.length, configurable: true });
	return wrapper;
}

// Replaces obj[name] (a function) with make(orig). Silently does nothing when
// the property is missing, not a function, or read-only.
export function wrapMethod(obj, name, make) {
	if (!obj) return;
	let orig;
	try { orig = obj[name]; } catch { return; }
	if (typeof orig !== 'function') return;
	const w = mirror(make(orig), orig);
	try {
		if (!defineProperty(obj, name, { value: w, writable: true, configurable: true, enumerable: true }))
			obj[name] = w;
	} catch {
		// Frozen or accessor-only property: leave the original in place.
	}
}

export function toText(v) {
	if (typeof v === 'string') return v;
	if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return StringCtor(v);
	return '';
}

// The error a refused spawn throws: the same code node's permission model uses.
export function accessDenied(what) {
	const e = new ErrorCtor('Access to this API has been restricted: ' + what + ' (Ignite policy process.allowSpawn / allowedCommands)');
	e.code = 'ERR_ACCESS_DENIED';
	return e;
}

// net.Socket#connect arguments → "host:port" or "unix:/path".
function connectTarget(args) {
	let a = args;
	if (isArray(a[0])) a = a[0];
	const o = a[0];
	if (o !== null && typeof o === 'object') {
		if (typeof o.path === 'string') return 'unix:' + o.path;
		return toText(o.host || o.hostname || 'localhost') + ':' + toText(o.port);
	}
	if (typeof o === 'string' && !/^\d+$/.test(o)) return 'unix:' + o;
	return toText(a[1] || 'localhost') + ':' + toText(o);
}

const NODE_SHELL = '/bin/sh';

// The program a child_process call would start, and the text to report.
function spawnTarget(name, args, execPath) {
	const a0 = args[0];
	if (name === 'exec' || name === 'execSync') {
		const opt = args[1] !== null && typeof args[1] === 'object' ? args[1] : null;
		const sh = opt && typeof opt.shell === 'string' ? opt.shell : NODE_SHELL;
		return { file: sh, target: toText(a0), details: 'child_process.' + name + ' via shell ' + sh, direct: false };
	}
	if (name === 'fork') {
		const opt = isArray(args[1]) ? args[2] : args[1];
		const file = opt !== null && typeof opt === 'object' && typeof opt.execPath === 'string' ? opt.execPath : execPath;
		return { file, target: file + ' ' + toText(a0), details: 'child_process.fork', direct: false };
	}
	let argv = [];
	let opt = null;
	if (isArray(args[1])) {
		argv = args[1];
		opt = args[2];
	} else {
		opt = args[1];
	}
	let target = toText(a0);
	for (let i = 0; i < argv.length && i < 16; i++) target += ' ' + toText(argv[i]);
	if (opt !== null && typeof opt === 'object' && opt.shell) {
		const sh = typeof opt.shell === 'string' ? opt.shell : NODE_SHELL;
		return { file: sh, target, details: 'child_process.' + name + ' via shell ' + sh, direct: false };
	}
	return { file: toText(a0), target, details: 'child_process.' + name, direct: true };
}

const OPEN_WRITE = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000; // O_WRONLY O_RDWR O_CREAT O_TRUNC O_APPEND

function openWrites(flags) {
	if (flags === undefined || flags === null) return false;
	if (typeof flags === 'number') return (flags & OPEN_WRITE) !== 0;
	const f = toText(flags);
	return apply(strIncludes, f, ['w']) || apply(strIncludes, f, ['a']) || apply(strIncludes, f, ['+']);
}

// fs functions that change the file system, and which argument names the
// path they write (the destination for rename/copy/link).
// Read calls reported when they reach outside /app and /tmp: [name, path argument].
const FS_READS = [['readFile', 0], ['readdir', 0], ['opendir', 0], ['readlink', 0], ['createReadStream', 0]];

const FS_WRITES = [
	['writeFile', 0], ['appendFile', 0], ['mkdir', 0], ['mkdtemp', 0], ['rm', 0], ['rmdir', 0],
	['unlink', 0], ['rename', 1], ['copyFile', 1], ['cp', 1], ['symlink', 1], ['link', 1],
	['truncate', 0], ['chmod', 0], ['chown', 0], ['lchown', 0], ['utimes', 0], ['lutimes', 0],
];

// Installs the hooks. o: {fs, net, dns, cp, dgram, path, url, report, policy,
// spawnDecision, execPath, runtimeBlocksSpawn, state}; state.spawnDepth and
// state.connectDepth are > 0 while a wrapped child_process / net call runs, so
// the runtime-specific hooks underneath can stay quiet; state.inFetch() is true
// inside a reported fetch (its async continuations included). report(type, action, target, allowed,
// details) writes one event record.
export function installNodeHooks(o) {
	const { report, policy } = o;
	const resolve = o.path.resolve;
	const fileURLToPath = o.url.fileURLToPath;

	// ---- processes ----
	for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
		wrapMethod(o.cp, name, (orig) => function (...args) {
			const t = spawnTarget(name, args, o.execPath);
			const run = o.spawnDecision(policy, t.file);
			report('process', 'spawn', t.target, run !== null, t.details);
			if (run === null) {
				if (policy.spawn === 'only' || !o.runtimeBlocksSpawn) throw accessDenied('spawning ' + t.file);
			} else if (t.direct && run !== t.file) {
				args[0] = run;
			}
			// The runtime's own spawn primitive (Bun.spawn, Deno.Command) may be
			// hooked too: one attempt, one event.
			o.state.spawnDepth++;
			try { return apply(orig, this, args); } finally { o.state.spawnDepth--; }
		});
	}
	// util.promisify(exec/execFile) must go through the wrappers too.
	const custom = Symbol.for('nodejs.util.promisify.custom');
	for (const name of ['exec', 'execFile']) {
		const w = o.cp[name];
		if (typeof w !== 'function') continue;
		try {
			defineProperty(w, custom, {
				configurable: true, enumerable: false, writable: true,
				value: (...args) => {
					let child;
					const p = new PromiseCtor((res, rej) => {
						child = apply(w, o.cp, [...args, (err, stdout, stderr) => {
							if (err) { err.stdout = stdout; err.stderr = stderr; rej(err); }
							else res({ stdout, stderr });
						}]);
					});
					p.child = child;
					return p;
				},
			});
		} catch { /* keep the original promisified form */ }
	}

	// ---- network ----
	const sock = o.net && o.net.Socket && o.net.Socket.prototype;
	wrapMethod(sock, 'connect', (orig) => function (...args) {
		let target = '';
		try { target = connectTarget(args); } catch { /* unknown shape */ }
		// A fetch already reported this attempt (undici connects underneath).
		if (!o.state.inFetch()) report('network', 'connect', target, policy.network, 'net.Socket.connect');
		o.state.connectDepth++;
		try { return apply(orig, this, args); } finally { o.state.connectDepth--; }
	});
	const DNS = ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname',
		'resolveCaa', 'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv',
		'resolveTxt', 'reverse'];
	const wrapDns = (mod, label) => {
		for (const name of DNS) {
			wrapMethod(mod, name, (orig) => function (...args) {
				// net.connect looks host names up itself: that is one attempt, not two.
				if (o.state.connectDepth === 0) report('network', 'dns', toText(args[0]), policy.network, label + '.' + name);
				return apply(orig, this, args);
			});
		}
	};
	if (o.dns) {
		wrapDns(o.dns, 'dns');
		let promises = null;
		try { promises = o.dns.promises; } catch { /* absent */ }
		if (promises) wrapDns(promises, 'dns.promises');
	}
	const dgramProto = o.dgram && o.dgram.Socket && o.dgram.Socket.prototype;
	wrapMethod(dgramProto, 'connect', (orig) => function (...args) {
		report('network', 'connect', toText(args[1] || 'localhost') + ':' + toText(args[0]), policy.network, 'dgram.Socket.connect');
		return apply(orig, this, args);
	});
	wrapMethod(dgramProto, 'send', (orig) => function (...args) {
		// send(msg, [offset, length,] port, address, cb)
		let port = args[1], addr = args[2];
		if (typeof args[3] === 'number') { port = args[3]; addr = args[4]; }
		if (port !== undefined && typeof port !== 'function')
			report('network', 'send', toText(typeof addr === 'string' ? addr : 'localhost') + ':' + toText(port), policy.network, 'dgram.Socket.send');
		return apply(orig, this, args);
	});

	// ---- file system (writes outside /tmp) ----
	const writtenPath = (p) => {
		let s = '';
		if (typeof p === 'string') s = p;
		else if (p !== null && typeof p === 'object') {
			try {
				if (typeof p.href === 'string' && p.protocol === 'file:') s = fileURLToPath(p);
				else if (typeof p.byteLength === 'number') s = StringCtor(p);
			} catch { s = ''; }
		}
		if (s === '') return '';
		try { return resolve(s); } catch { return s; }
	};
	const outsideTmp = (p) => p !== '/tmp' && !apply(strStartsWith, p, ['/tmp/']);
	const outsideAppTmp = (p) => outsideTmp(p) && p !== '/app' && !apply(strStartsWith, p, ['/app/']);
	const fsAllowed = (p) => policy.fsWritable && p !== '/app' && !apply(strStartsWith, p, ['/app/']);
	const wrapFs = (mod, label, suffix) => {
		if (!mod) return;
		for (const [base, argi] of FS_WRITES) {
			const name = base + suffix;
			wrapMethod(mod, name, (orig) => function (...args) {
				const p = writtenPath(args[argi]);
				if (p !== '' && outsideTmp(p)) report('filesystem', 'write', p, fsAllowed(p), label + '.' + name);
				return apply(orig, this, args);
			});
		}
		// Reads outside the service and /tmp are reported (allowed: the policy
		// does not forbid reads; the runtime's permissions and file modes decide).
		for (const [base, argi] of FS_READS) {
			const name = base === 'createReadStream' ? (suffix === '' ? base : '') : base + suffix;
			if (name === '') continue;
			wrapMethod(mod, name, (orig) => function (...args) {
				const p = writtenPath(args[argi]);
				if (p !== '' && outsideAppTmp(p)) report('filesystem', 'read', p, true, label + '.' + name);
				return apply(orig, this, args);
			});
		}
		wrapMethod(mod, 'open' + suffix, (orig) => function (...args) {
			const p = writtenPath(args[0]);
			if (openWrites(args[1])) {
				if (p !== '' && outsideTmp(p)) report('filesystem', 'write', p, fsAllowed(p), label + '.open' + suffix);
			} else if (p !== '' && outsideAppTmp(p)) {
				report('filesystem', 'read', p, true, label + '.open' + suffix);
			}
			return apply(orig, this, args);
		});
	};
	wrapFs(o.fs, 'fs', '');
	wrapFs(o.fs, 'fs', 'Sync');
	let fsp = null;
	try { fsp = o.fs.promises; } catch { /* absent */ }
	wrapFs(fsp, 'fs.promises', '');
}
