// fs-write — tries to change the image and its own service directory, and
// checks that the scratch space /tmp still works. Prints one JSON line:
// {"<target>": {"ok": bool, "code": "..."} ...}.
import fs from 'node:fs';

const attempt = (fn) => {
  try { fn(); return { ok: true }; } catch (e) { return { ok: false, code: String(e && (e.code || e.name) || e) }; }
};
const out = {
  root: attempt(() => fs.writeFileSync('/ignite-pwned', 'pwned')),
  app: attempt(() => fs.writeFileSync('/app/pwned', 'pwned')),
  appEntry: attempt(() => fs.appendFileSync('/app/index.mjs', '\n// tampered\n')),
  appMkdir: attempt(() => fs.mkdirSync('/app/pwned-dir')),
  etc: attempt(() => fs.writeFileSync('/etc/passwd', 'root::0:0::/:/bin/sh\n')),
  launcher: attempt(() => fs.writeFileSync('/ignite/launcher.mjs', '// replaced')),
};
out.tmp = attempt(() => {
  fs.writeFileSync('/tmp/scratch.txt', 'scratch works');
  if (fs.readFileSync('/tmp/scratch.txt', 'utf8') !== 'scratch works') throw new Error('read back differs');
});
console.log(JSON.stringify(out));
