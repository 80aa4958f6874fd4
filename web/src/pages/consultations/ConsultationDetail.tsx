// One consultation: case, attachments, timeline of transitions, report (editor, sign, amend, PDF download),
// the decision taken and a referral — with the actions the caller's role allows in the current status.
// Live: every event about this consultation reloads it.
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { App, Button, Card, Col, Descriptions, Empty, Form, Input, Radio, Row, Select, Space, Tabs, Timeline, Typography } from "antd";
import { DownloadOutlined, VideoCameraOutlined } from "@ant-design/icons";
import { consultationKindLabel, consultationStatusLabel, type ConsultationKind, type ReportInput } from "@yilian/contract";
import type { ConsultationDetail as C } from "@yilian/client-sdk";
import { api, saveFile } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { useConsultationEvents } from "../../lib/realtime";
import { useSession, useUser } from "../../lib/session";
import { useSpecialties } from "../../lib/refdata";
import { countdown, fmt } from "../../lib/dayjs";
import { ErrorAlert, LoadError } from "../../components/ErrorAlert";
import { StatusTag, TierTag, UrgencyTag } from "../../components/labels";
import { FilesSection } from "./FilesSection";
import { RecordingList } from "../../components/RecordingList";
import { AcceptDialog, BookDialog, ReasonDialog, type ReasonAction } from "../../components/ConsultationActions";
import { t } from "../../i18n";

const sexLabel = { MALE: "男", FEMALE: "女", UNKNOWN: "未知" } as const;
const referralAdviceLabel = { UP: "建议上转", DOWN: "建议下转", NONE: "无需转诊" } as const;
const outcomeLabel: Record<string, string> = { FOLLOWED: "采纳会诊意见", PARTIALLY_FOLLOWED: "部分采纳", NOT_FOLLOWED: "未采纳" };
const READINGS: string[] = ["IMAGING_READING", "ECG_READING", "PATHOLOGY_READING"];

function age(birthDate: string): string {
  const b = new Date(birthDate);
  const now = new Date();
  let y = now.getFullYear() - b.getFullYear();
  if (now.getMonth() < b.getMonth() || (now.getMonth() === b.getMonth() && now.getDate() < b.getDate())) y--;
  return `${y} 岁`;
}

/** Runs an action with a busy flag; failures become a message with what to do. */
function useAction() {
  const { message } = App.useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const run = async (key: string, fn: () => Promise<unknown>, ok?: string) => {
    setBusy(key);
    try {
      await fn();
      if (ok) message.success(ok);
      return true;
    } catch (e) {
      const { errorText } = await import("../../lib/errors");
      message.error({ content: errorText(e), duration: 6 });
      return false;
    } finally {
      setBusy(null);
    }
  };
  return { busy, run };
}

export function ReportSection({ c, canEdit, canAmend, reload }: { c: C; canEdit: boolean; canAmend: boolean; reload: () => void }) {
  const [form] = Form.useForm<ReportInput & { reason?: string }>();
  const [amending, setAmending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { busy, run } = useAction();
  const r = c.report;
  useEffect(() => {
    form.setFieldsValue({
      findings: r?.findings ?? "",
      impression: r?.impression ?? "",
      recommendations: r?.recommendations ?? "",
      referralAdvice: r?.referralAdvice ?? "NONE",
      followUp: r?.followUp ?? "",
    });
  }, [r, form]);
  const body = (): ReportInput => {
    const v = form.getFieldsValue();
    return { findings: v.findings ?? "", impression: v.impression ?? "", recommendations: v.recommendations ?? "", referralAdvice: v.referralAdvice ?? "NONE", followUp: v.followUp ?? "" };
  };
  const signed = r?.status === "SIGNED" || !!r?.signedAt;
  const editing = (canEdit && !signed) || amending;

  const download = () =>
    run("pdf", async () => {
      const f = await api.reportPdf(c.id);
      saveFile(f.blob, f.filename ?? `会诊报告_${c.number}.pdf`);
    });

  if (!editing) {
    if (!r || !signed) return <Empty description={t("cons.noReport")} image={Empty.PRESENTED_IMAGE_SIMPLE} />;
    return (
      <Space orientation="vertical" style={{ width: "100%" }}>
        <Descriptions column={1} size="small" bordered styles={{ label: { width: 96, whiteSpace: "nowrap" } }}>
          <Descriptions.Item label="检查所见">{r.findings || "—"}</Descriptions.Item>
          <Descriptions.Item label="会诊意见">
            <Typography.Text strong data-testid="report-impression">{r.impression || "—"}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label="诊疗建议">{r.recommendations || "—"}</Descriptions.Item>
          <Descriptions.Item label="转诊建议">{r.referralAdvice ? referralAdviceLabel[r.referralAdvice] : "—"}</Descriptions.Item>
          <Descriptions.Item label="随访建议">{r.followUp || "—"}</Descriptions.Item>
          <Descriptions.Item label="签发">
            {r.signedBy?.name ?? "—"} · {fmt(r.signedAt)}
          </Descriptions.Item>
          {r.amendments.length > 0 && (
            <Descriptions.Item label="更正记录">
              {r.amendments.map((a) => (
                <div key={a.id}>
                  {fmt(a.at)}：{a.reason}
                </div>
              ))}
            </Descriptions.Item>
          )}
        </Descriptions>
        <Space>
          <Button icon={<DownloadOutlined />} onClick={() => void download()} loading={busy === "pdf"} data-testid="download-pdf">
            {busy === "pdf" ? "正在生成 PDF…" : t("cons.downloadPdf")}
          </Button>
          {canAmend && <Button onClick={() => setAmending(true)}>更正报告</Button>}
        </Space>
      </Space>
    );
  }

  const save = () => run("save", () => api.saveReport(c.id, body()), "报告草稿已保存").then((ok) => ok && reload());
  const sign = async () => {
    setError(null);
    try {
      await api.saveReport(c.id, body());
      await api.signReport(c.id);
      reload();
    } catch (e) {
      setError(e);
    }
  };
  const amend = async () => {
    const v = await form.validateFields();
    setError(null);
    try {
      await api.amendReport(c.id, { ...body(), reason: (v.reason ?? "").trim() });
      setAmending(false);
      reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Form form={form} layout="vertical" size="small">
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 8 }} />}
      <Form.Item name="findings" label="检查所见">
        <Input.TextArea rows={3} maxLength={20000} />
      </Form.Item>
      <Form.Item name="impression" label="会诊意见" required>
        <Input.TextArea rows={3} maxLength={2000} id="report-impression" />
      </Form.Item>
      <Form.Item name="recommendations" label="诊疗建议">
        <Input.TextArea rows={3} maxLength={20000} />
      </Form.Item>
      <Form.Item name="referralAdvice" label="转诊建议">
        <Radio.Group optionType="button" options={Object.entries(referralAdviceLabel).map(([value, label]) => ({ value, label }))} />
      </Form.Item>
      <Form.Item name="followUp" label="随访建议">
        <Input.TextArea rows={2} maxLength={2000} />
      </Form.Item>
      {amending ? (
        <>
          <Form.Item name="reason" label="更正原因" rules={[{ required: true, min: 2, message: "请填写更正原因" }]}>
            <Input.TextArea rows={2} maxLength={2000} />
          </Form.Item>
          <Space>
            <Button type="primary" onClick={() => void amend()}>
              提交更正
            </Button>
            <Button onClick={() => setAmending(false)}>{t("common.cancel")}</Button>
          </Space>
        </>
      ) : (
        <Space>
          <Button onClick={() => void save()} loading={busy === "save"}>
            保存草稿
          </Button>
          <Button type="primary" onClick={() => void sign()} data-testid="sign-report">
            签发报告
          </Button>
        </Space>
      )}
    </Form>
  );
}

function DecisionSection({ c, canDecide, reload }: { c: C; canDecide: boolean; reload: () => void }) {
  const [form] = Form.useForm<{ outcome: "FOLLOWED" | "PARTIALLY_FOLLOWED" | "NOT_FOLLOWED"; decision: string }>();
  const [error, setError] = useState<unknown>(null);
  if (c.decision)
    return (
      <Descriptions column={1} size="small">
        <Descriptions.Item label="结果">{outcomeLabel[c.decision.outcome] ?? c.decision.outcome}</Descriptions.Item>
        <Descriptions.Item label="处置">{c.decision.decision}</Descriptions.Item>
        <Descriptions.Item label="时间">{fmt(c.decision.at)}</Descriptions.Item>
      </Descriptions>
    );
  if (!canDecide) return <Typography.Text type="secondary">会诊报告签发后，由申请医生记录处置决定。</Typography.Text>;
  const submit = async () => {
    const v = await form.validateFields();
    setError(null);
    try {
      await api.recordDecision(c.id, { outcome: v.outcome, decision: v.decision.trim() });
      reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Form form={form} layout="vertical" size="small" initialValues={{ outcome: "FOLLOWED" }}>
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 8 }} />}
      <Form.Item name="outcome" label="是否采纳会诊意见">
        <Radio.Group options={Object.entries(outcomeLabel).map(([value, label]) => ({ value, label }))} />
      </Form.Item>
      <Form.Item name="decision" label="处置决定" rules={[{ required: true, min: 2, message: "请填写处置决定" }]}>
        <Input.TextArea rows={2} maxLength={2000} />
      </Form.Item>
      <Button type="primary" onClick={() => void submit()}>
        记录处置决定
      </Button>
    </Form>
  );
}

function ReferralSection({ c }: { c: C }) {
  const [form] = Form.useForm<{ direction: "UP" | "DOWN"; toInstitutionId: string; reason: string; clinicalSummary: string }>();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const { message } = App.useApp();
  const options = [c.targetInstitution].filter((x): x is NonNullable<typeof x> => !!x).map((i) => ({ value: i.id, label: i.name }));
  const submit = async () => {
    const v = await form.validateFields();
    setError(null);
    try {
      const r = await api.createReferral({ direction: v.direction, toInstitutionId: v.toInstitutionId, consultationId: c.id, reason: v.reason.trim(), clinicalSummary: v.clinicalSummary ?? "" });
      setDone(String(r.number ?? ""));
      message.success("转诊申请已提交，对方远程医学中心会收到通知");
    } catch (e) {
      setError(e);
    }
  };
  if (done) return <Typography.Text type="success">已提交转诊申请 {done}，等待对方受理。</Typography.Text>;
  return (
    <Form form={form} layout="vertical" size="small" initialValues={{ direction: c.report?.referralAdvice === "DOWN" ? "DOWN" : "UP", toInstitutionId: options[0]?.value }}>
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 8 }} />}
      <Space size={12} wrap>
        <Form.Item name="direction" label="方向">
          <Radio.Group optionType="button" options={[{ value: "UP", label: "上转" }, { value: "DOWN", label: "下转" }]} />
        </Form.Item>
        <Form.Item name="toInstitutionId" label="转往机构" rules={[{ required: true, message: "请选择转往机构" }]} style={{ minWidth: 220 }}>
          <Select options={options} />
        </Form.Item>
      </Space>
      <Form.Item name="reason" label="转诊原因" rules={[{ required: true, min: 2, message: "请填写转诊原因" }]}>
        <Input.TextArea rows={2} maxLength={2000} />
      </Form.Item>
      <Form.Item name="clinicalSummary" label="病情摘要">
        <Input.TextArea rows={2} maxLength={20000} />
      </Form.Item>
      <Button onClick={() => void submit()}>提交转诊申请</Button>
    </Form>
  );
}

export default function ConsultationDetail() {
  const { id = "" } = useParams();
  const user = useUser();
  const { hasRole } = useSession();
  const specialties = useSpecialties();
  const q = useAsync(() => api.consultation(id), [id]);
  const uploads = useAsync(() => api.uploads(id).catch(() => ({ items: [] })), [id]);
  const reloadUploads = () => void uploads.reload();
  const [dialog, setDialog] = useState<null | "accept" | "book" | ReasonAction>(null);
  const { busy, run } = useAction();
  useConsultationEvents((name) => {
    void q.reload();
    if (name === "consultation:attachment-added") void uploads.reload();
  }, id);

  if (q.error) return <LoadError error={q.error} onRetry={q.reload} />;
  const c = q.data;
  if (!c) return <Card loading />;

  const isRequester = c.requestingDoctor.id === user.id;
  const isSpecialist = c.participants.some((p) => p.userId === user.id && p.role === "SPECIALIST");
  const isCoordinator = hasRole("COORDINATOR") && c.targetInstitution?.id === user.institution.id;
  const s = c.status;
  const roomOpen = (isRequester || isSpecialist) && (s === "SCHEDULED" || s === "IN_PROGRESS" || (s === "ACCEPTED" && c.urgency === "EMERGENCY"));
  // The server's rule (uploads/access.ts): the people working on it, while it is open.
  const canUpload = (isRequester || c.participants.some((p) => p.userId === user.id) || isCoordinator) && !["CLOSED", "CANCELLED", "REJECTED", "EXPIRED"].includes(s);
  const canWriteReport = isSpecialist && (s === "IN_PROGRESS" || (READINGS.includes(c.kind) && (s === "ACCEPTED" || s === "SCHEDULED")));
  const sla = s === "SUBMITTED" ? countdown(c.slaDueAt) : null;
  const reload = () => void q.reload();
  const target = { id: c.id, number: c.number, specialtyCode: c.specialtyCode, patientName: c.patient.name };
  const closeDialog = (changed: boolean) => {
    setDialog(null);
    if (changed) reload();
  };

  const actions = (
    <Space wrap>
      {isRequester && (s === "DRAFT" || s === "RETURNED") && (
        <Button type="primary" loading={busy === "submit"} onClick={() => void run("submit", () => api.submitConsultation(c.id), t("cons.submitted")).then(reload)}>
          提交申请
        </Button>
      )}
      {isCoordinator && s === "SUBMITTED" && (
        <>
          <Button type="primary" onClick={() => setDialog("accept")}>
            {t("triage.accept")}
          </Button>
          <Button onClick={() => setDialog("return")}>{t("triage.return")}</Button>
          <Button danger onClick={() => setDialog("reject")}>
            {t("triage.reject")}
          </Button>
        </>
      )}
      {isSpecialist && s === "ACCEPTED" && (
        <Button type="primary" onClick={() => setDialog("book")}>
          预约会诊时间
        </Button>
      )}
      {roomOpen && (
        <Link to={`/consultations/${c.id}/room`}>
          <Button type="primary" icon={<VideoCameraOutlined />} data-testid="enter-room">
            {isSpecialist ? "进入会诊工作台" : "进入视频会诊"}
          </Button>
        </Link>
      )}
      {isRequester && ["DRAFT", "SUBMITTED", "RETURNED", "ACCEPTED", "SCHEDULED"].includes(s) && (
        <Button danger type="text" onClick={() => setDialog("cancel")}>
          撤回申请
        </Button>
      )}
    </Space>
  );

  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card
        title={
          <Space wrap>
            <span data-testid="consultation-number">{c.number}</span>
            <StatusTag status={s} />
            <UrgencyTag urgency={c.urgency} />
            {sla && <Typography.Text type={sla.overdue ? "danger" : "warning"}>{sla.text}</Typography.Text>}
          </Space>
        }
        extra={actions}
      >
        <Descriptions column={3} size="small">
          <Descriptions.Item label="会诊类型">{consultationKindLabel[c.kind as ConsultationKind] ?? c.kind}</Descriptions.Item>
          <Descriptions.Item label="专科">{specialties.name(c.specialtyCode)}</Descriptions.Item>
          <Descriptions.Item label="会诊医院">
            {c.targetInstitution ? (
              <>
                {c.targetInstitution.name} <TierTag tier={c.targetInstitution.tier} />
              </>
            ) : (
              "—"
            )}
          </Descriptions.Item>
          <Descriptions.Item label="申请机构">{c.requestingInstitution?.name ?? "—"}</Descriptions.Item>
          <Descriptions.Item label="申请医生">{c.requestingDoctor.name}</Descriptions.Item>
          <Descriptions.Item label="会诊专家">{c.participants.filter((p) => p.role === "SPECIALIST").map((p) => p.name).join("、") || "—"}</Descriptions.Item>
          <Descriptions.Item label="预约时间">{c.scheduledStart ? fmt(c.scheduledStart) : "—"}</Descriptions.Item>
          <Descriptions.Item label="提交时间">{fmt(c.submittedAt)}</Descriptions.Item>
          {c.statusReason && <Descriptions.Item label="说明">{c.statusReason}</Descriptions.Item>}
        </Descriptions>
      </Card>
      <Row gutter={16}>
        <Col span={14}>
          <Card size="small">
            <Tabs
              items={[
                {
                  key: "case",
                  label: "病情资料",
                  children: (
                    <Descriptions column={2} size="small" bordered>
                      <Descriptions.Item label="患者">{c.patient.name}</Descriptions.Item>
                      <Descriptions.Item label="性别 / 年龄">
                        {sexLabel[c.patient.sex]} / {age(c.patient.birthDate)}
                      </Descriptions.Item>
                      <Descriptions.Item label="身份证号">{c.patient.idNumberMasked ?? "—"}</Descriptions.Item>
                      <Descriptions.Item label="病历号">{c.patient.recordNumber ?? "—"}</Descriptions.Item>
                      <Descriptions.Item label="主诉" span={2}>{c.chiefComplaint || "—"}</Descriptions.Item>
                      <Descriptions.Item label="病史" span={2}>{c.history || "—"}</Descriptions.Item>
                      <Descriptions.Item label="检查" span={2}>{c.examinations || "—"}</Descriptions.Item>
                      <Descriptions.Item label="初步诊断" span={2}>{c.preliminaryDiagnosis || "—"}</Descriptions.Item>
                      <Descriptions.Item label="会诊目的" span={2}>{c.question || "—"}</Descriptions.Item>
                    </Descriptions>
                  ),
                },
                {
                  key: "files",
                  label: `影像与病例资料（${uploads.data?.items.length ?? 0}）`,
                  children: (
                    <FilesSection consultationId={c.id} items={uploads.data?.items ?? []} canUpload={canUpload} canImport={canUpload && hasRole("DOCTOR")} onUploaded={reloadUploads} />
                  ),
                },
                {
                  key: "timeline",
                  label: t("cons.timeline"),
                  children: (
                    <Timeline
                      data-testid="timeline"
                      items={c.timeline.map((e) => ({
                        color: e.to === "REJECTED" || e.to === "CANCELLED" ? "red" : e.to === "RETURNED" ? "orange" : "blue",
                        content: (
                          <>
                            <Typography.Text strong>{consultationStatusLabel[e.to] ?? e.to}</Typography.Text>
                            <Typography.Text type="secondary">
                              {" "}
                              · {fmt(e.at)} · {e.actorName ?? "系统"}
                            </Typography.Text>
                            {e.reason && <div>原因：{e.reason}</div>}
                          </>
                        ),
                      }))}
                    />
                  ),
                },
              ]}
            />
          </Card>
        </Col>
        <Col span={10}>
          <Space orientation="vertical" size={16} style={{ width: "100%" }}>
            <Card size="small" title={t("cons.report")}>
              <ReportSection c={c} canEdit={canWriteReport} canAmend={isSpecialist && (s === "REPORTED" || s === "CLOSED")} reload={reload} />
            </Card>
            <Card size="small" title={t("cons.decision")}>
              <DecisionSection c={c} canDecide={isRequester && s === "REPORTED"} reload={reload} />
            </Card>
            <RecordingList subject="CONSULTATION" subjectId={c.id} />
            {isRequester && (s === "REPORTED" || s === "CLOSED") && (
              <Card size="small" title={t("cons.referral")}>
                <ReferralSection c={c} />
              </Card>
            )}
          </Space>
        </Col>
      </Row>
      <AcceptDialog target={dialog === "accept" ? target : null} onClose={closeDialog} />
      <ReasonDialog target={dialog === "return" || dialog === "reject" || dialog === "cancel" ? target : null} action={dialog === "return" || dialog === "reject" || dialog === "cancel" ? dialog : "return"} onClose={closeDialog} />
      {isSpecialist && <BookDialog consultation={c} specialistId={user.id} open={dialog === "book"} onClose={closeDialog} />}
    </Space>
  );
}
