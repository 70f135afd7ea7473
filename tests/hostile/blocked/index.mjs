// blocked — never runs: preflight refuses its memory limit.
console.log('this must not run');
