// One consultation: case, attachments, timeline of transitions, report (editor, sign, amend, PDF download),
// the decision taken and a referral — with the actions the caller's role allows in the current status. The sections
// are their own files (FilesSection, ReportSection, DecisionSection, ReferralSection).
// Live: every event about this consultation reloads it.
import { useState } from "react";
import { Link, useParams } from "react-router";
import { Button, Card, Col, Descriptions, Row, Space, Tabs, Timeline, Typography } from "antd";
import { VideoCameraOutlined } from "@ant-design/icons";
import { consultationKindLabel, consultationStatusLabel, type ConsultationKind } from "@yilian/contract";
import { api } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { useConsultationEvents } from "../../lib/realtime";
import { useSession, useUser } from "../../lib/session";
import { useSpecialties } from "../../lib/refdata";
import { countdown, fmt } from "../../lib/dayjs";
import { LoadError } from "../../components/ErrorAlert";
import { StatusTag, TierTag, UrgencyTag } from "../../components/labels";
import { FilesSection } from "./FilesSection";
import { RecordingList } from "../../components/RecordingList";
import { AcceptDialog, BookDialog, ReasonDialog, type ReasonAction } from "../../components/ConsultationActions";
import { t } from "../../i18n";
import { useAction } from "../../lib/useAction";
import { ReportSection } from "./ReportSection";
import { DecisionSection } from "./DecisionSection";
import { ReferralSection } from "./ReferralSection";

const sexLabel = { MALE: "男", FEMALE: "女", UNKNOWN: "未知" } as const;
const READINGS: string[] = ["IMAGING_READING", "ECG_READING", "PATHOLOGY_READING"];

function age(birthDate: string): string {
  const b = new Date(birthDate);
  const now = new Date();
  let y = now.getFullYear() - b.getFullYear();
  if (now.getMonth() < b.getMonth() || (now.getMonth() === b.getMonth() && now.getDate() < b.getDate())) y--;
  return `${y} 岁`;
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
  const roomOpen =
    (isRequester || isSpecialist) &&
    (s === "SCHEDULED" || s === "IN_PROGRESS" || (s === "ACCEPTED" && c.urgency === "EMERGENCY"));
  // The server's rule (uploads/access.ts): the people working on it, while it is open.
  const canUpload =
    (isRequester || c.participants.some((p) => p.userId === user.id) || isCoordinator) &&
    !["CLOSED", "CANCELLED", "REJECTED", "EXPIRED"].includes(s);
  const canWriteReport =
    isSpecialist && (s === "IN_PROGRESS" || (READINGS.includes(c.kind) && (s === "ACCEPTED" || s === "SCHEDULED")));
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
        <Button
          type="primary"
          loading={busy === "submit"}
          onClick={() => void run("submit", () => api.submitConsultation(c.id), t("cons.submitted")).then(reload)}
        >
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
          <Descriptions.Item label="会诊类型">
            {consultationKindLabel[c.kind as ConsultationKind] ?? c.kind}
          </Descriptions.Item>
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
          <Descriptions.Item label="会诊专家">
            {c.participants
              .filter((p) => p.role === "SPECIALIST")
              .map((p) => p.name)
              .join("、") || "—"}
          </Descriptions.Item>
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
                      <Descriptions.Item label="主诉" span={2}>
                        {c.chiefComplaint || "—"}
                      </Descriptions.Item>
                      <Descriptions.Item label="病史" span={2}>
                        {c.history || "—"}
                      </Descriptions.Item>
                      <Descriptions.Item label="检查" span={2}>
                        {c.examinations || "—"}
                      </Descriptions.Item>
                      <Descriptions.Item label="初步诊断" span={2}>
                        {c.preliminaryDiagnosis || "—"}
                      </Descriptions.Item>
                      <Descriptions.Item label="会诊目的" span={2}>
                        {c.question || "—"}
                      </Descriptions.Item>
                    </Descriptions>
                  ),
                },
                {
                  key: "files",
                  label: `影像与病例资料（${uploads.data?.items.length ?? 0}）`,
                  children: (
                    <FilesSection
                      consultationId={c.id}
                      items={uploads.data?.items ?? []}
                      canUpload={canUpload}
                      canImport={canUpload && hasRole("DOCTOR")}
                      onUploaded={reloadUploads}
                    />
                  ),
                },
                {
                  key: "timeline",
                  label: t("cons.timeline"),
                  children: (
                    <Timeline
                      data-testid="timeline"
                      items={c.timeline.map((e) => ({
                        color:
                          e.to === "REJECTED" || e.to === "CANCELLED" ? "red" : e.to === "RETURNED" ? "orange" : "blue",
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
              <ReportSection
                c={c}
                canEdit={canWriteReport}
                canAmend={isSpecialist && (s === "REPORTED" || s === "CLOSED")}
                reload={reload}
              />
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
      <ReasonDialog
        target={dialog === "return" || dialog === "reject" || dialog === "cancel" ? target : null}
        action={dialog === "return" || dialog === "reject" || dialog === "cancel" ? dialog : "return"}
        onClose={closeDialog}
      />
      {isSpecialist && (
        <BookDialog consultation={c} specialistId={user.id} open={dialog === "book"} onClose={closeDialog} />
      )}
    </Space>
  );
}
