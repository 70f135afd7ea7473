export {};
console.log("full");
