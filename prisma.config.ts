// Prisma CLI configuration. Migrations run through the JavaScript schema engine on a pg driver adapter:
// this machine (and many hospital intranets) cannot download Prisma's native engines.
import { randomUUID } from "node:crypto";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";
import pg from "pg";

const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/yilian";
process.env.DATABASE_URL ??= DEFAULT_DATABASE_URL;

/** node-postgres options from a URL, passed field by field (see fix 2 below). */
function poolConfigFromUrl(url: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Workarounds for @prisma/adapter-pg 6.19.3 when used by the schema engine (prisma/orm#27403).
// All four live here so they can be dropped together once the adapter is fixed.
//  (1) The schema engine's introspection selects columns of type "char" (OID 18) and name (OID 19), which the
//      adapter rejects as unsupported; report them as text (OID 25).
//  (2) Pass host/port/user/password/database separately, never a connectionString: node-postgres lets the
//      connection string override `database`, so the shadow database silently became the main one.
//  (3) Send each migration script as one query: the stock adapter splits on ";", which breaks dollar-quoted
//      function bodies and DO blocks.
//  (4) In connectToShadowDb, close the shadow pool before dropping the shadow database (it cannot be dropped
//      while connections are open).
// ---------------------------------------------------------------------------------------------------------
type Adapter = Awaited<ReturnType<PrismaPg["connect"]>>;
type QueryResult = { fields: { dataTypeID: number }[] };
// A multi-statement script (migrations) comes back as one result per statement.
type PerformIO = (query: unknown) => Promise<QueryResult | QueryResult[]>;

const CHARACTER_COLUMN = 6; // ColumnTypeEnum.Character of @prisma/driver-adapter-utils

function patchQueryable<T extends object>(queryable: T): T {
  const q = queryable as unknown as {
    performIO: PerformIO;
    queryRaw: (query: object) => Promise<{ columnTypes: number[] }>;
  };
  const charColumns = new WeakMap<object, number[]>();
  const performIO = q.performIO.bind(queryable);
  q.performIO = async (query) => {
    const result = await performIO(query);
    for (const r of Array.isArray(result) ? result : [result]) {
      const chars: number[] = [];
      (r.fields ?? []).forEach((field, i) => {
        if (field.dataTypeID === 18) chars.push(i);
        if (field.dataTypeID === 18 || field.dataTypeID === 19) field.dataTypeID = 25; // fix (1)
      });
      if (chars.length && query && typeof query === "object") charColumns.set(query, chars);
    }
    return result;
  };
  const queryRaw = q.queryRaw.bind(queryable);
  q.queryRaw = async (query) => {
    const result = await queryRaw(query);
    // fix (1b): the schema engine reads "char" columns (pg_constraint.contype) as single characters; as text it
    // aborts ("RuntimeError: unreachable") as soon as a CHECK or EXCLUDE constraint exists.
    for (const i of charColumns.get(query) ?? []) result.columnTypes[i] = CHARACTER_COLUMN;
    return result;
  };
  return queryable;
}

class MigrationSafePrismaPg extends PrismaPg {
  constructor(private readonly poolConfig: pg.PoolConfig) {
    super(poolConfig);
  }

  override async connect(): Promise<Adapter> {
    const adapter = patchQueryable(await super.connect());
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => patchQueryable(await startTransaction(isolationLevel));
    const client = adapter.underlyingDriver() as pg.Pool;
    adapter.executeScript = async (script: string) => {
      await client.query(script); // fix (3)
    };
    return adapter;
  }

  override async connectToShadowDb(): Promise<Adapter> {
    const admin = await this.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await admin.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = await new MigrationSafePrismaPg({ ...this.poolConfig, database }).connect();
    const disposeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await disposeShadow(); // fix (4): ends the shadow pool first
      await admin.executeScript(`DROP DATABASE IF EXISTS "${database}"`);
      await admin.dispose();
    };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => new MigrationSafePrismaPg(poolConfigFromUrl(process.env.DATABASE_URL!)), // fix (2)
});
