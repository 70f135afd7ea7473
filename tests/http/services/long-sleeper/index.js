// long-sleeper — runs for 20 s, printing a tick every 200 ms: for tests
// that stop or kill the daemon while a run is in flight.
let n = 0;
const t = setInterval(() => console.log(`tick ${++n}`), 200);
setTimeout(() => { clearInterval(t); console.log("done"); }, 20000);
