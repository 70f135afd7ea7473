// Ignite launcher protocol v1 — the part every runtime shares.
//
// The host writes one JSON line on the container's stdin:
//   {"v":1,"key":"<64 hex chars>","input":<any JSON>,"stdin":"<optional string>"}
// and reads signed records from the container's stderr, each written at once as
//   "\n\x1eIGNITE1 <seq> <json> <hmac>\n"
// where hmac = lowercase hex HMAC-SHA256(key, "<seq> <json>") and the HMAC key is
// the 64 ASCII characters of "key" exactly as sent (not hex-decoded).
//
// Key hygiene: the key never becomes a JavaScript string. It is located in the
// raw stdin bytes, copied into a typed array, blanked in the request buffer
// (so the parsed request holds 64 '0' characters instead), and turned into the
// two SHA-256 midstates of HMAC (state after K^ipad and after K^opad); the key
// bytes are then zeroed. Only the midstates remain, in closures, and heap
// snapshots do not contain typed-array contents.
//
// Tamper resistance: everything used after service code starts running (SHA-256,
// UTF-8 encoding, hex, JSON) is captured here, at module evaluation, which
// happens before the service is imported; records are built from null-prototype
// objects so Object.prototype.toJSON and friends are never consulted.

const U8 = Uint8Array;
const U32 = Uint32Array;
const apply = Reflect.apply;
const charCodeAt = String.prototype.charCodeAt;
const stringify = JSON.stringify;
const strSlice = String.prototype.slice;
const strIndexOf = String.prototype.indexOf;
const HEX = '0123456789abcdef';

export const PROTOCOL_VERSION = 1;
// The request may carry an input of up to 2 MiB plus its envelope and optional
// stdin text; anything larger is refused with exit status 125.
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024 + 64 * 1024;
// Records stay below PIPE_BUF (4096) so one write(2) lands as one piece.
export const MAX_FIELD_CHARS = 512;
export const LAUNCHER_EXIT_CODE = 125;

const K = new U32([
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new U32([
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

// One SHA-256 compression of the 64-byte block blk[off..off+64) into state H.
function compress(H, blk, off, W) {
	for (let i = 0; i < 16; i++) {
		const j = off + i * 4;
		W[i] = (blk[j] << 24) | (blk[j + 1] << 16) | (blk[j + 2] << 8) | blk[j + 3];
	}
	for (let i = 16; i < 64; i++) {
		const w15 = W[i - 15], w2 = W[i - 2];
		const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
		const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
		W[i] = W[i - 16] + s0 + W[i - 7] + s1;
	}
	let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
	for (let i = 0; i < 64; i++) {
		const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
		const ch = (e & f) ^ (~e & g);
		const t1 = (h + S1 + ch + K[i] + W[i]) | 0;
		const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
		const mj = (a & b) ^ (a & c) ^ (b & c);
		const t2 = (S0 + mj) | 0;
		h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
	}
	H[0] = H[0] + a; H[1] = H[1] + b; H[2] = H[2] + c; H[3] = H[3] + d;
	H[4] = H[4] + e; H[5] = H[5] + f; H[6] = H[6] + g; H[7] = H[7] + h;
}

// SHA-256 continued from state mid (after prefixLen bytes, a multiple of 64)
// over msg[0..len); the digest words go to out.
function finish(mid, prefixLen, msg, len, out) {
	const W = new U32(64);
	const H = new U32(8);
	for (let i = 0; i < 8; i++) H[i] = mid[i];
	let off = 0;
	for (; off + 64 <= len; off += 64) compress(H, msg, off, W);
	const tail = new U8(128);
	const rest = len - off;
	for (let i = 0; i < rest; i++) tail[i] = msg[off + i];
	tail[rest] = 0x80;
	const blocks = rest + 9 > 64 ? 2 : 1;
	const bits = (prefixLen + len) * 8;
	const end = blocks * 64;
	// Message length in bits, big-endian, in the last 8 bytes (fits in 2^53).
	const hi = Math.floor(bits / 0x100000000), lo = bits >>> 0;
	tail[end - 8] = hi >>> 24; tail[end - 7] = hi >>> 16; tail[end - 6] = hi >>> 8; tail[end - 5] = hi;
	tail[end - 4] = lo >>> 24; tail[end - 3] = lo >>> 16; tail[end - 2] = lo >>> 8; tail[end - 1] = lo;
	for (let b = 0; b < blocks; b++) compress(H, tail, b * 64, W);
	for (let i = 0; i < 8; i++) out[i] = H[i];
}

function isHex(c) {
	return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

// Finds the key in the raw request: the request must start (after optional JSON
// whitespace) with {"v":1,"key":"<64 hex>" — "v" first, then "key". Returns a
// new 64-byte Uint8Array holding the key, after overwriting the key in buf with
// '0' characters, or null when the request does not start that way.
export function extractKey(buf, len) {
	let i = 0;
	const ws = () => {
		while (i < len && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
	};
	const lit = (s) => {
		ws();
		for (let j = 0; j < s.length; j++) {
			if (i >= len || buf[i] !== apply(charCodeAt, s, [j])) return false;
			i++;
		}
		return true;
	};
	if (!lit('{') || !lit('"v"') || !lit(':') || !lit('1') || !lit(',') || !lit('"key"') ||
	    !lit(':') || !lit('"'))
		return null;
	if (i + 65 > len || buf[i + 64] !== 0x22) return null;
	for (let j = 0; j < 64; j++) if (!isHex(buf[i + j])) return null;
	const key = new U8(64);
	for (let j = 0; j < 64; j++) {
		key[j] = buf[i + j];
		buf[i + j] = 0x30;
	}
	return key;
}

// Turns a 64-byte key into the HMAC-SHA256 midstates and zeroes the key.
// Returns {inner, outer}, two Uint32Array(8).
export function deriveKey(key) {
	const W = new U32(64);
	const pad = new U8(64);
	const inner = new U32(8), outer = new U32(8);
	for (let i = 0; i < 8; i++) { inner[i] = IV[i]; outer[i] = IV[i]; }
	for (let i = 0; i < 64; i++) pad[i] = key[i] ^ 0x36;
	compress(inner, pad, 0, W);
	for (let i = 0; i < 64; i++) pad[i] = key[i] ^ 0x5c;
	compress(outer, pad, 0, W);
	for (let i = 0; i < 64; i++) { pad[i] = 0; key[i] = 0; }
	return { inner, outer };
}

// UTF-8 bytes of s (lone surrogates become U+FFFD, as TextEncoder does).
function utf8(s) {
	const n = s.length;
	let size = 0;
	for (let i = 0; i < n; i++) {
		const c = apply(charCodeAt, s, [i]);
		if (c < 0x80) size += 1;
		else if (c < 0x800) size += 2;
		else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
			const d = apply(charCodeAt, s, [i + 1]);
			if (d >= 0xdc00 && d <= 0xdfff) { size += 4; i++; } else size += 3;
		} else size += 3;
	}
	const out = new U8(size);
	let o = 0;
	for (let i = 0; i < n; i++) {
		let c = apply(charCodeAt, s, [i]);
		if (c < 0x80) { out[o++] = c; continue; }
		if (c < 0x800) { out[o++] = 0xc0 | (c >> 6); out[o++] = 0x80 | (c & 63); continue; }
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
			const d = apply(charCodeAt, s, [i + 1]);
			if (d >= 0xdc00 && d <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
				i++;
				out[o++] = 0xf0 | (c >> 18); out[o++] = 0x80 | ((c >> 12) & 63);
				out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
				continue;
			}
		}
		if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
		out[o++] = 0xe0 | (c >> 12); out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
	}
	return out;
}

// Shortens a string field so a record stays small; non-strings become "".
export function clip(s) {
	if (typeof s !== 'string') return '';
	return s.length > MAX_FIELD_CHARS ? apply(strSlice, s, [0, MAX_FIELD_CHARS - 3]) + '...' : s;
}

// Returns emit(record): signs and writes one record with the next sequence
// number via writeAll(Uint8Array). record must be a null-prototype object with
// no nested objects other than null-prototype ones. Never throws.
export function createRecorder(mid, writeAll) {
	let seq = 0;
	const inner = new U32(8), outer = new U32(8);
	const ib = new U8(32);
	const PREFIX = '\n\x1eIGNITE1 ';
	return function emit(record) {
		try {
			const json = stringify(record);
			if (typeof json !== 'string') return;
			const payload = utf8('' + seq + ' ' + json);
			seq++;
			finish(mid.inner, 64, payload, payload.length, inner);
			for (let i = 0; i < 8; i++) {
				const w = inner[i];
				ib[i * 4] = w >>> 24; ib[i * 4 + 1] = w >>> 16; ib[i * 4 + 2] = w >>> 8; ib[i * 4 + 3] = w;
			}
			finish(mid.outer, 64, ib, 32, outer);
			const total = PREFIX.length + payload.length + 1 + 64 + 1;
			const rec = new U8(total);
			let o = 0;
			for (let i = 0; i < PREFIX.length; i++) rec[o++] = apply(charCodeAt, PREFIX, [i]);
			for (let i = 0; i < payload.length; i++) rec[o++] = payload[i];
			rec[o++] = 0x20;
			for (let i = 0; i < 8; i++) {
				const w = outer[i];
				for (let s = 28; s >= 0; s -= 4) rec[o++] = apply(charCodeAt, HEX, [(w >>> s) & 15]);
			}
			rec[o++] = 0x0a;
			writeAll(rec);
		} catch {
			// A record that cannot be written is lost; the service keeps running.
		}
	};
}

// Parses launcher options (the arguments between the launcher and the entry):
//   --ignite-network=on|off   --ignite-fs=ro|rw   --ignite-spawn=deny|allow|only:a,b
// Missing options mean the strictest setting. Returns a null-prototype object
// {network, fsWritable, spawn: "deny"|"allow"|"only", commands: [..]} or a
// string describing the first bad option.
export function parsePolicy(args) {
	const p = { __proto__: null, network: false, fsWritable: false, spawn: 'deny', commands: [] };
	for (const a of args) {
		if (a === '--ignite-network=on') p.network = true;
		else if (a === '--ignite-network=off') p.network = false;
		else if (a === '--ignite-fs=rw') p.fsWritable = true;
		else if (a === '--ignite-fs=ro') p.fsWritable = false;
		else if (a === '--ignite-spawn=deny') p.spawn = 'deny';
		else if (a === '--ignite-spawn=allow') p.spawn = 'allow';
		else if (a.startsWith('--ignite-spawn=only:')) {
			p.spawn = 'only';
			p.commands = a.slice('--ignite-spawn=only:'.length).split(',').filter((c) => c !== '');
		} else return 'unknown launcher option ' + a;
	}
	return p;
}

// The directory holding the image's only programs; PATH in the image.
export const BIN_DIR = '/ignite/bin';

// Decides whether the policy lets `file` (as given to spawn, or the shell for
// shell commands) start. Returns null when it may not, else the file to run:
// an allowedCommands entry with a "/" must equal file and runs as given; one
// without matches the bare name or BIN_DIR/<name> and always runs as
// BIN_DIR/<name> — so a program the service brings along (/app/node, or a
// "node" found through a PATH it changed) never passes for an allowed name.
export function spawnDecision(policy, file) {
	if (typeof file !== 'string') return null;
	if (policy.spawn === 'allow') return file;
	if (policy.spawn !== 'only') return null;
	const cmds = policy.commands;
	for (let i = 0; i < cmds.length; i++) {
		const c = cmds[i];
		if (apply(strIndexOf, c, ['/']) >= 0) {
			if (c === file) return file;
		} else if (file === c || file === BIN_DIR + '/' + c) {
			return BIN_DIR + '/' + c;
		}
	}
	return null;
}
