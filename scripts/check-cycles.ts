// `npm run check:cycles`: no import cycles between our modules, type-only imports included (a type cycle still
// ties two files together). The allow-list names the cycles whose owners are removing them now; a new cycle fails,
// and so does an allow-listed one that is gone (so the list only shrinks).
import madge from "madge";

const ROOTS = [
  "contract/src",
  "jobs/src",
  "storage/src",
  "audit/src",
  "server/src",
  "media/src",
  "worker/src",
  "client-sdk/src",
  "prisma",
  "web/src",
];

/** Cycles tolerated while their owners remove them (none left). */
const ALLOWED = new Set<string>();

async function main(): Promise<void> {
  const result = await madge(ROOTS, {
    fileExtensions: ["ts", "tsx"],
    tsConfig: "tsconfig.base.json",
    excludeRegExp: [/\.d\.ts$/, /node_modules/, /\/dist\//],
  });
  const found = result.circular().map((cycle) => cycle.join(" > "));
  const fresh = found.filter((c) => !ALLOWED.has(c));
  const gone = [...ALLOWED].filter((c) => !found.includes(c));
  for (const c of fresh) console.error(`check:cycles: new import cycle: ${c}`);
  for (const c of gone)
    console.error(`check:cycles: allow-listed cycle is gone, remove it from scripts/check-cycles.ts: ${c}`);
  if (fresh.length || gone.length) process.exit(1);
  console.log(
    `check:cycles: ${Object.keys(result.obj()).length} files, no new import cycle (${ALLOWED.size} allow-listed)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
