// Coordinator's triage queue: SUBMITTED requests for this institution, EMERGENCY first then oldest, with a live
// SLA countdown; accept and assign specialists against their availability, return or reject with a reason.
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { Badge, Button, Card, Space, Table, Typography } from "antd";
import type { ConsultationRow } from "@yilian/client-sdk";
import { consultationKindLabel, type ConsultationKind } from "@yilian/contract";
import { api } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { useConsultationEvents } from "../../lib/realtime";
import { useSpecialties } from "../../lib/refdata";
import { countdown, fmt } from "../../lib/dayjs";
import { ErrorAlert } from "../../components/ErrorAlert";
import { UrgencyTag } from "../../components/labels";
import { AcceptDialog, ReasonDialog, type ReasonAction } from "../../components/ConsultationActions";
import { t } from "../../i18n";

function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const i = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(i);
  }, [ms]);
  return now;
}

export default function Triage() {
  const [page, setPage] = useState(1);
  const list = useAsync(() => api.triageQueue({ limit: 20, offset: (page - 1) * 20 }), [page]);
  const specialties = useSpecialties();
  const now = useNow();
  const [accepting, setAccepting] = useState<ConsultationRow | null>(null);
  const [reasoning, setReasoning] = useState<{ row: ConsultationRow; action: ReasonAction } | null>(null);
  useConsultationEvents(() => void list.reload());
  const closed = (changed: boolean) => {
    setAccepting(null);
    setReasoning(null);
    if (changed) void list.reload();
  };
  return (
    <Card
      title={
        <Space>
          {t("triage.title")}
          <Badge count={list.data?.total ?? 0} showZero color="#1677ff" />
        </Space>
      }
      extra={<Button onClick={() => void list.reload()}>{t("common.refresh")}</Button>}
    >
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} style={{ marginBottom: 12 }} /> : null}
      <Table<ConsultationRow>
        rowKey="id"
        loading={list.loading && !list.data}
        dataSource={list.data?.items ?? []}
        tableLayout="fixed"
        locale={{ emptyText: "队列为空：暂无待分诊的会诊申请" }}
        pagination={{
          current: page,
          pageSize: 20,
          total: list.data?.total ?? 0,
          onChange: setPage,
          showSizeChanger: false,
          showTotal: (n) => t("common.total", { n }),
        }}
        rowClassName={(r) => (r.overdue ? "row-overdue" : "")}
        columns={[
          { title: "紧急程度", dataIndex: "urgency", width: 90, render: (v) => <UrgencyTag urgency={v} /> },
          {
            title: "会诊编号",
            dataIndex: "number",
            width: 170,
            render: (v: string, r) => <Link to={`/consultations/${r.id}`}>{v}</Link>,
          },
          { title: "患者", dataIndex: "patientName", width: 90 },
          {
            title: "类型",
            dataIndex: "kind",
            width: 100,
            render: (v: ConsultationKind) => consultationKindLabel[v] ?? v,
          },
          {
            title: "专科",
            dataIndex: "specialtyCode",
            width: 110,
            ellipsis: true,
            render: (v: string | null) => specialties.name(v),
          },
          {
            title: "提交时间",
            dataIndex: "submittedAt",
            width: 110,
            render: (v: string | null) => fmt(v, "MM-DD HH:mm"),
          },
          {
            title: "受理时限",
            width: 140,
            render: (_, r) => {
              const c = countdown(r.slaDueAt, now);
              return c ? (
                <Typography.Text
                  type={c.overdue ? "danger" : c.ms < 30 * 60_000 ? "warning" : undefined}
                  strong={c.overdue}
                  data-testid="sla"
                >
                  {c.text}
                </Typography.Text>
              ) : (
                "—"
              );
            },
          },
          {
            title: t("common.actions"),
            width: 210,
            render: (_, r) => (
              <Space size={4}>
                <Button type="primary" size="small" onClick={() => setAccepting(r)}>
                  {t("triage.accept")}
                </Button>
                <Button size="small" onClick={() => setReasoning({ row: r, action: "return" })}>
                  退回
                </Button>
                <Button size="small" danger onClick={() => setReasoning({ row: r, action: "reject" })}>
                  {t("triage.reject")}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <AcceptDialog target={accepting} onClose={closed} />
      <ReasonDialog target={reasoning?.row ?? null} action={reasoning?.action ?? "return"} onClose={closed} />
    </Card>
  );
}
