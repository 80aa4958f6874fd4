// Consultations I may see, with live status: every consultation event refreshes the list.
import { useState } from "react";
import { useNavigate, Link } from "react-router";
import { Button, Card, Segmented, Select, Space, Table, Typography } from "antd";
import { PlusOutlined } from "@ant-design/icons";
import {
  ConsultationStatus,
  consultationKindLabel,
  consultationStatusLabel,
  type ConsultationKind,
} from "@yilian/contract";
import type { ConsultationRow } from "@yilian/client-sdk";
import { api } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { useConsultationEvents } from "../../lib/realtime";
import { useSession } from "../../lib/session";
import { useSpecialties } from "../../lib/refdata";
import { ErrorAlert } from "../../components/ErrorAlert";
import { StatusTag, UrgencyTag } from "../../components/labels";
import { countdown, fmt } from "../../lib/dayjs";
import { t } from "../../i18n";

type Box = "mine" | "requested" | "assigned" | "institution";

export default function ConsultationList() {
  const { hasRole } = useSession();
  const navigate = useNavigate();
  const specialties = useSpecialties();
  const defaultBox: Box = hasRole("DOCTOR") ? "requested" : hasRole("SPECIALIST") ? "assigned" : "mine";
  const [box, setBox] = useState<Box>(defaultBox);
  const [status, setStatus] = useState<ConsultationStatus | undefined>();
  const [page, setPage] = useState(1);
  const list = useAsync(
    () => api.consultations({ box, status, limit: 15, offset: (page - 1) * 15 }),
    [box, status, page],
  );
  useConsultationEvents(() => void list.reload());

  const boxes: { value: Box; label: string }[] = [
    ...(hasRole("DOCTOR") ? [{ value: "requested" as Box, label: "我发起的" }] : []),
    ...(hasRole("SPECIALIST") ? [{ value: "assigned" as Box, label: "指派给我的" }] : []),
    { value: "institution", label: "本机构" },
    { value: "mine", label: "全部可见" },
  ];

  return (
    <Card
      title={t("cons.list")}
      extra={
        hasRole("DOCTOR") && (
          <Link to="/consultations/new">
            <Button type="primary" icon={<PlusOutlined />}>
              {t("nav.newConsultation")}
            </Button>
          </Link>
        )
      }
    >
      <Space style={{ marginBottom: 12 }} wrap>
        <Segmented<Box> options={boxes} value={box} onChange={(v) => (setBox(v), setPage(1))} />
        <Select
          allowClear
          placeholder="全部状态"
          style={{ width: 140 }}
          value={status}
          onChange={(v) => (setStatus(v), setPage(1))}
          options={ConsultationStatus.options.map((s) => ({ value: s, label: consultationStatusLabel[s] }))}
          aria-label="按状态筛选"
        />
        <Button onClick={() => void list.reload()}>{t("common.refresh")}</Button>
      </Space>
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} style={{ marginBottom: 12 }} /> : null}
      <Table<ConsultationRow>
        rowKey="id"
        size="middle"
        loading={list.loading && !list.data}
        dataSource={list.data?.items ?? []}
        tableLayout="fixed"
        onRow={(r) => ({ onClick: () => navigate(`/consultations/${r.id}`), style: { cursor: "pointer" } })}
        pagination={{
          current: page,
          pageSize: 15,
          total: list.data?.total ?? 0,
          onChange: setPage,
          showSizeChanger: false,
          showTotal: (n) => t("common.total", { n }),
        }}
        locale={{ emptyText: "暂无会诊记录" }}
        columns={[
          {
            title: "会诊编号",
            dataIndex: "number",
            width: 170,
            render: (v: string, r) => <Link to={`/consultations/${r.id}`}>{v}</Link>,
          },
          { title: "患者", dataIndex: "patientName", width: 100 },
          {
            title: "类型",
            dataIndex: "kind",
            width: 110,
            render: (v: ConsultationKind) => consultationKindLabel[v] ?? v,
          },
          {
            title: "专科",
            dataIndex: "specialtyCode",
            width: 110,
            ellipsis: true,
            render: (v: string | null) => specialties.name(v),
          },
          { title: "紧急程度", dataIndex: "urgency", width: 90, render: (v) => <UrgencyTag urgency={v} /> },
          { title: "状态", dataIndex: "status", width: 100, render: (v) => <StatusTag status={v} /> },
          {
            title: "提交时间",
            dataIndex: "submittedAt",
            width: 140,
            render: (v: string | null, r) => fmt(v ?? r.createdAt, "MM-DD HH:mm"),
          },
          {
            title: "排期 / 时限",
            width: 150,
            render: (_, r) => {
              if (r.scheduledStart) return fmt(r.scheduledStart, "MM-DD HH:mm");
              if (r.status === "SUBMITTED") {
                const c = countdown(r.slaDueAt);
                return c ? <Typography.Text type={c.overdue ? "danger" : "secondary"}>{c.text}</Typography.Text> : "—";
              }
              return "—";
            },
          },
        ]}
      />
    </Card>
  );
}
