// The attendance report of a session (lecturers and managers), with CSV / XLSX export.
import { useState } from "react";
import { Button, Space, Table, Tag } from "antd";
import { DownloadOutlined } from "@ant-design/icons";
import type { AttendanceRow, TrainingSessionView } from "@yilian/contract";
import { api, saveFile } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { fmt } from "../../lib/dayjs";
import { errorText } from "../../lib/errors";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useToast } from "../../lib/toast";

export function AttendanceSection({ s }: { s: TrainingSessionView }) {
  const message = useToast();
  const report = useAsync(() => api.trainingAttendance(s.id), [s.id]);
  const [busy, setBusy] = useState<string | null>(null);
  const exp = async (format: "csv" | "xlsx") => {
    setBusy(format);
    try {
      const f = await api.trainingAttendanceExport(s.id, format);
      saveFile(f.blob, f.filename ?? `参训统计_${s.number}.${format}`);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  if (report.error) return <ErrorAlert error={report.error} onRetry={report.reload} />;
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <Space>
        <Button icon={<DownloadOutlined />} loading={busy === "xlsx"} onClick={() => void exp("xlsx")}>
          导出 XLSX
        </Button>
        <Button icon={<DownloadOutlined />} loading={busy === "csv"} onClick={() => void exp("csv")}>
          导出 CSV
        </Button>
        <Button onClick={() => void report.reload()}>刷新</Button>
      </Space>
      <Table<AttendanceRow>
        rowKey="userId"
        size="small"
        loading={report.loading}
        dataSource={report.data?.rows ?? []}
        pagination={{ pageSize: 10, showSizeChanger: false }}
        locale={{ emptyText: "暂无参训记录" }}
        columns={[
          { title: "姓名", dataIndex: "displayName", width: 100 },
          { title: "机构", render: (_, r) => r.institution.name, ellipsis: true },
          { title: "科室", dataIndex: "department", width: 110, render: (v: string | null) => v ?? "—" },
          { title: "报名", dataIndex: "registered", width: 60, render: (v: boolean) => (v ? "是" : "否") },
          {
            title: "首次进入",
            dataIndex: "firstJoinAt",
            width: 110,
            render: (v: string | null) => fmt(v, "MM-DD HH:mm"),
          },
          { title: "在线(分钟)", dataIndex: "minutes", width: 90, align: "right" },
          {
            title: "出勤",
            dataIndex: "attended",
            width: 80,
            render: (v: boolean) => (v ? <Tag color="green">达标</Tag> : <Tag>未达标</Tag>),
          },
        ]}
      />
    </Space>
  );
}
