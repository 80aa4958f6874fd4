// Builds the SDK two ways.
//  - `npm run build -w client-sdk`: the single-file browser bundle (ESM, socket.io-client and mediasoup-client inside)
//    in dist/, next to the runnable example page; the server serves dist/ under /sdk/.
//  - `npm run pack -w client-sdk`: the installable npm package in dist/package/ (ESM for browsers and Node >= 20, the
//    REST half alone under "./rest", .d.ts with the contract's types bundled, README, CHANGELOG), packed by `npm pack`
//    into a .tgz beside it. Its dependencies (socket.io-client, mediasoup-client, zod) stay external: bundlers dedupe
//    them and Node resolves socket.io-client's own Node build, which connects through the `ws` package.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

function sdkRoot(): string {
  // Run from the repository root or from client-sdk/.
  return path.basename(process.cwd()) === "client-sdk" ? process.cwd() : path.join(process.cwd(), "client-sdk");
}

export async function buildSdk(
  outDir = path.join(sdkRoot(), "dist"),
  opts: { minify?: boolean } = {},
): Promise<string> {
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
    define: { __YILIAN_BROWSER_BUNDLE__: "true" },
  });
  cpSync(path.join(sdkRoot(), "example"), outDir, { recursive: true });
  return outfile;
}

const EXTERNAL = ["socket.io-client", "mediasoup-client", "zod", "tus-js-client"];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** The npm package in dist/package (returns its directory). */
export async function buildPackage(outDir = path.join(sdkRoot(), "dist", "package")): Promise<string> {
  const root = sdkRoot();
  const repo = path.dirname(root);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { index: path.join(root, "src", "index.ts"), rest: path.join(root, "src", "rest", "index.ts") },
    outdir: path.join(outDir, "dist"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    external: EXTERNAL,
    sourcemap: true,
    legalComments: "none",
    logLevel: "warning",
    define: { __YILIAN_BROWSER_BUNDLE__: "false" },
  });
  // Declarations of the SDK and of the contract it exposes; the SDK's "@yilian/contract" imports then point at the
  // bundled copy, so an integrator needs no second package.
  execFileSync(
    process.execPath,
    [
      path.join(repo, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      path.join(root, "tsconfig.build.json"),
      "--outDir",
      path.join(outDir, "types"),
    ],
    {
      stdio: "inherit",
    },
  );
  // Relative specifiers get their ".js" (ESM consumers with moduleResolution node16/nodenext require it).
  const contractIndex = path.join(outDir, "types", "contract", "src", "index.js");
  const withExtension = (from: string, spec: string) => {
    const target = path.resolve(path.dirname(from), spec);
    if (statSync(`${target}.d.ts`, { throwIfNoEntry: false })) return `${spec}.js`;
    if (statSync(path.join(target, "index.d.ts"), { throwIfNoEntry: false })) return `${spec}/index.js`;
    return spec;
  };
  for (const file of walk(path.join(outDir, "types")).filter((f) => f.endsWith(".d.ts"))) {
    const text = readFileSync(file, "utf8");
    let rel = path.relative(path.dirname(file), contractIndex).split(path.sep).join("/");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    const fixed = text
      .replace(/(["'])@yilian\/contract\1/g, `"${rel}"`)
      .replace(
        /(from |import\()(["'])(\.\.?\/[^"']*?)\2/g,
        (_m, lead: string, q: string, spec: string) =>
          `${lead}${q}${spec.endsWith(".js") ? spec : withExtension(file, spec)}${q}`,
      );
    if (fixed !== text) writeFileSync(file, fixed);
  }
  const own = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    version: string;
    dependencies: Record<string, string>;
  };
  const contract = JSON.parse(readFileSync(path.join(repo, "contract", "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const versions: Record<string, string> = { ...contract.dependencies, ...own.dependencies };
  const types = (entry: string) => `./types/client-sdk/src/${entry}.d.ts`;
  const pkg = {
    name: "@yilian/client-sdk",
    version: own.version,
    description:
      "Yilian (医联) telemedicine network SDK: typed REST client, consultation notifications and live video rooms (mediasoup)",
    type: "module",
    sideEffects: false,
    engines: { node: ">=20" },
    main: "./dist/index.js",
    types: types("index"),
    exports: {
      ".": { types: types("index"), import: "./dist/index.js", default: "./dist/index.js" },
      "./rest": { types: types("rest/index"), import: "./dist/rest.js", default: "./dist/rest.js" },
      "./package.json": "./package.json",
    },
    files: ["dist", "types", "README.md", "CHANGELOG.md"],
    dependencies: Object.fromEntries(EXTERNAL.map((d) => [d, versions[d]!])),
    license: "UNLICENSED",
  };
  writeFileSync(path.join(outDir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  for (const f of ["README.md", "CHANGELOG.md"]) cpSync(path.join(root, f), path.join(outDir, f));
  return outDir;
}

/** `npm pack` of the package: the path of the .tgz (in `destination`, default dist/). */
export async function packSdk(destination = path.join(sdkRoot(), "dist")): Promise<string> {
  const dir = await buildPackage();
  mkdirSync(destination, { recursive: true });
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", destination], {
    cwd: dir,
    encoding: "utf8",
  });
  const [packed] = JSON.parse(out) as { filename: string }[];
  return path.join(destination, packed!.filename);
}

if (process.argv[1] && path.basename(process.argv[1]) === "build.ts") {
  const run = process.argv.includes("--pack") ? packSdk() : buildSdk();
  run
    .then((f) => console.log(`built ${f}`))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
