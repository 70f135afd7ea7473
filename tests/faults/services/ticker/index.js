// ticker — 60 lines, one every 100 ms.
let n = 0;
const t = setInterval(() => {
  console.log(`tick ${++n}`);
  if (n === 60) clearInterval(t);
}, 100);
