// fail-exit — writes a line to each stream, then exits with status 1.
console.log("about to fail");
console.error("something went wrong");
process.exit(1);
