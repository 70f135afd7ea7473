// tmpfs-fill — fills /tmp: first with 1 MiB blocks until a write fails, then
// with empty files until creating one fails. Prints how far it got.
import fs from 'node:fs';

const code = (e) => String(e && (e.code || e.name) || e);
const block = Buffer.alloc(1024 * 1024, 0x41);
const out = { bytes: 0, files: 0 };
let fd = null;
try {
  fd = fs.openSync('/tmp/fill', 'w');
  for (let i = 0; i < 4096; i++) out.bytes += fs.writeSync(fd, block);
  out.bytesError = 'none';
} catch (e) { out.bytesError = code(e); }
if (fd !== null) fs.closeSync(fd);
try { fs.unlinkSync('/tmp/fill'); } catch {}
try {
  fs.mkdirSync('/tmp/many');
  for (let i = 0; i < 100000; i++) { fs.writeFileSync('/tmp/many/' + i, ''); out.files++; }
  out.filesError = 'none';
} catch (e) { out.filesError = code(e); }
console.log(JSON.stringify(out));
