// Training: the catalogue (sessions whose audience includes me) with registration, the sessions I lecture or
// manage, and scheduling a new session with its audience.
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import {
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
  Typography,
} from "antd";
import { PlusOutlined, MinusCircleOutlined } from "@ant-design/icons";
import {
  audienceKindLabel,
  tierLabel,
  trainingStatusLabel,
  Tier,
  type TrainingSessionView,
  type TrainingStatus,
  type TrainingAudienceRule,
} from "@yilian/contract";
import { api } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { useSession } from "../../lib/session";
import { useSpecialties } from "../../lib/refdata";
import { fmt, dayjs } from "../../lib/dayjs";
import { errorText } from "../../lib/errors";
import { ErrorAlert } from "../../components/ErrorAlert";
import { t } from "../../i18n";
import { useToast } from "../../lib/toast";

const statusColor: Record<TrainingStatus, string> = {
  SCHEDULED: "blue",
  LIVE: "red",
  ENDED: "default",
  CANCELLED: "default",
};
export const TrainingStatusTag = ({ s }: { s: TrainingStatus }) => (
  <Tag color={statusColor[s]}>{trainingStatusLabel[s]}</Tag>
);

function AudienceValue({ kind }: { kind: TrainingAudienceRule["kind"] }) {
  const regions = useAsync(async () => (kind === "CITY" || kind === "COUNTY" ? api.regions() : []), [kind]);
  const [q, setQ] = useState("");
  const insts = useAsync(
    async () => (kind === "INSTITUTION" ? api.institutions({ q: q || undefined, limit: 30 }) : null),
    [kind, q],
  );
  const consortia = useAsync(
    async () => (kind === "CONSORTIUM" ? api.consortia({ q: q || undefined, limit: 30 }) : null),
    [kind, q],
  );
  if (kind === "PROVINCE") return null;
  if (kind === "TIER")
    return (
      <Select
        style={{ width: 220 }}
        options={Tier.options.map((v) => ({ value: v, label: tierLabel[v] }))}
        placeholder="机构级别"
      />
    );
  if (kind === "CITY")
    return (
      <Select
        style={{ width: 220 }}
        showSearch
        optionFilterProp="label"
        options={(regions.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
        placeholder="选择市"
      />
    );
  if (kind === "COUNTY")
    return (
      <Select
        style={{ width: 220 }}
        showSearch
        optionFilterProp="label"
        options={(regions.data ?? []).flatMap((c) =>
          c.counties.map((k) => ({ value: k.id, label: `${c.name} · ${k.name}` })),
        )}
        placeholder="选择县(区)"
      />
    );
  const list = kind === "INSTITUTION" ? (insts.data?.items ?? []) : (consortia.data?.items ?? []);
  return (
    <Select
      style={{ width: 220 }}
      showSearch
      filterOption={false}
      onSearch={setQ}
      options={list.map((x) => ({ value: x.id, label: x.name }))}
      placeholder={kind === "INSTITUTION" ? "搜索机构" : "搜索医联体"}
    />
  );
}

const valueField: Record<TrainingAudienceRule["kind"], string | null> = {
  PROVINCE: null,
  TIER: "tier",
  CITY: "regionId",
  COUNTY: "regionId",
  INSTITUTION: "institutionId",
  CONSORTIUM: "consortiumId",
};

function ScheduleDialog({ open, onClose }: { open: boolean; onClose: (created?: TrainingSessionView) => void }) {
  const [form] = Form.useForm();
  const specialties = useSpecialties();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    const v = await form.validateFields();
    const [s, e] = v.time as [dayjs.Dayjs, dayjs.Dayjs];
    const audience = (v.audience as { kind: TrainingAudienceRule["kind"]; value?: string }[]).map((a) => {
      const f = valueField[a.kind];
      return (f ? { kind: a.kind, [f]: a.value } : { kind: a.kind }) as TrainingAudienceRule;
    });
    setBusy(true);
    setError(null);
    try {
      const created = await api.scheduleTraining({
        title: v.title,
        description: v.description ?? "",
        ...(v.specialtyCode ? { specialtyCode: v.specialtyCode } : {}),
        startsAt: s.toISOString(),
        endsAt: e.toISOString(),
        capacity: v.capacity ?? null,
        registrationRequired: v.registrationRequired,
        audience,
      });
      form.resetFields();
      onClose(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title="安排远程培训"
      width={680}
      onCancel={() => onClose()}
      onOk={() => void submit()}
      okText="发布培训"
      confirmLoading={busy}
      destroyOnHidden
    >
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 12 }} />}
      <Form
        form={form}
        layout="vertical"
        initialValues={{ registrationRequired: true, audience: [{ kind: "PROVINCE" }] }}
        preserve={false}
      >
        <Form.Item
          name="title"
          label="培训主题"
          rules={[{ required: true, min: 2, message: "请填写培训主题（至少 2 个字）" }]}
        >
          <Input maxLength={200} id="training-title" />
        </Form.Item>
        <Space size={12} wrap>
          <Form.Item name="time" label="时间" rules={[{ required: true, message: "请选择开始和结束时间" }]}>
            <DatePicker.RangePicker
              showTime={{ format: "HH:mm", minuteStep: 5 }}
              format="YYYY-MM-DD HH:mm"
              id="training-time"
            />
          </Form.Item>
          <Form.Item name="specialtyCode" label="专科">
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              style={{ width: 160 }}
              options={specialties.list.map((s) => ({ value: s.code, label: s.name }))}
            />
          </Form.Item>
          <Form.Item name="capacity" label="名额">
            <InputNumber min={1} max={100000} placeholder="不限" style={{ width: 100 }} />
          </Form.Item>
          <Form.Item name="registrationRequired" label="需要报名" valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
        <Form.Item name="description" label="内容简介">
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>
        <Form.List name="audience">
          {(fields, { add, remove }) => (
            <Form.Item label="培训对象" required>
              <Space orientation="vertical" style={{ width: "100%" }}>
                {fields.map((f) => (
                  <Space key={f.key} align="start">
                    <Form.Item name={[f.name, "kind"]} noStyle>
                      <Select
                        style={{ width: 140 }}
                        options={Object.entries(audienceKindLabel).map(([value, label]) => ({ value, label }))}
                      />
                    </Form.Item>
                    <Form.Item noStyle shouldUpdate>
                      {() => {
                        const kind = form.getFieldValue(["audience", f.name, "kind"]) as TrainingAudienceRule["kind"];
                        return kind === "PROVINCE" ? null : (
                          <Form.Item
                            name={[f.name, "value"]}
                            rules={[{ required: true, message: "请选择" }]}
                            style={{ marginBottom: 0 }}
                          >
                            <AudienceValue kind={kind} />
                          </Form.Item>
                        );
                      }}
                    </Form.Item>
                    {fields.length > 1 && (
                      <MinusCircleOutlined
                        onClick={() => remove(f.name)}
                        style={{ marginTop: 8 }}
                        aria-label="删除此受众"
                      />
                    )}
                  </Space>
                ))}
                <Button type="dashed" onClick={() => add({ kind: "TIER" })} icon={<PlusOutlined />}>
                  添加培训对象
                </Button>
              </Space>
            </Form.Item>
          )}
        </Form.List>
      </Form>
    </Modal>
  );
}

function SessionTable({ managed }: { managed: boolean }) {
  const message = useToast();
  const navigate = useNavigate();
  const [page, setPage] = useState(1);
  const list = useAsync(
    () => api.trainingSessions({ managed: managed || undefined, limit: 10, offset: (page - 1) * 10 }),
    [managed, page],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const register = async (s: TrainingSessionView) => {
    setBusy(s.id);
    try {
      if (s.me.registered) await api.unregisterTraining(s.id);
      else await api.registerTraining(s.id);
      message.success(s.me.registered ? "已取消报名" : "报名成功");
      void list.reload();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} style={{ marginBottom: 12 }} /> : null}
      <Table<TrainingSessionView>
        rowKey="id"
        size="middle"
        tableLayout="fixed"
        loading={list.loading && !list.data}
        dataSource={list.data?.items ?? []}
        locale={{ emptyText: managed ? "您还没有安排培训" : "暂无面向您的培训" }}
        pagination={{
          current: page,
          pageSize: 10,
          total: list.data?.total ?? 0,
          onChange: setPage,
          showSizeChanger: false,
          showTotal: (n) => t("common.total", { n }),
        }}
        onRow={(r) => ({ onDoubleClick: () => navigate(`/training/${r.id}`) })}
        columns={[
          {
            title: "主题",
            dataIndex: "title",
            ellipsis: true,
            render: (v: string, r) => <Link to={`/training/${r.id}`}>{v}</Link>,
          },
          { title: "状态", dataIndex: "status", width: 90, render: (v: TrainingStatus) => <TrainingStatusTag s={v} /> },
          {
            title: "时间",
            width: 190,
            render: (_, r) => `${fmt(r.startsAt, "MM-DD HH:mm")} – ${fmt(r.endsAt, "HH:mm")}`,
          },
          { title: "主办机构", width: 170, ellipsis: true, render: (_, r) => r.hostInstitution.name },
          {
            title: "授课专家",
            width: 110,
            ellipsis: true,
            render: (_, r) => r.lecturers.map((l) => l.displayName).join("、") || "—",
          },
          { title: "报名", width: 90, render: (_, r) => `${r.registeredCount}${r.capacity ? ` / ${r.capacity}` : ""}` },
          {
            title: t("common.actions"),
            width: 130,
            render: (_, r) => (
              <Space size={4}>
                {r.status === "LIVE" && r.me.canJoin && (
                  <Button size="small" type="primary" danger onClick={() => navigate(`/training/${r.id}`)}>
                    进入直播
                  </Button>
                )}
                {!r.me.lecturer && r.status === "SCHEDULED" && r.registrationRequired && (
                  <Button
                    size="small"
                    type={r.me.registered ? "default" : "primary"}
                    loading={busy === r.id}
                    onClick={() => void register(r)}
                  >
                    {r.me.registered ? "取消报名" : "报名"}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}

export default function TrainingList() {
  const { hasRole } = useSession();
  const message = useToast();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [key, setKey] = useState(0);
  const canSchedule = hasRole("LECTURER", "INSTITUTION_ADMIN");
  return (
    <Card
      title={t("training.title")}
      extra={
        canSchedule && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>
            安排培训
          </Button>
        )
      }
    >
      <Tabs
        items={[
          { key: "catalogue", label: "培训目录", children: <SessionTable key={`c${key}`} managed={false} /> },
          ...(canSchedule
            ? [{ key: "managed", label: "我安排的培训", children: <SessionTable key={`m${key}`} managed /> }]
            : []),
        ]}
      />
      <ScheduleDialog
        open={open}
        onClose={(created) => {
          setOpen(false);
          if (created) {
            message.success(`已发布培训：${created.title}`);
            setKey((k) => k + 1);
            void navigate(`/training/${created.id}`); // synchronous under BrowserRouter
          }
        }}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        直播开始后，已报名的学员可从目录进入直播；授课专家可在培训详情页开始或结束直播。
      </Typography.Text>
    </Card>
  );
}
