// data-processor — sum, average, max or min over a list of numbers.
//
// Input: {"data": [1, 2, 3], "operation": "sum" | "average" | "max" | "min"}
// Output: one JSON line {"operation", "count", "result"}; invalid input
// prints an error on stderr and exits 1.
type Operation = "sum" | "average" | "max" | "min";

interface Input {
  data: number[];
  operation: Operation;
}

function parse(raw: string | undefined): Input {
  const value: unknown = JSON.parse(raw ?? "{}");
  if (typeof value !== "object" || value === null) throw new Error("input must be an object");
  const { data, operation } = value as Record<string, unknown>;
  if (!Array.isArray(data) || !data.every((n) => typeof n === "number" && Number.isFinite(n)))
    throw new Error("data must be an array of finite numbers");
  if (operation !== "sum" && operation !== "average" && operation !== "max" && operation !== "min")
    throw new Error('operation must be one of "sum", "average", "max", "min"');
  return { data: data as number[], operation };
}

function compute({ data, operation }: Input): number | null {
  if (data.length === 0) return operation === "sum" ? 0 : null;
  switch (operation) {
    case "sum":
      return data.reduce((a, b) => a + b, 0);
    case "average":
      return data.reduce((a, b) => a + b, 0) / data.length;
    case "max":
      return Math.max(...data);
    case "min":
      return Math.min(...data);
  }
}

try {
  const input = parse(process.env.IGNITE_INPUT);
  console.log(JSON.stringify({ operation: input.operation, count: input.data.length, result: compute(input) }));
} catch (e) {
  console.error(`data-processor: ${(e as Error).message}`);
  process.exitCode = 1;
}
