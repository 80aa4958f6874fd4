// Attendance reports (参训统计): one session, per institution, as JSON, CSV (UTF-8 with BOM, so Excel on
// Windows reads the Chinese headers) or XLSX. Scope: a session's managers see every institution; institution,
// region and province admins see the institutions they administer.
import ExcelJS from "exceljs";
import type { Prisma } from "@prisma/client";
import { AppError, ErrorCode, type AttendanceRow, type InstitutionMonthRow } from "@yilian/contract";
import type { Db } from "../db";
import { audit } from "../audit/audit";
import { administeredInstitutions, notFound } from "../authz/policy";
import type { AuthUser } from "../authz/principal";
import { audienceInstitutionIds } from "./audience";
import { loadVisibleSession } from "./session-access";
import { formatLocal, localMonthRange } from "./util";

export interface ReportFile {
  filename: string;
  contentType: string;
  body: Buffer;
}

async function reportScope(db: Db, user: AuthUser, sessionId: string): Promise<Prisma.InstitutionWhereInput | null> {
  let manages = false;
  try {
    manages = (await loadVisibleSession(db, user, sessionId)).manages;
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== ErrorCode.NOT_FOUND) throw e;
  }
  if (manages) return null;
  const scope = administeredInstitutions(user);
  if (scope === "none") {
    // Trainees read their own attendance elsewhere; the report is for administrators.
    throw notFound("培训");
  }
  if (scope === null) return null;
  // An admin sees the session's report only if it concerns at least one institution they administer.
  const audience = await audienceInstitutionIds(db, sessionId);
  const exists = await db.trainingSession.count({ where: { id: sessionId } });
  if (
    !exists ||
    !audience.length ||
    !(await db.institution.count({ where: { AND: [scope, { id: { in: audience } }] } }))
  )
    throw notFound("培训");
  return scope;
}

export async function sessionAttendance(
  db: Db,
  user: AuthUser,
  sessionId: string,
  institutionId?: string,
): Promise<{ title: string; number: string; rows: AttendanceRow[] }> {
  const scope = await reportScope(db, user, sessionId);
  const session = await db.trainingSession.findUniqueOrThrow({
    where: { id: sessionId },
    include: { lecturers: true },
  });
  const institutionWhere: Prisma.InstitutionWhereInput = {
    AND: [scope ?? {}, institutionId ? { id: institutionId } : {}],
  };
  const allowed =
    scope || institutionId
      ? new Set((await db.institution.findMany({ where: institutionWhere, select: { id: true } })).map((i) => i.id))
      : null;
  const inScope = (id: string) => !allowed || allowed.has(id);
  const lecturerIds = new Set(session.lecturers.map((l) => l.userId));

  const [regs, atts] = await Promise.all([
    db.trainingRegistration.findMany({ where: { sessionId, status: "REGISTERED" } }),
    db.trainingAttendance.findMany({ where: { sessionId } }),
  ]);
  const people = new Map<string, { institutionId: string; registered: boolean; att?: (typeof atts)[number] }>();
  for (const r of regs)
    if (inScope(r.institutionId)) people.set(r.userId, { institutionId: r.institutionId, registered: true });
  for (const a of atts) {
    if (!inScope(a.institutionId) || lecturerIds.has(a.userId)) continue;
    const p = people.get(a.userId);
    people.set(a.userId, { institutionId: a.institutionId, registered: p?.registered ?? false, att: a });
  }
  const users = await db.user.findMany({
    where: { id: { in: [...people.keys()] } },
    select: { id: true, username: true, displayName: true, department: { select: { name: true } } },
  });
  const institutions = await db.institution.findMany({
    where: { id: { in: [...new Set([...people.values()].map((p) => p.institutionId))] } },
    select: { id: true, name: true },
  });
  const userById = new Map(users.map((u) => [u.id, u]));
  const instById = new Map(institutions.map((i) => [i.id, i.name]));
  const rows: AttendanceRow[] = [...people.entries()].map(([userId, p]) => {
    const u = userById.get(userId);
    return {
      userId,
      displayName: u?.displayName ?? "",
      username: u?.username ?? "",
      institution: { id: p.institutionId, name: instById.get(p.institutionId) ?? "" },
      department: u?.department?.name ?? null,
      registered: p.registered,
      firstJoinAt: p.att?.firstJoinAt.toISOString() ?? null,
      lastLeaveAt: p.att?.lastLeaveAt?.toISOString() ?? null,
      minutes: p.att?.minutes ?? 0,
      joins: p.att?.joins ?? 0,
      attended: p.att?.attended ?? false,
      intervals: (p.att?.intervals as AttendanceRow["intervals"] | undefined) ?? [],
    };
  });
  rows.sort(
    (a, b) =>
      a.institution.name.localeCompare(b.institution.name, "zh-CN") ||
      a.displayName.localeCompare(b.displayName, "zh-CN"),
  );
  await audit(db, {
    action: "training.attendance.read",
    entityType: "TrainingSession",
    entityId: sessionId,
    outcome: "SUCCESS",
    detail: { rows: rows.length, institutionId: institutionId ?? null },
  });
  return { title: session.title, number: session.number, rows };
}

const SESSION_COLUMNS: { header: string; width: number; value: (r: AttendanceRow, i: number) => string | number }[] = [
  { header: "序号", width: 6, value: (_r, i) => i + 1 },
  { header: "姓名", width: 12, value: (r) => r.displayName },
  { header: "用户名", width: 20, value: (r) => r.username },
  { header: "所在机构", width: 30, value: (r) => r.institution.name },
  { header: "科室", width: 14, value: (r) => r.department ?? "" },
  { header: "是否报名", width: 9, value: (r) => (r.registered ? "是" : "否") },
  { header: "首次进入时间", width: 18, value: (r) => formatLocal(r.firstJoinAt ? new Date(r.firstJoinAt) : null) },
  { header: "最后离开时间", width: 18, value: (r) => formatLocal(r.lastLeaveAt ? new Date(r.lastLeaveAt) : null) },
  { header: "在线时长(分钟)", width: 14, value: (r) => r.minutes },
  { header: "进入次数", width: 9, value: (r) => r.joins },
  { header: "是否出勤", width: 9, value: (r) => (r.attended ? "是" : "否") },
];

export function toCsv(headers: string[], rows: (string | number)[][]): Buffer {
  const cell = (v: string | number) => {
    const s = String(v);
    // Quote always; neutralise formula injection (=, +, -, @) for spreadsheet users.
    const safe = /^[=+\-@\t\r]/.test(s) && typeof v === "string" ? `'${s}` : s;
    return `"${safe.replace(/"/g, '""')}"`;
  };
  const lines = [headers, ...rows].map((r) => r.map(cell).join(","));
  return Buffer.from("\uFEFF" + lines.join("\r\n") + "\r\n", "utf8");
}

export async function toXlsx(
  sheetName: string,
  columns: { header: string; width: number }[],
  rows: (string | number)[][],
): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "Yilian 医联";
  wb.created = new Date();
  const ws = wb.addWorksheet(sheetName.slice(0, 31).replace(/[\\/?*[\]:]/g, " "));
  ws.columns = columns.map((c) => ({ header: c.header, width: c.width }));
  ws.getRow(1).font = { bold: true };
  ws.views = [{ state: "frozen", ySplit: 1 }];
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export async function sessionAttendanceFile(
  db: Db,
  user: AuthUser,
  sessionId: string,
  institutionId: string | undefined,
  format: "csv" | "xlsx",
): Promise<ReportFile> {
  const { number, rows } = await sessionAttendance(db, user, sessionId, institutionId);
  const table = rows.map((r, i) => SESSION_COLUMNS.map((c) => c.value(r, i)));
  const base = `参训统计-${number}`;
  if (format === "csv")
    return {
      filename: `${base}.csv`,
      contentType: "text/csv; charset=utf-8",
      body: toCsv(
        SESSION_COLUMNS.map((c) => c.header),
        table,
      ),
    };
  return {
    filename: `${base}.xlsx`,
    contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    body: await toXlsx("参训统计", SESSION_COLUMNS, table),
  };
}

// ------------------------------------------------------------------------------------------ per institution and month

export async function institutionMonthAttendance(db: Db, user: AuthUser, institutionId: string, month: string) {
  const scope = administeredInstitutions(user);
  if (scope === "none") throw notFound("机构");
  const inst = await db.institution.findFirst({
    where: { AND: [scope ?? {}, { id: institutionId }] },
    select: { id: true, name: true },
  });
  if (!inst) throw notFound("机构");
  const { from, to } = localMonthRange(month);
  const atts = await db.trainingAttendance.findMany({
    where: { institutionId, session: { startsAt: { gte: from, lt: to }, status: { not: "CANCELLED" } } },
    include: { session: { select: { number: true, title: true, startsAt: true } } },
  });
  const users = await db.user.findMany({
    where: { id: { in: [...new Set(atts.map((a) => a.userId))] } },
    select: { id: true, displayName: true, username: true },
  });
  const byId = new Map(users.map((u) => [u.id, u]));
  const rows: InstitutionMonthRow[] = atts
    .map((a) => ({
      sessionNumber: a.session.number,
      sessionTitle: a.session.title,
      startsAt: a.session.startsAt.toISOString(),
      displayName: byId.get(a.userId)?.displayName ?? "",
      username: byId.get(a.userId)?.username ?? "",
      minutes: a.minutes,
      attended: a.attended,
    }))
    .sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.displayName.localeCompare(b.displayName, "zh-CN"));
  const summary = {
    sessions: new Set(rows.map((r) => r.sessionNumber)).size,
    attendances: rows.filter((r) => r.attended).length,
    personMinutes: rows.reduce((s, r) => s + r.minutes, 0),
  };
  await audit(db, {
    action: "training.attendance.institution",
    entityType: "Institution",
    entityId: institutionId,
    outcome: "SUCCESS",
    detail: { month },
  });
  return { institution: inst, month, summary, rows };
}

const MONTH_COLUMNS: {
  header: string;
  width: number;
  value: (r: InstitutionMonthRow, i: number) => string | number;
}[] = [
  { header: "序号", width: 6, value: (_r, i) => i + 1 },
  { header: "培训编号", width: 18, value: (r) => r.sessionNumber },
  { header: "培训主题", width: 30, value: (r) => r.sessionTitle },
  { header: "开始时间", width: 18, value: (r) => formatLocal(new Date(r.startsAt)) },
  { header: "姓名", width: 12, value: (r) => r.displayName },
  { header: "用户名", width: 20, value: (r) => r.username },
  { header: "在线时长(分钟)", width: 14, value: (r) => r.minutes },
  { header: "是否出勤", width: 9, value: (r) => (r.attended ? "是" : "否") },
];

export async function institutionMonthFile(
  db: Db,
  user: AuthUser,
  institutionId: string,
  month: string,
  format: "csv" | "xlsx",
): Promise<ReportFile> {
  const { institution, rows } = await institutionMonthAttendance(db, user, institutionId, month);
  const table = rows.map((r, i) => MONTH_COLUMNS.map((c) => c.value(r, i)));
  const base = `参训统计-${institution.name}-${month}`;
  if (format === "csv")
    return {
      filename: `${base}.csv`,
      contentType: "text/csv; charset=utf-8",
      body: toCsv(
        MONTH_COLUMNS.map((c) => c.header),
        table,
      ),
    };
  return {
    filename: `${base}.xlsx`,
    contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    body: await toXlsx(`${month} 参训统计`, MONTH_COLUMNS, table),
  };
}
