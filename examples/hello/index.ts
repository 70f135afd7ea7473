// hello — greets whoever the input names.
//
// Input arrives as JSON in IGNITE_INPUT, e.g. {"name": "Ada"}.
interface Input {
  name?: string;
}

const input: Input = JSON.parse(process.env.IGNITE_INPUT ?? "null") ?? {};
const greeting = process.env.GREETING ?? "Hello";
const name = typeof input.name === "string" && input.name.length > 0 ? input.name : "world";

console.log(JSON.stringify({ message: `${greeting}, ${name}!` }));
