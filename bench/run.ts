// `npm run bench -- <name>`: runs bench/<name>.ts. Figures go to stdout as JSON lines (see BENCH.md),
// progress to stderr.
import { readdirSync } from "node:fs";
import path from "node:path";

const name = process.argv[2];
const available = readdirSync(path.join(process.cwd(), "bench"))
  .filter((f) => f.endsWith(".ts") && !["run.ts", "lib.ts"].includes(f) && !f.endsWith(".test.ts"))
  .map((f) => f.replace(/\.ts$/, ""));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>; available: ${available.sort().join(", ")}`);
  process.exit(2);
}
import(path.join(process.cwd(), "bench", `${name}.ts`))
  .then((mod: { default: () => Promise<void> }) => mod.default())
  .then(
    () => process.exit(0),
    (e) => {
      console.error(`bench ${name} failed:`, e);
      process.exit(1);
    },
  );
