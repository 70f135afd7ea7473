// signal-games — ignores every signal it may catch and keeps running, so only
// SIGKILL at the time limit can end it.
import process from 'node:process';

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM']) {
  try { process.on(sig, () => console.log('ignored ' + sig)); } catch {}
}
console.log('ignoring signals');
setInterval(() => {}, 1000);
