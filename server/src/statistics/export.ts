// CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it correctly) and XLSX exports with Chinese headers.
import ExcelJS from "exceljs";

export type Table = Record<string, string | number>[];

const HEADERS = ["月份", "统计范围", "范围名称", "指标", "维度", "分类", "数值"];

function csvCell(v: string | number): string {
  const s = String(v);
  // Also neutralise spreadsheet formulas (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === "string" ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: Table): string {
  const lines = [HEADERS.join(",")];
  for (const r of rows) lines.push(HEADERS.map((h) => csvCell(r[h] ?? "")).join(","));
  return "\uFEFF" + lines.join("\r\n") + "\r\n";
}

export async function toXlsx(rows: Table, sheetName = "月度统计"): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "医联 Yilian";
  wb.created = new Date();
  const ws = wb.addWorksheet(sheetName);
  ws.columns = HEADERS.map((h) => ({ header: h, key: h, width: h === "范围名称" || h === "指标" ? 32 : 14 }));
  ws.getRow(1).font = { bold: true };
  ws.views = [{ state: "frozen", ySplit: 1 }];
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
