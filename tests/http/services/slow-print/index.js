// slow-print — prints, waits one second, prints again: streaming must deliver
// the first line before the run ends.
console.log("first");
setTimeout(() => {
  console.error("between");
  console.log("second");
}, 1000);
