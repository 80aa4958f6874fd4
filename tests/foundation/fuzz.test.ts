// Issue 12: OpenAPI-driven fuzzing, seeded and bounded. Every operation of /openapi.json gets malformed path
// values, queries and bodies (NUL, lone surrogates, huge strings, deep JSON, wrong types), with no token, a bad
// token and a real one; every Socket.IO event of the contract's event map gets hostile payloads. Nothing may
// answer ≥ 500, and every REST error is problem+json. New operations and events join automatically.
import { readFileSync } from "node:fs";
import path from "node:path";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb } from "../helpers/db";
import { openSocket } from "../consultations/helpers";

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
/** mulberry32: the same seed, the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const deep = (n: number): unknown => (n === 0 ? "x" : { a: deep(n - 1) });
const HOSTILE_VALUES: unknown[] = [
  "a\u0000b",
  "\ud800",
  "x\udc00y",
  "A".repeat(100_000),
  "",
  " ",
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER,
  true,
  null,
  [],
  [null],
  {},
  { $gt: "" },
  "2026-13-45T99:99:99Z",
  "00000000-0000-0000-0000-000000000000",
  "../../../etc/passwd",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  deep(40),
];
const PATH_VALUES = [
  "%00",
  "not-a-uuid",
  "%ED%A0%80",
  "A".repeat(3000),
  "00000000-0000-4000-8000-000000000000",
  "..%2F..%2Fetc",
  "-1",
  "%25",
];
const QUERY_VALUES = ["%00", "A".repeat(5000), "-1", "abc", "1e309", "%ED%A0%80", "[object]", "2026-02-30"];

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string }[];
  bodyProps: string[];
}

let t: TestServer;
let ops: Operation[];
let tokens: (string | undefined)[];
beforeAll(async () => {
  t = await startTestServer({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}-fuzz` });
  const doc = (await t.api("/openapi.json")).body as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: { name: string; in: string }[];
          requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
        }
      >
    >;
  };
  ops = Object.entries(doc.paths).flatMap(([p, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: p,
      params: op.parameters ?? [],
      bodyProps: Object.keys(op.requestBody?.content?.["application/json"]?.schema?.properties ?? {}),
    })),
  );
  tokens = [
    undefined,
    "not.a.token",
    `${(await t.login("doctor.hadashan")).accessToken.slice(0, -3)}abc`,
    (await t.login("province.admin")).accessToken,
    (await t.login("doctor.hadashan")).accessToken,
  ];
});
afterAll(async () => {
  await t.stop();
  await closeTestDb();
});

function hostileBody(props: string[]): string | undefined {
  const kind = Math.floor(rand() * 7);
  if (kind === 0) return undefined;
  if (kind === 1) return "{not json";
  if (kind === 2) return JSON.stringify(pick(HOSTILE_VALUES));
  if (kind === 3) return `${"[".repeat(5000)}${"]".repeat(5000)}`;
  const body: Record<string, unknown> = {};
  for (const p of props) body[p] = rand() < 0.7 ? pick(HOSTILE_VALUES) : "ok";
  if (!props.length || kind === 4)
    body[pick(["a\u0000", "\ud800", "__proto__", "constructor", "x"])] = pick(HOSTILE_VALUES);
  return JSON.stringify(body);
}

it("REST: no answer ≥ 500, every error problem+json", async () => {
  expect(ops.length).toBeGreaterThan(60);
  const failures: string[] = [];
  let requests = 0;
  for (const op of ops) {
    for (let i = 0; i < 16; i++) {
      let url = op.path.replace(/\{[^}]+\}/g, () => pick(PATH_VALUES));
      const query = op.params
        .filter((p) => p.in === "query")
        .map((p) => `${encodeURIComponent(p.name)}=${pick(QUERY_VALUES)}`);
      if (rand() < 0.3) query.push(`${pick(["q", "limit", "offset", "x%00"])}=${pick(QUERY_VALUES)}`);
      if (query.length) url += `?${query.join("&")}`;
      const token = pick(tokens);
      const body = op.method === "GET" ? undefined : hostileBody(op.bodyProps);
      const res = await fetch(t.baseUrl + url, {
        method: op.method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body,
      }).catch(
        (e: Error) => ({ status: 599, headers: new Headers(), text: async () => e.message }) as unknown as Response,
      );
      requests++;
      const text = await res.text();
      const type = res.headers.get("content-type") ?? "";
      if (res.status >= 500) failures.push(`${op.method} ${url.slice(0, 120)} → ${res.status} ${text.slice(0, 200)}`);
      else if (res.status >= 400 && !type.includes("application/problem+json"))
        failures.push(`${op.method} ${url.slice(0, 120)} → ${res.status} ${type}`);
    }
  }
  expect(requests).toBeGreaterThan(1000);
  expect(failures).toEqual([]);
}, 300_000);

it("Socket.IO: every event of the contract's event map answers hostile payloads with a typed ack, never a crash", async () => {
  // The event names of ClientToServerEvents, read from the contract source (the interface has no runtime form).
  const source = readFileSync(path.resolve(__dirname, "../../contract/src/socket.ts"), "utf8");
  const block = source.slice(source.indexOf("export interface ClientToServerEvents"));
  const events = [...block.slice(0, block.indexOf("\n}")).matchAll(/^\s+"([a-z:A-Z-]+)": \((\w+)/gm)].map((m) => ({
    name: m[1]!,
    ackOnly: m[2] === "ack",
  }));
  expect(events.length).toBeGreaterThan(15);
  const s = await openSocket(t.baseUrl, tokens[4]!);
  const emit = (event: string, ...args: unknown[]) =>
    (s as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<unknown> } })
      .timeout(5000)
      .emitWithAck(event, ...args);
  const bad: string[] = [];
  try {
    for (const { name: event, ackOnly } of events) {
      for (let i = 0; i < 6; i++) {
        const payload = pick(HOSTILE_VALUES);
        // Ack-only events take no payload: a hostile one in the ack's place goes unanswered, which is all it earns.
        const args = ackOnly ? [] : [payload];
        const ack = (await emit(event, ...args).catch((e: Error) => ({ timeout: e.message }))) as {
          ok?: boolean;
          error?: { code?: string };
        };
        if (ack.ok === false && ack.error?.code === "INTERNAL")
          bad.push(`${event} ${JSON.stringify(payload).slice(0, 80)} → INTERNAL`);
        if (ackOnly) (s as unknown as { emit(e: string, p: unknown): void }).emit(event, payload); // a stray payload is harmless
        if (ack.ok === undefined)
          bad.push(`${event} ${JSON.stringify(payload)?.slice(0, 80)} → ${JSON.stringify(ack).slice(0, 120)}`);
      }
    }
    // Still connected and served.
    expect(await emit("session:whoami")).toMatchObject({ ok: true });
  } finally {
    s.disconnect();
  }
  expect(bad).toEqual([]);
}, 120_000);
