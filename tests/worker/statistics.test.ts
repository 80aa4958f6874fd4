// Monthly statistics: a simulated 2024 matching the province's published figures, computed month by month through
// the real `statistics` BullMQ queue, must add up exactly; recomputes are idempotent; months follow Asia/Shanghai;
// the API answers from rollups within the administrator's scope, with CSV and XLSX exports.
import ExcelJS from "exceljs";
import { tierLabel } from "@yilian/contract";
import { createRedis } from "@yilian/server";
import { QueueEvents } from "bullmq";
import { STATISTICS_QUEUE } from "@yilian/jobs";
import { initStatistics, MONTHLY_SCHEDULER_ID } from "../../worker/src/queues/statistics";
import { computeMonth, previousMonth } from "../../worker/src/statistics/compute";
import { published2024, simulateYear } from "../../worker/src/statistics/simulate";
import { startTestServer, type TestServer } from "../helpers/server";
import { testDb, closeTestDb } from "../helpers/db";

// Own queue prefix: test files run in parallel and each runs its own processors.
process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-stats`;

const db = testDb();
const connection = createRedis(process.env.REDIS_URL!);
const eventsConnection = createRedis(process.env.REDIS_URL!);
const prefix = `${process.env.REDIS_PREFIX}:bull`;
let stats: Awaited<ReturnType<typeof initStatistics>>;
let events: QueueEvents;
let ts: TestServer;

const province = async (month: string | null, metric: string, dimension = "", key = "") => {
  const rows = await db.monthlyStat.findMany({
    where: {
      scope: "PROVINCE",
      metric,
      dimension,
      key,
      ...(month
        ? { month: new Date(`${month}-01T00:00:00Z`) }
        : { month: { gte: new Date("2024-01-01"), lte: new Date("2024-12-01") } }),
    },
  });
  return rows.reduce((a, r) => a + r.value, 0);
};

beforeAll(async () => {
  stats = await initStatistics(db, connection, prefix);
  events = new QueueEvents(STATISTICS_QUEUE, { connection: eventsConnection, prefix });
  await events.waitUntilReady();
  ts = await startTestServer();
  await simulateYear(db, { year: 2024, tag: "SIM", ...published2024() });
}, 60_000);

afterAll(async () => {
  await stats?.worker.close();
  await stats?.queue.close();
  await events?.close();
  connection.disconnect();
  eventsConnection.disconnect();
  await ts?.stop();
  await closeTestDb();
});

test("the twelve monthly jobs of the simulated 2024 give exactly the published annual figures", async () => {
  const figures = published2024();
  const jobs = [];
  for (let m = 1; m <= 12; m++) {
    jobs.push(
      await stats.queue.add("recompute", { month: `2024-${String(m).padStart(2, "0")}` }, { jobId: `t-2024-${m}` }),
    );
  }
  const results = await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 60_000)));
  expect(results.every((r) => r.rows > 0)).toBe(true);
  expect(await province(null, "consultations")).toBe(figures.consultations);
  expect(await province(null, "training_sessions")).toBe(figures.trainingSessions);
  expect(await province(null, "training_attendances")).toBe(figures.attendances);
  expect(await province(null, "uploads", "category", "IMAGING")).toBe(figures.imaging);
  expect(await province(null, "uploads", "category", "CASE")).toBe(figures.caseRecords);
  // Every month has activity, and the levels agree with each other.
  for (let m = 1; m <= 12; m++)
    expect(await province(`2024-${String(m).padStart(2, "0")}`, "consultations")).toBeGreaterThan(0);
  const sumOf = async (scope: "INSTITUTION" | "TIER" | "CITY", metric: string) =>
    (
      await db.monthlyStat.aggregate({
        _sum: { value: true },
        where: { scope, metric, dimension: "", month: { gte: new Date("2024-01-01"), lte: new Date("2024-12-01") } },
      })
    )._sum.value;
  expect(await sumOf("INSTITUTION", "consultations")).toBe(figures.consultations);
  expect(await sumOf("TIER", "training_attendances")).toBe(figures.attendances);
  // Breakdowns add up to the total.
  const byStatus = await db.monthlyStat.aggregate({
    _sum: { value: true },
    where: {
      scope: "PROVINCE",
      metric: "consultations",
      dimension: "status",
      month: { gte: new Date("2024-01-01"), lte: new Date("2024-12-01") },
    },
  });
  expect(byStatus._sum.value).toBe(figures.consultations);
  // Percentiles exist and are ordered.
  const p50 = await province("2024-03", "acceptance_minutes_p50");
  const p90 = await province("2024-03", "acceptance_minutes_p90");
  expect(p50).toBeGreaterThan(0);
  expect(p90).toBeGreaterThanOrEqual(p50);
  // The telemedicine network covers the whole province: its consortium row equals the province.
  const network = await db.consortium.findFirst({ where: { coversAll: true } });
  if (network) {
    const n = await db.monthlyStat.aggregate({
      _sum: { value: true },
      where: {
        scope: "CONSORTIUM",
        scopeId: network.id,
        metric: "consultations",
        dimension: "",
        month: { gte: new Date("2024-01-01"), lte: new Date("2024-12-01") },
      },
    });
    expect(n._sum.value).toBe(figures.consultations);
  }
}, 120_000);

test("recomputing a month is idempotent, also when two recomputes race", async () => {
  const snapshot = async () =>
    await db.monthlyStat.findMany({
      where: { month: new Date("2024-05-01") },
      orderBy: [{ scope: "asc" }, { scopeId: "asc" }, { metric: "asc" }, { dimension: "asc" }, { key: "asc" }],
      select: { scope: true, scopeId: true, metric: true, dimension: true, key: true, value: true },
    });
  await computeMonth(db, "2024-05");
  const a = await snapshot();
  await Promise.all([computeMonth(db, "2024-05"), computeMonth(db, "2024-05")]);
  const b = await snapshot();
  expect(b).toEqual(a);
  expect(a.length).toBeGreaterThan(100);
});

test("months are Asia/Shanghai months", async () => {
  const doctor = await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
  // 2023-03-31 16:30 UTC is 2023-04-01 00:30 in Shanghai.
  await db.consultation.create({
    data: {
      number: "TZ-TEST-1",
      status: "SUBMITTED",
      requestingInstitutionId: doctor.institutionId,
      requestingDoctorId: doctor.id,
      patientName: "时区测试",
      patientSex: "UNKNOWN",
      patientBirthDate: new Date("1990-01-01"),
      submittedAt: new Date("2023-03-31T16:30:00Z"),
    },
  });
  await computeMonth(db, "2023-03");
  await computeMonth(db, "2023-04");
  expect(await province("2023-03", "consultations")).toBe(0);
  expect(await province("2023-04", "consultations")).toBe(1);
  expect(previousMonth(new Date("2024-03-31T17:00:00Z"))).toBe("2024-03"); // 01:00 on 1 April in Shanghai
  expect(previousMonth(new Date("2024-01-01T01:00:00Z"))).toBe("2023-12");
  await expect(computeMonth(db, "2024-13")).rejects.toThrow(/invalid month/);
});

test("the monthly scheduler is registered once however often the worker starts", async () => {
  for (let i = 0; i < 5; i++) {
    const again = await initStatistics(db, connection, prefix);
    await again.worker.close();
    await again.queue.close();
  }
  const schedulers = await stats.queue.getJobSchedulers();
  const monthly = schedulers.filter((s) => s.key === MONTHLY_SCHEDULER_ID || s.id === MONTHLY_SCHEDULER_ID);
  expect(monthly).toHaveLength(1);
  expect(monthly[0]).toMatchObject({ pattern: "0 2 1 * *", tz: "Asia/Shanghai" });
  // Next run: 02:00 Shanghai (18:00 UTC the day before) on the 1st.
  const next = new Date(monthly[0]!.next!);
  expect(next.getUTCHours()).toBe(18);
  expect(new Date(next.getTime() + 8 * 3600_000).getUTCDate()).toBe(1);
});

describe("statistics API", () => {
  test("province admin: JSON, totals, CSV and XLSX with Chinese headers", async () => {
    const { accessToken } = await ts.login("province.admin");
    const r = await ts.api("/api/statistics/monthly?from=2024-01&to=2024-12", { token: accessToken });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ scope: "PROVINCE", scopeName: "全省" });
    expect(r.body.totals.consultations).toBe(315);
    expect(r.body.totals.training_attendances).toBe(35996);
    expect(r.body.computedMonths).toHaveLength(12);

    const csv = await fetch(
      `${ts.baseUrl}/api/statistics/monthly?from=2024-01&to=2024-03&metrics=consultations,uploads&format=csv`,
      { headers: { authorization: `Bearer ${accessToken}` } },
    );
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    expect(csv.headers.get("content-disposition")).toMatch(/attachment; filename\*=UTF-8''/);
    const text = await csv.text();
    expect(text.split("\r\n")[0]).toBe("月份,统计范围,范围名称,指标,维度,分类,数值");
    expect(text).toMatch(/2024-01,全省,全省,远程会诊申请数,合计,,\d+/);
    expect(text).toMatch(/影像资料/);

    const x = await fetch(
      `${ts.baseUrl}/api/statistics/monthly?from=2024-01&to=2024-12&metrics=consultations&format=xlsx`,
      { headers: { authorization: `Bearer ${accessToken}` } },
    );
    expect(x.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await x.arrayBuffer()) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.getRow(1).values).toEqual([undefined, "月份", "统计范围", "范围名称", "指标", "维度", "分类", "数值"]);
    const totalRows = ws.getSheetValues().filter((row) => Array.isArray(row) && row[5] === "合计") as unknown[][];
    expect(totalRows.reduce((a, row) => a + Number(row[7]), 0)).toBe(315);

    const tiers = await ts.api("/api/statistics/breakdown?month=2024-03&scope=TIER&metric=training_attendances", {
      token: accessToken,
    });
    expect(tiers.status).toBe(200);
    expect(tiers.body.rows.map((x: { scopeName: string }) => x.scopeName)).toEqual(
      expect.arrayContaining([tierLabel.TOWNSHIP]),
    );
  });

  test("region and institution admins see their own scope only; others are refused", async () => {
    const city = (await ts.login("region.changchun")).accessToken;
    const r = await ts.api("/api/statistics/monthly?from=2024-01&to=2024-12", { token: city });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ scope: "CITY", scopeName: "长春市" });
    expect(
      (await ts.api("/api/statistics/monthly?from=2024-01&to=2024-12&scope=PROVINCE", { token: city })).status,
    ).toBe(403);
    // An institution in another city "does not exist" for this admin.
    const songyuan = await db.institution.findFirstOrThrow({ where: { name: "哈达山卫生院" } });
    expect(
      (
        await ts.api(`/api/statistics/monthly?from=2024-01&to=2024-12&scope=INSTITUTION&scopeId=${songyuan.id}`, {
          token: city,
        })
      ).status,
    ).toBe(404);
    const inCity = await db.institution.findFirstOrThrow({ where: { city: { name: "长春市" } } });
    expect(
      (
        await ts.api(`/api/statistics/monthly?from=2024-01&to=2024-12&scope=INSTITUTION&scopeId=${inCity.id}`, {
          token: city,
        })
      ).status,
    ).toBe(200);
    const listed = await ts.api("/api/statistics/breakdown?month=2024-03&scope=INSTITUTION", { token: city });
    expect(listed.status).toBe(200);
    const cityIds = new Set(
      (await db.institution.findMany({ where: { city: { name: "长春市" } }, select: { id: true } })).map((i) => i.id),
    );
    expect(listed.body.rows.every((x: { scopeId: string }) => cityIds.has(x.scopeId))).toBe(true);

    const inst = (await ts.login("admin.youtian")).accessToken;
    const own = await ts.api("/api/statistics/monthly?from=2024-01&to=2024-12", { token: inst });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ scope: "INSTITUTION", scopeName: "松原吉林油田医院" });
    expect(
      (
        await ts.api(`/api/statistics/monthly?from=2024-01&to=2024-12&scope=INSTITUTION&scopeId=${inCity.id}`, {
          token: inst,
        })
      ).status,
    ).toBe(404);
    expect(
      (await ts.api("/api/statistics/monthly?from=2024-01&to=2024-12&scope=CITY&scopeId=x", { token: inst })).status,
    ).toBe(403);

    const doctor = (await ts.login("doctor.hadashan")).accessToken;
    expect((await ts.api("/api/statistics/monthly?from=2024-01&to=2024-12", { token: doctor })).status).toBe(403);
    expect((await ts.api("/api/statistics/monthly?from=2024-01&to=2024-12")).status).toBe(401);
  });

  test("drill-down: breakdowns filtered to a focus and a specialty, enforced by the caller's scope", async () => {
    const admin = (await ts.login("province.admin")).accessToken;
    const month = "2024-03";
    const songyuan = await db.region.findFirstOrThrow({ where: { name: "松原市" } });
    const changchun = await db.region.findFirstOrThrow({ where: { name: "长春市" } });
    const rowsOf = (r: { status: number; body: { rows: { scopeId: string; key: string; value: number }[] } }) => {
      expect(r.status).toBe(200);
      return r.body.rows;
    };
    const sum = (rows: { value: number }[]) => rows.reduce((a, x) => a + x.value, 0);
    const cityTotal = rowsOf(
      await ts.api(`/api/statistics/breakdown?month=${month}&scope=CITY&metric=consultations`, { token: admin }),
    ).find((x) => x.scopeId === songyuan.id)!.value;
    expect(cityTotal).toBeGreaterThan(0);

    // City → its counties; its institutions add up to the city's figure.
    const counties = rowsOf(
      await ts.api(`/api/statistics/breakdown?month=${month}&scope=COUNTY&withinScope=CITY&withinId=${songyuan.id}`, {
        token: admin,
      }),
    );
    const countyIds = new Set(
      (await db.region.findMany({ where: { parentId: songyuan.id }, select: { id: true } })).map((x) => x.id),
    );
    expect(counties.length).toBeGreaterThan(0);
    expect(counties.every((x) => countyIds.has(x.scopeId))).toBe(true);
    const inCity = rowsOf(
      await ts.api(
        `/api/statistics/breakdown?month=${month}&scope=INSTITUTION&withinScope=CITY&withinId=${songyuan.id}`,
        { token: admin },
      ),
    );
    expect(sum(inCity)).toBe(cityTotal);
    // County → its institutions.
    const county = counties[0]!;
    const inCounty = rowsOf(
      await ts.api(
        `/api/statistics/breakdown?month=${month}&scope=INSTITUTION&withinScope=COUNTY&withinId=${county.scopeId}`,
        { token: admin },
      ),
    );
    const countyInst = new Set(
      (await db.institution.findMany({ where: { countyId: county.scopeId }, select: { id: true } })).map((x) => x.id),
    );
    expect(inCounty.every((x) => countyInst.has(x.scopeId))).toBe(true);
    expect(sum(inCounty)).toBe(county.value);
    // Tier and consortium → their institutions.
    const tierInst = rowsOf(
      await ts.api(`/api/statistics/breakdown?month=${month}&scope=INSTITUTION&withinScope=TIER&withinId=TOWNSHIP`, {
        token: admin,
      }),
    );
    const townships = new Set(
      (await db.institution.findMany({ where: { tier: "TOWNSHIP" }, select: { id: true } })).map((x) => x.id),
    );
    expect(tierInst.length).toBeGreaterThan(0);
    expect(tierInst.every((x) => townships.has(x.scopeId))).toBe(true);
    const community = await db.consortium.findFirstOrThrow({
      where: { type: "COUNTY_MEDICAL_COMMUNITY", coversAll: false },
    });
    const members = new Set(
      (
        await db.consortiumMember.findMany({ where: { consortiumId: community.id }, select: { institutionId: true } })
      ).map((x) => x.institutionId),
    );
    const inCommunity = rowsOf(
      await ts.api(
        `/api/statistics/breakdown?month=${month}&scope=INSTITUTION&withinScope=CONSORTIUM&withinId=${community.id}`,
        { token: admin },
      ),
    );
    expect(inCommunity.every((x) => members.has(x.scopeId))).toBe(true);

    // Specialty: the breakdown by specialty adds up to the total; a specialty filter narrows trends and levels.
    const bySpecialty = rowsOf(
      await ts.api(
        `/api/statistics/breakdown?month=${month}&scope=SPECIALTY&withinScope=CITY&withinId=${songyuan.id}`,
        { token: admin },
      ),
    );
    expect(sum(bySpecialty)).toBe(cityTotal);
    const top = bySpecialty[0]!.key;
    const filtered = await ts.api(
      `/api/statistics/monthly?from=${month}&to=${month}&scope=CITY&scopeId=${songyuan.id}&specialty=${top}`,
      { token: admin },
    );
    expect(filtered.status).toBe(200);
    expect(filtered.body).toMatchObject({ scope: "CITY", scopeName: "松原市", specialty: top });
    expect(filtered.body.totals.consultations).toBe(bySpecialty[0]!.value);
    expect(
      filtered.body.rows.every((x: { dimension: string; key: string }) => x.dimension === "specialty" && x.key === top),
    ).toBe(true);
    expect(filtered.body.totals.referrals).toBeUndefined(); // referrals have no specialty
    const countiesOfTop = rowsOf(
      await ts.api(
        `/api/statistics/breakdown?month=${month}&scope=COUNTY&withinScope=CITY&withinId=${songyuan.id}&specialty=${top}`,
        { token: admin },
      ),
    );
    expect(sum(countiesOfTop)).toBeLessThanOrEqual(bySpecialty[0]!.value);
    expect(countiesOfTop.every((x) => x.key === top && countyIds.has(x.scopeId))).toBe(true);
    // SLA breaches and training attendance are split by specialty too (they add up to the province's totals).
    for (const metric of ["sla_breaches", "training_attendances"]) {
      const whole = await province(month, metric);
      expect(
        sum(
          rowsOf(
            await ts.api(`/api/statistics/breakdown?month=${month}&scope=SPECIALTY&metric=${metric}`, { token: admin }),
          ),
        ),
      ).toBeCloseTo(whole, 6);
    }

    // Breadcrumb names of a path, and the CSV of a drilled view holds that city's rows only.
    const names = await ts.api(`/api/statistics/scopes?path=CITY:${songyuan.id},COUNTY:${county.scopeId}`, {
      token: admin,
    });
    expect(names.status).toBe(200);
    expect(names.body.items.map((x: { name: string }) => x.name)[0]).toBe("松原市");
    const csv = await fetch(
      `${ts.baseUrl}/api/statistics/breakdown?month=${month}&scope=COUNTY&withinScope=CITY&withinId=${songyuan.id}&format=csv`,
      { headers: { authorization: `Bearer ${admin}` } },
    );
    const lines = (await csv.text()).trim().split("\r\n").slice(1);
    const countyNames = new Set(
      (await db.region.findMany({ where: { parentId: songyuan.id }, select: { name: true } })).map((x) => x.name),
    );
    expect(lines.length).toBe(counties.length);
    expect(lines.every((l) => countyNames.has(l.split(",")[2]!))).toBe(true);

    // A city admin drills inside their city only: another city's focus "does not exist" (404).
    const city = (await ts.login("region.changchun")).accessToken;
    expect(
      (
        await ts.api(`/api/statistics/breakdown?month=${month}&scope=COUNTY&withinScope=CITY&withinId=${songyuan.id}`, {
          token: city,
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await ts.api(
          `/api/statistics/breakdown?month=${month}&scope=INSTITUTION&withinScope=COUNTY&withinId=${county.scopeId}`,
          { token: city },
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await ts.api(`/api/statistics/monthly?from=${month}&to=${month}&scope=COUNTY&scopeId=${county.scopeId}`, {
          token: city,
        })
      ).status,
    ).toBe(404);
    expect((await ts.api(`/api/statistics/scopes?path=CITY:${songyuan.id}`, { token: city })).status).toBe(404);
    expect(
      (
        await ts.api(`/api/statistics/breakdown?month=${month}&scope=INSTITUTION&withinScope=TIER&withinId=TOWNSHIP`, {
          token: city,
        })
      ).status,
    ).toBe(403);
    const ownCounty = await db.region.findFirstOrThrow({ where: { parentId: changchun.id } });
    const ownInst = rowsOf(
      await ts.api(
        `/api/statistics/breakdown?month=${month}&scope=INSTITUTION&withinScope=COUNTY&withinId=${ownCounty.id}`,
        { token: city },
      ),
    );
    const ownCountyInst = new Set(
      (await db.institution.findMany({ where: { countyId: ownCounty.id }, select: { id: true } })).map((x) => x.id),
    );
    expect(ownInst.every((x) => ownCountyInst.has(x.scopeId))).toBe(true);

    // Validation (400): a level that cannot be listed inside the focus, half a focus, a malformed specialty or path.
    expect(
      (
        await ts.api(
          `/api/statistics/breakdown?month=${month}&scope=CITY&withinScope=COUNTY&withinId=${county.scopeId}`,
          { token: admin },
        )
      ).status,
    ).toBe(400);
    expect(
      (await ts.api(`/api/statistics/breakdown?month=${month}&scope=COUNTY&withinScope=CITY`, { token: admin })).status,
    ).toBe(400);
    expect(
      (await ts.api(`/api/statistics/monthly?from=${month}&to=${month}&specialty=drop%20table`, { token: admin }))
        .status,
    ).toBe(400);
    expect((await ts.api(`/api/statistics/scopes?path=CITY`, { token: admin })).status).toBe(400);
  });

  test("validation and on-demand recompute", async () => {
    const admin = (await ts.login("province.admin")).accessToken;
    expect((await ts.api("/api/statistics/monthly?from=2024-13&to=2024-12", { token: admin })).status).toBe(400);
    expect((await ts.api("/api/statistics/monthly?from=2024-06&to=2024-01", { token: admin })).status).toBe(400);
    expect((await ts.api("/api/statistics/recompute", { token: admin, body: { month: "2024-1" } })).status).toBe(400);
    expect((await ts.api("/api/statistics/recompute", { token: admin, body: { month: "2999-01" } })).status).toBe(400);
    const city = (await ts.login("region.changchun")).accessToken;
    expect((await ts.api("/api/statistics/recompute", { token: city, body: { month: "2024-02" } })).status).toBe(403);
    const r = await ts.api("/api/statistics/recompute", { token: admin, body: { month: "2024-02" } });
    expect(r.status).toBe(202);
    const job = await stats.queue.getJob(r.body.jobId);
    await job!.waitUntilFinished(events, 60_000);
    expect(await province("2024-02", "consultations")).toBeGreaterThan(0);
  });

  test("a dashboard's answer travels compressed to a browser (Brotli, else gzip), decodes to the same JSON, and revalidates by its ETag", async () => {
    const admin = (await ts.login("province.admin")).accessToken;
    const url = `${ts.baseUrl}/api/statistics/monthly?from=2024-01&to=2024-12`;
    const get = (encoding: string, etag?: string) =>
      fetch(url, {
        headers: {
          authorization: `Bearer ${admin}`,
          "accept-encoding": encoding,
          // As a browser revalidates from its cache (fetch would otherwise add no-cache to a conditional request).
          ...(etag ? { "if-none-match": etag, "cache-control": "max-age=0" } : {}),
        },
      });
    const plain = await get("identity");
    const plainBody = await plain.json();
    const plainSize = Number(plain.headers.get("content-length"));
    for (const [accepts, coding] of [
      ["gzip, deflate, br, zstd", "br"],
      ["gzip, deflate", "gzip"],
    ]) {
      const r = await get(accepts!);
      expect(r.headers.get("content-encoding")).toBe(coding);
      expect(r.headers.get("vary")).toMatch(/Accept-Encoding/i);
      expect(Number(r.headers.get("content-length"))).toBeLessThan(plainSize / 5);
      expect(r.headers.get("etag")).not.toBe(plain.headers.get("etag"));
      expect(await r.json()).toEqual(plainBody);
      // The dashboard opened again: nothing is sent while the rollups are unchanged (the read is still audited).
      const again = await get(accepts!, r.headers.get("etag")!);
      expect(again.status).toBe(304);
    }
    expect(plain.headers.get("content-encoding")).toBeNull();
  });

  test("an answer kept from before a month's recompute is not served after it; every read is audited", async () => {
    const admin = (await ts.login("province.admin")).accessToken;
    const read = async () => {
      const r = await ts.api("/api/statistics/monthly?from=2024-02&to=2024-02&metrics=consultations", { token: admin });
      expect(r.status).toBe(200);
      return r.body.totals.consultations as number;
    };
    const audited = () => db.auditLog.count({ where: { action: "statistics.read", entityId: "PROVINCE:PROVINCE" } });
    const before = await read();
    const reads = await audited();
    expect(await read()).toBe(before);
    expect(await audited()).toBe(reads + 1);
    // One more consultation in February (a copy of one of its own), recomputed: the next answer counts it.
    const [copy] = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO "Consultation"
      SELECT (jsonb_populate_record(NULL::"Consultation",
                to_jsonb(c) || jsonb_build_object('id', gen_random_uuid(), 'number', c.number || '-COPY'))).*
        FROM "Consultation" c
       WHERE c."submittedAt" >= '2024-02-10' AND c."submittedAt" < '2024-02-20' LIMIT 1
      RETURNING id::text`;
    await computeMonth(db, "2024-02");
    expect(await read()).toBe(before + 1);
    await db.$executeRaw`DELETE FROM "Consultation" WHERE id = ${copy!.id}::uuid`;
    await computeMonth(db, "2024-02");
    expect(await read()).toBe(before);
    expect(await audited()).toBe(reads + 3);
  });
});
