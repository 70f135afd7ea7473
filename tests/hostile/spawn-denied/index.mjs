// spawn-denied — tries to start the runtime's own binary (the only program
// in the image) through every spawn API it can reach. Prints one JSON line:
// {"<api>": {"ran": bool, "code": "...", "out": "..."} ...}.
import cp from 'node:child_process';
import process from 'node:process';

const code = (e) => String(e && (e.code || e.name) || e);
const text = (b) => (b == null ? '' : String(b)).trim().slice(0, 100);
const exe = process.execPath;
const out = {};

function sync(name, fn) {
  try {
    const r = fn();
    if (typeof r === 'string' || r instanceof Uint8Array)   // execFileSync/execSync: the output
      out[name] = { ran: true, code: null, out: text(r) };
    else   // a spawnSync-style result (deno's child_process gives {} when refused)
      out[name] = { ran: !!r && r.status === 0, code: r && r.error ? code(r.error) : null, out: text(r && r.stdout) };
  } catch (e) { out[name] = { ran: false, code: code(e) }; }
}

sync('spawnSync', () => cp.spawnSync(exe, ['--version']));
sync('execFileSync', () => cp.execFileSync(exe, ['--version']));
sync('execSync', () => cp.execSync('echo shell'));
out.spawn = await new Promise((resolve) => {
  try {
    const child = cp.spawn(exe, ['--version']);
    let so = '';
    child.stdout && child.stdout.on('data', (d) => { so += d; });
    child.on('error', (e) => resolve({ ran: false, code: code(e) }));
    child.on('close', (status) => resolve({ ran: status === 0, code: null, out: text(so) }));
  } catch (e) { resolve({ ran: false, code: code(e) }); }
});
if (typeof globalThis.Bun !== 'undefined')
  sync('Bun.spawnSync', () => { const r = Bun.spawnSync([exe, '--version']); return { status: r.exitCode, stdout: r.stdout }; });
if (typeof globalThis.Deno !== 'undefined')
  sync('Deno.Command', () => { const r = new Deno.Command(exe, { args: ['--version'] }).outputSync(); return { status: r.code, stdout: new TextDecoder().decode(r.stdout) }; });
console.log(JSON.stringify(out));
