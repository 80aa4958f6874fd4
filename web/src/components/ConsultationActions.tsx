// Dialogs for consultation actions: accept and assign specialists (against their availability), return or
// reject with a reason, book a time. Each shows progress while it runs and explains failures.
import { useState } from "react";
import { Alert, Badge, Checkbox, Empty, Form, Input, List, Modal, Radio, Space, Spin, Tag, Typography } from "antd";
import type { ConsultationDetail, ConsultationRow, SpecialistPresence } from "@yilian/client-sdk";
import type { Slot } from "@yilian/contract";
import { api } from "../lib/api";
import { useAsync } from "../lib/useAsync";
import { fmt } from "../lib/dayjs";
import { ErrorAlert } from "./ErrorAlert";
import { useToast } from "../lib/toast";

type Target = Pick<ConsultationRow, "id" | "number" | "specialtyCode" | "patientName">;

const presenceBadge: Record<
  SpecialistPresence["state"],
  { status: "success" | "processing" | "default"; text: string }
> = {
  ONLINE: { status: "success", text: "在线" },
  IN_CONSULTATION: { status: "processing", text: "会诊中" },
  OFFLINE: { status: "default", text: "离线" },
};

export function AcceptDialog({ target, onClose }: { target: Target | null; onClose: (changed: boolean) => void }) {
  const message = useToast();
  const [picked, setPicked] = useState<string[]>([]);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const people = useAsync(async () => (target ? api.presence() : null), [target?.id]);
  const slots = useAsync(
    async () =>
      target?.specialtyCode ? api.slots({ specialtyCode: target.specialtyCode, days: 14, limit: 100 }) : null,
    [target?.id, target?.specialtyCode],
  );
  const nextSlot = new Map<string, Slot>();
  for (const s of slots.data?.items ?? []) if (!nextSlot.has(s.specialistId)) nextSlot.set(s.specialistId, s);
  // Matching specialty first, then whoever has the soonest free slot.
  const rows = [...(people.data?.items ?? [])].sort(
    (a, b) =>
      Number(b.specialtyCode === target?.specialtyCode) - Number(a.specialtyCode === target?.specialtyCode) ||
      (nextSlot.get(a.userId) ? Date.parse(nextSlot.get(a.userId)!.startsAt) : Infinity) -
        (nextSlot.get(b.userId) ? Date.parse(nextSlot.get(b.userId)!.startsAt) : Infinity),
  );
  const submit = async () => {
    if (!target || !picked.length) return;
    setBusy(true);
    setError(null);
    try {
      await api.acceptConsultation(target.id, picked, note.trim() || undefined);
      message.success(`已受理 ${target.number}，并通知指派的专家`);
      setPicked([]);
      onClose(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={!!target}
      title={`受理并指派专家：${target?.number ?? ""}（${target?.patientName ?? ""}）`}
      onCancel={() => onClose(false)}
      onOk={() => void submit()}
      okText="受理并指派"
      okButtonProps={{ disabled: !picked.length }}
      confirmLoading={busy}
      width={640}
      destroyOnHidden
    >
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 12 }} />}
      {people.error ? <ErrorAlert error={people.error} onRetry={people.reload} /> : null}
      <Spin spinning={people.loading || slots.loading}>
        {rows.length === 0 && !people.loading ? (
          <Empty description="本机构暂无会诊专家账号，请联系机构管理员添加。" />
        ) : (
          <Checkbox.Group value={picked} onChange={(v) => setPicked(v as string[])} style={{ width: "100%" }}>
            <List
              size="small"
              bordered
              style={{ width: "100%", maxHeight: 360, overflow: "auto" }}
              dataSource={rows}
              renderItem={(p) => {
                const s = nextSlot.get(p.userId);
                return (
                  <List.Item data-testid="specialist-option">
                    <Checkbox value={p.userId}>
                      <Space>
                        <Typography.Text strong>{p.name}</Typography.Text>
                        <span>{p.department ?? "—"}</span>
                        {p.specialtyCode === target?.specialtyCode && <Tag color="green">对口专科</Tag>}
                        <Badge status={presenceBadge[p.state].status} text={presenceBadge[p.state].text} />
                      </Space>
                    </Checkbox>
                    <Typography.Text type="secondary">
                      {s ? `最早可约 ${fmt(s.startsAt, "MM-DD HH:mm")}` : "两周内无出诊时间"}
                    </Typography.Text>
                  </List.Item>
                );
              }}
            />
          </Checkbox.Group>
        )}
      </Spin>
      <Input.TextArea
        placeholder="给专家的说明（选填）"
        rows={2}
        style={{ marginTop: 12 }}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        maxLength={2000}
      />
    </Modal>
  );
}

export type ReasonAction = "return" | "reject" | "cancel";
const reasonTitle: Record<ReasonAction, string> = {
  return: "退回补充资料",
  reject: "拒绝会诊申请",
  cancel: "撤回会诊申请",
};

export function ReasonDialog({
  target,
  action,
  onClose,
}: {
  target: Target | null;
  action: ReasonAction;
  onClose: (changed: boolean) => void;
}) {
  const message = useToast();
  const [form] = Form.useForm<{ reason: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    if (!target) return;
    const { reason } = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      const fn =
        action === "return"
          ? api.returnConsultation
          : action === "reject"
            ? api.rejectConsultation
            : api.cancelConsultation;
      await fn(target.id, reason.trim());
      message.success(`${reasonTitle[action]}：已完成`);
      onClose(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={!!target}
      title={`${reasonTitle[action]}：${target?.number ?? ""}`}
      onCancel={() => onClose(false)}
      onOk={() => void submit()}
      confirmLoading={busy}
      okButtonProps={{ danger: action !== "return" }}
      destroyOnHidden
    >
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item
          name="reason"
          label="原因"
          rules={[{ required: true, whitespace: true, min: 2, message: "请填写原因（至少 2 个字），申请医生会看到" }]}
        >
          <Input.TextArea rows={3} maxLength={2000} showCount autoFocus />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The assigned specialist books a time from their own free slots. */
export function BookDialog({
  consultation,
  specialistId,
  open,
  onClose,
}: {
  consultation: ConsultationDetail;
  specialistId: string;
  open: boolean;
  onClose: (changed: boolean) => void;
}) {
  const message = useToast();
  const [picked, setPicked] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const slots = useAsync(
    async () =>
      open && consultation.specialtyCode
        ? api.slots({ specialtyCode: consultation.specialtyCode, specialistId, days: 28, limit: 40 })
        : null,
    [open, consultation.id, specialistId],
  );
  const submit = async () => {
    if (!picked) return;
    setBusy(true);
    setError(null);
    try {
      await api.book(consultation.id, picked);
      message.success("已预约会诊时间，双方都会收到通知");
      onClose(true);
    } catch (e) {
      setError(e);
      void slots.reload();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title="预约会诊时间"
      onCancel={() => onClose(false)}
      onOk={() => void submit()}
      okText="确认预约"
      okButtonProps={{ disabled: !picked }}
      confirmLoading={busy}
      destroyOnHidden
      width={560}
    >
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 12 }} />}
      {slots.error ? <ErrorAlert error={slots.error} onRetry={slots.reload} /> : null}
      <Spin spinning={slots.loading}>
        {slots.data && !slots.data.items.length ? (
          <Alert
            type="info"
            showIcon
            title="未来四周内没有空闲的出诊时间"
            description="请先在“出诊日历”中添加出诊时间，再回来预约。"
          />
        ) : (
          <Radio.Group
            value={picked}
            onChange={(e) => setPicked(e.target.value)}
            style={{ display: "flex", flexWrap: "wrap", gap: 8 }}
          >
            {(slots.data?.items ?? []).map((s) => (
              <Radio.Button key={s.startsAt} value={s.startsAt} data-testid="slot-option">
                {fmt(s.startsAt, "MM-DD ddd HH:mm")}
                {s.reserved ? "（转诊预留）" : ""}
              </Radio.Button>
            ))}
          </Radio.Group>
        )}
      </Spin>
    </Modal>
  );
}
