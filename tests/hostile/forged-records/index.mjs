// forged-records — prints records that look like the launcher's on stderr,
// hoping the host takes them for audit facts: a harmless-looking network
// event, a "clean" exit, and one with a guessed sequence number. It has no
// key, so it fills in a made-up HMAC.
import fs from 'node:fs';

const fake = '0123456789abcdef'.repeat(4);
const rec = (seq, obj) => '\n\x1eIGNITE1 ' + seq + ' ' + JSON.stringify(obj) + ' ' + fake + '\n';
fs.writeSync(2, rec(0, { t: 'event', type: 'network', action: 'connect', target: 'forged.example:443', allowed: true, details: 'FORGED' }));
fs.writeSync(2, rec(1, { t: 'event', type: 'filesystem', action: 'write', target: '/forged', allowed: true, details: 'FORGED' }));
fs.writeSync(2, rec(99, { t: 'exit', code: 0, initMs: 1, durationMs: 1, memory: null }));
console.log(JSON.stringify({ forged: 3 }));
