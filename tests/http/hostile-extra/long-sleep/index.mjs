// long-sleep — sleeps ten minutes, far past its 1.5 s time limit.
console.log('sleeping');
await new Promise((resolve) => setTimeout(resolve, 600000));
console.log('woke up');
