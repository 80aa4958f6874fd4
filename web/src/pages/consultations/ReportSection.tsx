// The consultation report: the specialist's editor (draft, sign), the signed report with its amendments and PDF.
import { useEffect, useState } from "react";
import { Button, Descriptions, Empty, Form, Input, Radio, Space, Typography } from "antd";
import { DownloadOutlined } from "@ant-design/icons";
import type { ReportInput } from "@yilian/contract";
import type { ConsultationDetail as C } from "@yilian/client-sdk";
import { api, saveFile } from "../../lib/api";
import { fmt } from "../../lib/dayjs";
import { ErrorAlert } from "../../components/ErrorAlert";
import { t } from "../../i18n";
import { useAction } from "../../lib/useAction";

const referralAdviceLabel = { UP: "建议上转", DOWN: "建议下转", NONE: "无需转诊" } as const;

export function ReportSection({
  c,
  canEdit,
  canAmend,
  reload,
}: {
  c: C;
  canEdit: boolean;
  canAmend: boolean;
  reload: () => void;
}) {
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
    return {
      findings: v.findings ?? "",
      impression: v.impression ?? "",
      recommendations: v.recommendations ?? "",
      referralAdvice: v.referralAdvice ?? "NONE",
      followUp: v.followUp ?? "",
    };
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
            <Typography.Text strong data-testid="report-impression">
              {r.impression || "—"}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label="诊疗建议">{r.recommendations || "—"}</Descriptions.Item>
          <Descriptions.Item label="转诊建议">
            {r.referralAdvice ? referralAdviceLabel[r.referralAdvice] : "—"}
          </Descriptions.Item>
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
          <Button
            icon={<DownloadOutlined />}
            onClick={() => void download()}
            loading={busy === "pdf"}
            data-testid="download-pdf"
          >
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
        <Radio.Group
          optionType="button"
          options={Object.entries(referralAdviceLabel).map(([value, label]) => ({ value, label }))}
        />
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
