// Images from the institution's PACS: the doctor searches it (patient ID / name / date / modality), picks studies
// and imports them; each import shows its progress, and a failure its reason with a retry. The worker pulls the
// study and the instances appear among the consultation's files together, when the whole study is in.
import { useEffect, useRef, useState } from "react";
import { Alert, Button, DatePicker, Form, Input, Progress, Select, Space, Table, Tag, Typography } from "antd";
import { CloudDownloadOutlined, SearchOutlined } from "@ant-design/icons";
import type { Dayjs } from "dayjs";
import type { PacsImportView, PacsStudy } from "@yilian/client-sdk";
import { api } from "../../lib/api";
import { errorText } from "../../lib/errors";
import { useToast } from "../../lib/toast";

const statusLabel: Record<PacsImportView["status"], [string, string]> = {
  QUEUED: ["排队中", "default"],
  RUNNING: ["导入中", "processing"],
  DONE: ["已导入", "success"],
  FAILED: ["导入失败", "error"],
};

const MODALITIES = ["CT", "MR", "DX", "CR", "US", "MG", "XA", "NM", "PT"];

interface SearchForm {
  patientId?: string;
  patientName?: string;
  dates?: [Dayjs, Dayjs] | null;
  modality?: string;
}

export function PacsImport({ consultationId, onImported }: { consultationId: string; onImported: () => void }) {
  const message = useToast();
  const [studies, setStudies] = useState<PacsStudy[] | null>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const [imports, setImports] = useState<PacsImportView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // The latest callback without restarting the poll on every render of the parent.
  const imported = useRef(onImported);
  imported.current = onImported;
  // Imports already seen finished. Kept across restarts of the poll (it restarts when an import starts or ends, and
  // an import of a few slices may be finished by the restarted poll's first answer).
  const seenDone = useRef<{ consultationId: string; ids: Set<string> } | null>(null);
  const active = imports.some((i) => i.status === "QUEUED" || i.status === "RUNNING");
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const { items } = await api.pacsImports(consultationId);
        if (stop) return;
        setImports(items);
        const done = items.filter((i) => i.status === "DONE").map((i) => i.id);
        const seen = seenDone.current;
        if (seen?.consultationId !== consultationId) seenDone.current = { consultationId, ids: new Set(done) };
        else if (done.some((id) => !seen.ids.has(id))) {
          for (const id of done) seen.ids.add(id);
          imported.current();
        }
      } catch {
        /* shown on the next successful poll */
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), active ? 1500 : 10_000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [consultationId, active]);

  const search = async (v: SearchForm) => {
    setBusy(true);
    setError(null);
    try {
      const studyDate = v.dates ? `${v.dates[0].format("YYYY-MM-DD")}..${v.dates[1].format("YYYY-MM-DD")}` : undefined;
      const r = await api.searchPacs({
        patientId: v.patientId?.trim() || undefined,
        patientName: v.patientName?.trim() || undefined,
        studyDate,
        modality: v.modality,
      });
      setStudies(r.items);
      setSelected([]);
    } catch (e) {
      setError(errorText(e));
      setStudies(null);
    } finally {
      setBusy(false);
    }
  };

  const start = async (uids: string[]) => {
    setBusy(true);
    try {
      const r = await api.importFromPacs(consultationId, uids);
      message.success(`已开始导入 ${r.items.length} 个检查，完成后会出现在资料列表中`);
      setImports((prev) => [...prev.filter((p) => !r.items.some((i) => i.id === p.id)), ...r.items]);
      setSelected([]);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space orientation="vertical" style={{ width: "100%" }} size={12} data-testid="pacs-import">
      <Form<SearchForm> layout="inline" onFinish={(v) => void search(v)}>
        <Form.Item name="patientId" label="患者 ID">
          <Input allowClear style={{ width: 150 }} maxLength={64} />
        </Form.Item>
        <Form.Item name="patientName" label="姓名">
          <Input allowClear style={{ width: 120 }} maxLength={64} />
        </Form.Item>
        <Form.Item name="dates" label="检查日期">
          <DatePicker.RangePicker />
        </Form.Item>
        <Form.Item name="modality" label="检查类型">
          <Select allowClear style={{ width: 100 }} options={MODALITIES.map((m) => ({ value: m, label: m }))} />
        </Form.Item>
        <Form.Item>
          <Button htmlType="submit" icon={<SearchOutlined />} loading={busy} data-testid="pacs-search">
            查询本院 PACS
          </Button>
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon title={error} />}
      {studies && (
        <>
          <Table<PacsStudy>
            size="small"
            rowKey="studyInstanceUid"
            dataSource={studies}
            pagination={false}
            locale={{ emptyText: "PACS 中没有符合条件的检查" }}
            rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) }}
            columns={[
              { title: "患者", render: (_, s) => `${s.patientName ?? "—"}（${s.patientId ?? "—"}）` },
              { title: "检查日期", dataIndex: "studyDate", render: (d: string | null) => d ?? "—" },
              { title: "类型", dataIndex: "modalities", render: (m: string[]) => m.map((x) => <Tag key={x}>{x}</Tag>) },
              { title: "检查描述", dataIndex: "description", render: (d: string | null) => d ?? "—" },
              { title: "图像数", dataIndex: "instanceCount", render: (n: number | null) => n ?? "—" },
            ]}
          />
          <Button
            type="primary"
            icon={<CloudDownloadOutlined />}
            disabled={!selected.length}
            loading={busy}
            onClick={() => void start(selected)}
            data-testid="pacs-import-start"
          >
            导入所选检查（{selected.length}）
          </Button>
        </>
      )}
      {imports.length > 0 && (
        <Space orientation="vertical" style={{ width: "100%" }} size={8} data-testid="pacs-imports">
          <Typography.Text strong>从 PACS 导入</Typography.Text>
          {imports.map((i) => (
            <div
              key={i.id}
              data-testid="pacs-import-row"
              data-status={i.status}
              style={{ border: "1px solid #f0f0f0", borderRadius: 6, padding: 8 }}
            >
              <Space wrap>
                <Tag color={statusLabel[i.status][1]}>{statusLabel[i.status][0]}</Tag>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  检查 {i.studyInstanceUid.slice(-12)}
                </Typography.Text>
                {i.totalInstances !== null && (
                  <Typography.Text style={{ fontSize: 12 }}>
                    {i.importedInstances} / {i.totalInstances} 张
                  </Typography.Text>
                )}
                {i.status === "FAILED" && (
                  <Button size="small" onClick={() => void start([i.studyInstanceUid])} loading={busy}>
                    重新导入
                  </Button>
                )}
              </Space>
              {(i.status === "RUNNING" || i.status === "QUEUED") && i.totalInstances ? (
                <Progress percent={Math.floor((100 * i.importedInstances) / i.totalInstances)} size="small" />
              ) : null}
              {i.failReason && (
                <Alert
                  type={i.status === "FAILED" ? "error" : "warning"}
                  showIcon
                  title={i.failReason}
                  style={{ marginTop: 6 }}
                />
              )}
            </div>
          ))}
        </Space>
      )}
    </Space>
  );
}
