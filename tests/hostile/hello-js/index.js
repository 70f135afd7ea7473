// hello-js — the hello service as plain CommonJS-compatible JavaScript, the
// form node@20 (no native TypeScript) runs.
var input = JSON.parse(process.env.IGNITE_INPUT || "null") || {};
var greeting = process.env.GREETING || "Hello";
var name = typeof input.name === "string" && input.name.length > 0 ? input.name : "world";
console.log(JSON.stringify({ message: greeting + ", " + name + "!" }));
