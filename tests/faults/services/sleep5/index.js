// sleep5 — one line, a 5 s sleep, one line.
console.log("started");
setTimeout(() => console.log("done"), 5000);
