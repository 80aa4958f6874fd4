// A simulated year of network activity, written with set-based SQL (generate_series) so that a year at province
// scale loads in seconds. Counts are exact: the published figures of a year can be reproduced to the unit.
// Every timestamp falls strictly inside its Asia/Shanghai month (never in the last 5 % of it), so monthly rollups
// add up to the annual totals. Rows carry the tag in their numbers and are replaced on a re-run.
import type { Db } from "@yilian/server";
import { readFileSync } from "node:fs";
import path from "node:path";

export interface YearVolume {
  consultations: number;
  trainingSessions: number;
  attendances: number;
  imaging: number;
  caseRecords: number;
}

export interface SimulateOptions extends YearVolume {
  year: number;
  /** Marks the rows (numbers start with it) so a re-run replaces exactly them. Letters and digits only. */
  tag: string;
}

/** The province's published 2024 figures (prisma/data/jilin/reference-figures.json). */
export function published2024(root = process.cwd()): YearVolume {
  const f = JSON.parse(readFileSync(path.join(root, "prisma/data/jilin/reference-figures.json"), "utf8")) as {
    year2024: {
      remoteConsultations: number;
      trainingAndMeetingSessions: number;
      trainingAttendances: number;
      newImagingRecords: number;
      newCaseRecords: number;
    };
  };
  return {
    consultations: f.year2024.remoteConsultations,
    trainingSessions: f.year2024.trainingAndMeetingSessions,
    attendances: f.year2024.trainingAttendances,
    imaging: f.year2024.newImagingRecords,
    caseRecords: f.year2024.newCaseRecords,
  };
}

/** Relative activity per month (fewer in February around the Spring Festival, fewer in August). */
const MONTH_WEIGHTS = [1.0, 0.7, 1.1, 1.05, 1.05, 1.0, 0.95, 0.85, 1.1, 0.95, 1.1, 1.15];

/** SQL for "month (1..12) of item g out of n", following MONTH_WEIGHTS. */
const monthOf = (g: string, n: string) => `(SELECT min(m) FROM cum WHERE cum.c >= ((${g}) - 0.5) / (${n})::float8)`;
/** A deterministic pseudo-random fraction in [0,1) from a text seed. */
const frac = (seed: string) => `((hashtext(${seed}) & 2147483647)::float8 / 2147483648.0)`;
/** A moment inside month m of the year, local time Asia/Shanghai, never in the last 5 % of the month. */
const inMonth = (year: number, m: string, f: string) =>
  `((make_date(${year}, ${m}, 1)::timestamp + (${f}) * 0.95 * ((make_date(${year}, ${m}, 1) + interval '1 month')::timestamp - make_date(${year}, ${m}, 1)::timestamp)) AT TIME ZONE 'Asia/Shanghai')`;

function cumCte(): string {
  const total = MONTH_WEIGHTS.reduce((a, b) => a + b, 0);
  let acc = 0;
  const rows = MONTH_WEIGHTS.map((w, i) => {
    acc += w;
    return `(${i + 1}, ${i === 11 ? 1 : (acc / total).toFixed(8)}::float8)`;
  });
  return `cum(m, c) AS (VALUES ${rows.join(", ")})`;
}

export async function clearSimulated(db: Db, tag: string): Promise<void> {
  const like = `${tag}-%`;
  await db.$executeRawUnsafe(
    `DELETE FROM "Upload" WHERE "consultationId" IN (SELECT id FROM "Consultation" WHERE number LIKE $1)`,
    like,
  );
  await db.$executeRawUnsafe(`DELETE FROM "Consultation" WHERE number LIKE $1`, like);
  await db.$executeRawUnsafe(`DELETE FROM "TrainingSession" WHERE number LIKE $1`, like);
}

export async function simulateYear(db: Db, o: SimulateOptions): Promise<void> {
  if (!/^[A-Za-z0-9]+$/.test(o.tag)) throw new Error("tag: letters and digits only");
  const T = `'${o.tag}-${o.year}'`;
  await db.$executeRawUnsafe(
    `DELETE FROM "Upload" WHERE "consultationId" IN (SELECT id FROM "Consultation" WHERE number LIKE ${T} || '-%')`,
  );
  await db.$executeRawUnsafe(`DELETE FROM "Consultation" WHERE number LIKE ${T} || '-%'`);
  await db.$executeRawUnsafe(`DELETE FROM "TrainingSession" WHERE number LIKE ${T} || '-%'`);

  // Consultations: requested by doctors of county and township institutions, answered by city and province hospitals.
  await db.$executeRawUnsafe(`
    WITH ${cumCte()},
    doctors AS (
      SELECT row_number() OVER (ORDER BY u.id) AS rn, u.id, u."institutionId"
        FROM "User" u JOIN "Institution" i ON i.id = u."institutionId"
       WHERE i.tier IN ('COUNTY', 'TOWNSHIP') AND 'DOCTOR' = ANY(u.roles)),
    nd AS (SELECT count(*) AS n FROM doctors),
    targets AS (SELECT row_number() OVER (ORDER BY id) AS rn, id FROM "Institution" WHERE tier IN ('PROVINCE', 'CITY')),
    nt AS (SELECT count(*) AS n FROM targets),
    specs AS (SELECT row_number() OVER (ORDER BY code) AS rn, code FROM "Specialty"),
    ns AS (SELECT greatest(count(*), 1) AS n FROM specs),
    g AS (
      SELECT g, ${monthOf("g", String(o.consultations))} AS m, ${frac(`${T} || g || 'u'`)} AS fu, ${frac(`${T} || g || 's'`)} AS fs,
             ${frac(`${T} || g || 'a'`)} AS fa, ${frac(`${T} || g || 'r'`)} AS fr, ${frac(`${T} || g || 't'`)} AS ft
        FROM generate_series(1, ${o.consultations}) AS g),
    rows AS (
      SELECT g.*, ${inMonth(o.year, "g.m", frac(`${T} || g.g || 'd'`))} AS submitted,
             CASE WHEN g.fu < 0.70 THEN 'ROUTINE' WHEN g.fu < 0.95 THEN 'URGENT' ELSE 'EMERGENCY' END AS urgency,
             CASE WHEN g.fs < 0.60 THEN 'CLOSED' WHEN g.fs < 0.80 THEN 'REPORTED' WHEN g.fs < 0.87 THEN 'SCHEDULED'
                  WHEN g.fs < 0.92 THEN 'ACCEPTED' WHEN g.fs < 0.96 THEN 'CANCELLED' ELSE 'RETURNED' END AS status
        FROM g)
    INSERT INTO "Consultation" (id, number, status, urgency, kind, "requestingInstitutionId", "requestingDoctorId",
        "patientName", "patientSex", "patientBirthDate", "specialtyCode", "targetInstitutionId",
        "submittedAt", "acceptedAt", "reportedAt", "closedAt", "slaDueAt", overdue, "createdAt", "updatedAt")
    SELECT gen_random_uuid(), ${T} || '-' || lpad(r.g::text, 7, '0'), r.status::"ConsultationStatus", r.urgency::"Urgency",
           (ARRAY['SINGLE_SPECIALIST','SINGLE_SPECIALIST','SINGLE_SPECIALIST','MULTIDISCIPLINARY','IMAGING_READING','IMAGING_READING','ECG_READING','PATHOLOGY_READING'])[1 + (r.g % 8)]::"ConsultationKind",
           d."institutionId", d.id, '模拟患者' || r.g, (CASE WHEN r.g % 2 = 0 THEN 'MALE' ELSE 'FEMALE' END)::"Sex",
           make_date(1940 + (r.g % 60), 1 + (r.g % 12), 1 + (r.g % 28)),
           s.code, t.id,
           r.submitted,
           CASE WHEN r.status IN ('CLOSED','REPORTED','SCHEDULED','ACCEPTED') THEN r.submitted + (CASE r.urgency
                WHEN 'EMERGENCY' THEN 5 + r.fa * 40 WHEN 'URGENT' THEN 60 + r.fa * 1500 ELSE 120 + r.fa * 4800 END) * interval '1 minute' END,
           CASE WHEN r.status IN ('CLOSED','REPORTED') THEN r.submitted + (CASE r.urgency
                WHEN 'EMERGENCY' THEN 60 + r.fr * 240 WHEN 'URGENT' THEN 600 + r.fr * 2400 ELSE 1440 + r.fr * 7200 END) * interval '1 minute' END,
           CASE WHEN r.status = 'CLOSED' THEN r.submitted + interval '12 days' END,
           r.submitted + (CASE r.urgency WHEN 'EMERGENCY' THEN 30 WHEN 'URGENT' THEN 1440 ELSE 4320 END) * interval '1 minute',
           false, r.submitted, r.submitted
      FROM rows r CROSS JOIN nd CROSS JOIN nt CROSS JOIN ns
      JOIN doctors d ON d.rn = 1 + (abs(hashtext(${T} || r.g || 'doc')) % nd.n)
      JOIN targets t ON t.rn = 1 + (abs(hashtext(${T} || r.g || 'tgt')) % nt.n)
      LEFT JOIN specs s ON s.rn = 1 + (abs(hashtext(${T} || r.g || 'spec')) % ns.n)`);
  // SLA breaches: accepted after the due time.
  await db.$executeRawUnsafe(
    `UPDATE "Consultation" SET overdue = true WHERE number LIKE ${T} || '-%' AND "acceptedAt" > "slaDueAt"`,
  );

  // Training sessions hosted by province and city hospitals; attendance by staff across the province.
  await db.$executeRawUnsafe(`
    WITH ${cumCte()},
    hosts AS (SELECT row_number() OVER (ORDER BY id) AS rn, id FROM "Institution" WHERE tier IN ('PROVINCE', 'CITY')),
    nh AS (SELECT count(*) AS n FROM hosts),
    g AS (SELECT g, ${monthOf("g", String(o.trainingSessions))} AS m FROM generate_series(1, ${o.trainingSessions}) AS g)
    INSERT INTO "TrainingSession" (id, number, title, "hostInstitutionId", "createdById", "startsAt", "endsAt", status, "startedAt", "endedAt", "createdAt", "updatedAt")
    SELECT gen_random_uuid(), ${T} || '-' || lpad(g.g::text, 7, '0'), '远程培训（模拟）第' || g.g || '期', h.id, h.id,
           ${inMonth(o.year, "g.m", frac(`${T} || g.g || 'ts'`))},
           ${inMonth(o.year, "g.m", frac(`${T} || g.g || 'ts'`))} + interval '90 minutes',
           'ENDED', ${inMonth(o.year, "g.m", frac(`${T} || g.g || 'ts'`))}, ${inMonth(o.year, "g.m", frac(`${T} || g.g || 'ts'`))} + interval '90 minutes', now(), now()
      FROM g CROSS JOIN nh JOIN hosts h ON true WHERE h.rn = 1 + (abs(hashtext(${T} || g.g || 'host')) % nh.n)`);
  const per = Math.floor(o.attendances / Math.max(o.trainingSessions, 1));
  const extra = o.attendances - per * o.trainingSessions;
  await db.$executeRawUnsafe(`
    WITH people AS (SELECT row_number() OVER (ORDER BY id) - 1 AS rn, id, "institutionId" FROM "User"),
    np AS (SELECT count(*) AS n FROM people),
    sessions AS (SELECT row_number() OVER (ORDER BY number) AS rn, id, "startsAt" FROM "TrainingSession" WHERE number LIKE ${T} || '-%')
    INSERT INTO "TrainingAttendance" ("sessionId", "userId", "institutionId", "firstJoinAt", "lastLeaveAt", minutes, "presentSeconds", intervals, joins, attended, "updatedAt")
    SELECT s.id, p.id, p."institutionId", s."startsAt", s."startsAt" + interval '80 minutes', 60 + (j % 30), (60 + (j % 30)) * 60, '[]'::jsonb, 1, true, now()
      FROM sessions s CROSS JOIN np
      CROSS JOIN LATERAL generate_series(1, ${per} + CASE WHEN s.rn <= ${extra} THEN 1 ELSE 0 END) AS j
      JOIN people p ON p.rn = (s.rn * 7919 + j) % np.n
     -- In the order a live system writes them (each row when its person joins the session): a session's rows
     -- together, sessions in time order. Without it the join's order scatters every session over the whole table.
     ORDER BY s."startsAt", s.id, j`);

  // Imaging and case records, uploaded into the year's consultations within the hour after submission.
  const upl = (count: number, category: string, kinds: string[]) => `
    WITH cons AS (SELECT row_number() OVER (ORDER BY number) AS rn, id, "requestingInstitutionId", "requestingDoctorId", "submittedAt"
                    FROM "Consultation" WHERE number LIKE ${T} || '-%'),
    nc AS (SELECT count(*) AS n FROM cons)
    INSERT INTO "Upload" (id, "consultationId", "uploaderId", "uploaderInstitutionId", "originalName", kind, category, mime, "sizeBytes", sha256, status, "createdAt", "processedAt")
    SELECT gen_random_uuid(), c.id, c."requestingDoctorId", c."requestingInstitutionId", '${category === "IMAGING" ? "影像" : "病例"}' || g || '.dat',
           k.kind::"UploadKind", '${category}'::"UploadCategory",
           CASE k.kind WHEN 'DICOM' THEN 'application/dicom' WHEN 'JPEG' THEN 'image/jpeg' WHEN 'PNG' THEN 'image/png' ELSE 'application/pdf' END,
           100000 + (g % 900000), md5(${T} || '${category}' || g) || md5('${category}' || g || ${T}), 'READY',
           c."submittedAt" + (g % 60) * interval '1 minute', c."submittedAt" + (g % 60 + 1) * interval '1 minute'
      FROM generate_series(1, ${count}) AS g CROSS JOIN nc
      JOIN cons c ON c.rn = 1 + ((g - 1) * nc.n) / ${Math.max(count, 1)}
      CROSS JOIN LATERAL (SELECT (ARRAY[${kinds.map((k) => `'${k}'`).join(",")}])[1 + (g % ${kinds.length})] AS kind) k`;
  if (o.imaging) await db.$executeRawUnsafe(upl(o.imaging, "IMAGING", ["DICOM", "DICOM", "DICOM", "JPEG"]));
  if (o.caseRecords) await db.$executeRawUnsafe(upl(o.caseRecords, "CASE", ["PDF"]));
}
