// output-flood — writes 50 MiB of text to stdout as fast as the pipe takes
// it, then exits normally.
import process from 'node:process';

const chunk = Buffer.from(('x'.repeat(1023) + '\n').repeat(1024)); // 1 MiB
for (let i = 0; i < 50; i++) {
  if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}
process.stderr.write('wrote ' + 50 * chunk.length + ' bytes\n');
