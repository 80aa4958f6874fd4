// The decision the requesting side took on the advice (closes the consultation).
import { useState } from "react";
import { Button, Descriptions, Form, Input, Radio, Typography } from "antd";
import type { ConsultationDetail as C } from "@yilian/client-sdk";
import { api } from "../../lib/api";
import { fmt } from "../../lib/dayjs";
import { ErrorAlert } from "../../components/ErrorAlert";

const outcomeLabel: Record<string, string> = {
  FOLLOWED: "采纳会诊意见",
  PARTIALLY_FOLLOWED: "部分采纳",
  NOT_FOLLOWED: "未采纳",
};

export function DecisionSection({ c, canDecide, reload }: { c: C; canDecide: boolean; reload: () => void }) {
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
