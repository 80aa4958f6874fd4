// Baseline for `bench api`: the same institution search with plain node:http + pg, no framework, no ORM,
// no authentication. Prints "raw listening on <port>".
import { createServer } from "node:http";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const SEARCH = `
  SELECT i.id, i.code, i.name, i.tier, i.kind, i."parentId", i.named,
         CASE WHEN c.id IS NULL THEN NULL ELSE json_build_object('id', c.id, 'name', c.name, 'kind', c.kind) END AS city,
         CASE WHEN k.id IS NULL THEN NULL ELSE json_build_object('id', k.id, 'name', k.name, 'kind', k.kind) END AS county
  FROM "Institution" i
  LEFT JOIN "Region" c ON c.id = i."cityId"
  LEFT JOIN "Region" k ON k.id = i."countyId"
  WHERE i.name ILIKE $1 AND i.tier = $2::"Tier"
  ORDER BY i.tier ASC, i.code ASC
  LIMIT $3 OFFSET $4`;
const COUNT = `SELECT count(*)::int AS n FROM "Institution" i WHERE i.name ILIKE $1 AND i.tier = $2::"Tier"`;

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  const q = `%${url.searchParams.get("q") ?? ""}%`;
  const tier = url.searchParams.get("tier") ?? "TOWNSHIP";
  const limit = Number(url.searchParams.get("limit") ?? 50);
  try {
    const [items, count] = await Promise.all([pool.query(SEARCH, [q, tier, limit, 0]), pool.query(COUNT, [q, tier])]);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ items: items.rows, total: count.rows[0].n, limit, offset: 0 }));
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
});
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  console.log(`raw listening on ${typeof addr === "object" && addr ? addr.port : 0}`);
});
process.on("SIGTERM", () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
