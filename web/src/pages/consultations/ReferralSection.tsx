// A referral (双向转诊) filed from the consultation.
import { useState } from "react";
import { Button, Form, Input, Radio, Select, Space, Typography } from "antd";
import type { ConsultationDetail as C } from "@yilian/client-sdk";
import { api } from "../../lib/api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useToast } from "../../lib/toast";

export function ReferralSection({ c }: { c: C }) {
  const [form] = Form.useForm<{
    direction: "UP" | "DOWN";
    toInstitutionId: string;
    reason: string;
    clinicalSummary: string;
  }>();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const message = useToast();
  const options = [c.targetInstitution]
    .filter((x): x is NonNullable<typeof x> => !!x)
    .map((i) => ({ value: i.id, label: i.name }));
  const submit = async () => {
    const v = await form.validateFields();
    setError(null);
    try {
      const r = await api.createReferral({
        direction: v.direction,
        toInstitutionId: v.toInstitutionId,
        consultationId: c.id,
        reason: v.reason.trim(),
        clinicalSummary: v.clinicalSummary ?? "",
      });
      setDone(String(r.number ?? ""));
      message.success("转诊申请已提交，对方远程医学中心会收到通知");
    } catch (e) {
      setError(e);
    }
  };
  if (done) return <Typography.Text type="success">已提交转诊申请 {done}，等待对方受理。</Typography.Text>;
  return (
    <Form
      form={form}
      layout="vertical"
      size="small"
      initialValues={{
        direction: c.report?.referralAdvice === "DOWN" ? "DOWN" : "UP",
        toInstitutionId: options[0]?.value,
      }}
    >
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 8 }} />}
      <Space size={12} wrap>
        <Form.Item name="direction" label="方向">
          <Radio.Group
            optionType="button"
            options={[
              { value: "UP", label: "上转" },
              { value: "DOWN", label: "下转" },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="toInstitutionId"
          label="转往机构"
          rules={[{ required: true, message: "请选择转往机构" }]}
          style={{ minWidth: 220 }}
        >
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
