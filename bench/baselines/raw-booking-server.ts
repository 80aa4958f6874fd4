// Baseline for `bench booking`: the least a booking can be. Plain node:http + pg, no framework, no ORM, no
// authentication, no slot check: one INSERT of the specialist's busy time, which PostgreSQL's exclusion constraint
// refuses when it overlaps (409), as it does for the product. POST /book {specialistId, startsAt, endsAt}.
// Prints "raw booking listening on <port>".
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (body += chunk));
  req.on("end", async () => {
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    try {
      const b = JSON.parse(body) as { specialistId: string; startsAt: string; endsAt: string };
      const id = randomUUID();
      await pool.query(
        `INSERT INTO "SpecialistBusyTime" (id, "specialistId", "startsAt", "endsAt", source, "sourceId")
         VALUES ($1, $2, $3, $4, 'CONSULTATION', $1)`,
        [id, b.specialistId, b.startsAt, b.endsAt],
      );
      send(201, { id });
    } catch (e) {
      if ((e as { code?: string }).code === "23P01") send(409, { code: "CONFLICT" });
      else send(500, { message: String(e) });
    }
  });
});
// The pool's connections are opened before listening, as the product's are by the time of its race.
void Promise.all(Array.from({ length: 10 }, () => pool.query("SELECT 1"))).then(() =>
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    console.log(`raw booking listening on ${typeof addr === "object" && addr ? addr.port : 0}`);
  }),
);
process.on("SIGTERM", () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
