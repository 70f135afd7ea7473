// sleeper — prints one line, then waits far longer than its 1.5 s timeout.
console.log("sleeping");
setTimeout(() => console.log("woke up"), 60000);
