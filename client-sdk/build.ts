// Bundles the SDK for browsers (ESM, one file, mediasoup-client and socket.io-client inside) into dist/,
// next to the runnable example page. `npm run build -w client-sdk`; the server serves dist/ under /sdk/.
import { cpSync, mkdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

export async function buildSdk(outDir = path.join(sdkRoot(), "dist"), opts: { minify?: boolean } = {}): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, "yilian-sdk.js");
  await build({
    entryPoints: [path.join(sdkRoot(), "src", "index.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome100", "firefox100", "safari15"],
    minify: opts.minify ?? true,
    sourcemap: true,
    legalComments: "none",
    logLevel: "warning",
  });
  cpSync(path.join(sdkRoot(), "example"), outDir, { recursive: true });
  return outfile;
}

function sdkRoot(): string {
  // Run from the repository root or from client-sdk/.
  return path.basename(process.cwd()) === "client-sdk" ? process.cwd() : path.join(process.cwd(), "client-sdk");
}

if (process.argv[1] && path.basename(process.argv[1]) === "build.ts") {
  buildSdk().then((f) => console.log(`built ${f}`));
}
