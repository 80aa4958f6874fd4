// The consultation report as a PDF with Chinese text. The CJK font comes from Debian's fonts-wqy-microhei
// (or fonts-noto-cjk), installed by scripts/install-system-deps.sh, and is embedded (subset) in the file.
import { existsSync } from "node:fs";
import PDFDocument from "pdfkit";
import { consultationKindLabel, consultationStatusLabel, urgencyLabel } from "@yilian/contract";
import type { ConsultationDetail } from "@yilian/contract";
import { formatLocal } from "./time";

const FONTS: [string, string | undefined][] = [
  ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYiMicroHei"],
  ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular"],
  ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYiZenHei"],
];

export function cjkFont(): [string, string | undefined] {
  const f = FONTS.find(([p]) => existsSync(p));
  if (!f) throw new Error("no CJK font installed: apt-get install fonts-wqy-microhei (scripts/install-system-deps.sh)");
  return f;
}

const sexLabel = { MALE: "男", FEMALE: "女", UNKNOWN: "未知" } as const;
const adviceLabel = { UP: "建议上转", DOWN: "建议下转", NONE: "无需转诊" } as const;

export function reportPdf(c: ConsultationDetail, specialtyName: string | null): Promise<Buffer> {
  const [path, family] = cjkFont();
  const doc = new PDFDocument({
    size: "A4",
    margin: 56,
    info: { Title: `远程会诊报告 ${c.number}`, Author: "Yilian", Subject: "远程会诊报告" },
  });
  doc.registerFont("cjk", path, family);
  const chunks: Buffer[] = [];
  doc.on("data", (d: Buffer) => chunks.push(d));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const r = c.report!;
  doc.font("cjk").fontSize(18).text("远程会诊报告", { align: "center" });
  doc
    .moveDown(0.3)
    .fontSize(10)
    .fillColor("#555")
    .text(
      `会诊编号 ${c.number}　状态 ${consultationStatusLabel[c.status]}　${urgencyLabel[c.urgency]}　${consultationKindLabel[c.kind]}`,
      { align: "center" },
    );
  doc.moveDown().fillColor("#000").fontSize(11);
  const line = (k: string, v: string | null | undefined) => doc.text(`${k}：${v || "—"}`);
  line("患者", `${c.patient.name}　${sexLabel[c.patient.sex]}　出生日期 ${c.patient.birthDate}`);
  line("身份证号", c.patient.idNumberMasked);
  line("病历号", c.patient.recordNumber);
  line("申请机构", `${c.requestingInstitution?.name ?? ""}　申请医生 ${c.requestingDoctor.name}`);
  line("受邀机构", `${c.targetInstitution?.name ?? ""}${specialtyName ? `　${specialtyName}` : ""}`);
  line("会诊时间", c.scheduledStartLocal || formatLocal(c.startedAt ? new Date(c.startedAt) : null));
  line(
    "会诊专家",
    c.participants
      .filter((p) => p.role === "SPECIALIST")
      .map((p) => p.name)
      .join("、"),
  );
  const section = (title: string, body: string) => {
    doc.moveDown(0.8).fontSize(13).text(title);
    doc
      .moveDown(0.2)
      .fontSize(11)
      .text(body || "—", { align: "left", lineGap: 2 });
  };
  section("主诉", c.chiefComplaint);
  section("初步诊断", c.preliminaryDiagnosis);
  section("会诊目的", c.question);
  section("检查所见", r.findings);
  section("会诊意见", r.impression);
  section("诊疗建议", r.recommendations);
  section("转诊建议", adviceLabel[r.referralAdvice]);
  section("随访建议", r.followUp);
  if (r.amendments.length) {
    doc.moveDown(0.8).fontSize(13).text("更正记录");
    for (const a of r.amendments) doc.fontSize(10).text(`${formatLocal(new Date(a.at))}　原因：${a.reason}`);
  }
  doc
    .moveDown(1.2)
    .fontSize(11)
    .text(
      `签发专家：${r.signedBy?.name ?? "（未签发）"}　签发时间：${r.signedAt ? formatLocal(new Date(r.signedAt)) : "—"}（北京时间）`,
    );
  doc
    .moveDown(0.5)
    .fontSize(9)
    .fillColor("#555")
    .text("本报告为远程会诊意见，仅供申请医生参考，诊疗决定由申请医生根据患者实际情况作出。");
  doc.end();
  return done;
}
