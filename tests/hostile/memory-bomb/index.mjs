// memory-bomb — allocates and touches memory until something stops it.
// Typed arrays live outside the JavaScript heap, so the runtime's own heap
// limit does not intervene: the container's memory limit has to.
const keep = [];
console.log('allocating');
for (;;) {
  const block = new Uint8Array(8 * 1024 * 1024);
  block.fill(7);
  keep.push(block);
}
