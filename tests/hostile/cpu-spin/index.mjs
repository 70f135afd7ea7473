// cpu-spin — says it started, then never yields.
console.log('spinning');
for (;;) { /* burn */ }
