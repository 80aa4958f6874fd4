// Specialist's week calendar: recurring availability (出诊时间), one-off windows and exceptions, and booked
// consultations; the availability editor adds and removes recurring windows and one-off windows.
import { useMemo, useState } from "react";
import { Link } from "react-router";
import {
  Button,
  Card,
  Col,
  DatePicker,
  Form,
  Input,
  InputNumber,
  List,
  Popconfirm,
  Radio,
  Row,
  Select,
  Space,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import { LeftOutlined, RightOutlined } from "@ant-design/icons";
import type { AvailabilityView, ConsultationRow } from "@yilian/client-sdk";
import { api } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { useUser } from "../../lib/session";
import { useConsultationEvents } from "../../lib/realtime";
import { dayjs, TZ } from "../../lib/dayjs";
import { ErrorAlert } from "../../components/ErrorAlert";
import { explain } from "../../lib/errors";
import { t } from "../../i18n";
import { useToast } from "../../lib/toast";

const WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"];
const START_H = 7;
const END_H = 21;
const HOUR_PX = 34;
const times = Array.from(
  { length: 48 },
  (_, i) => `${String(Math.floor(i / 2)).padStart(2, "0")}:${i % 2 ? "30" : "00"}`,
).concat("24:00");
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

interface Block {
  day: number;
  from: number;
  to: number;
  kind: "rule" | "open" | "exception" | "booking";
  label: string;
  link?: string;
}

function blocksFor(weekStart: dayjs.Dayjs, avail: AvailabilityView | undefined, bookings: ConsultationRow[]): Block[] {
  const out: Block[] = [];
  for (let d = 0; d < 7; d++) {
    const date = weekStart.add(d, "day");
    const iso = date.format("YYYY-MM-DD");
    for (const r of avail?.rules ?? []) {
      if (r.weekday !== d + 1 || iso < r.validFrom || (r.validUntil && iso > r.validUntil)) continue;
      out.push({
        day: d,
        from: minutesOf(r.start),
        to: minutesOf(r.end),
        kind: "rule",
        label: `${r.label ?? "出诊"} ${r.start}–${r.end}`,
      });
    }
  }
  const clip = (startIso: string, endIso: string, kind: Block["kind"], label: string, link?: string) => {
    const s = dayjs(startIso).tz(TZ);
    const e = dayjs(endIso).tz(TZ);
    for (let d = 0; d < 7; d++) {
      const day0 = weekStart.add(d, "day");
      const day1 = day0.add(1, "day");
      if (!e.isAfter(day0) || !s.isBefore(day1)) continue;
      const from = s.isAfter(day0) ? s.diff(day0, "minute") : 0;
      const to = e.isBefore(day1) ? e.diff(day0, "minute") : 24 * 60;
      out.push({ day: d, from, to, kind, label, link });
    }
  };
  for (const w of avail?.windows ?? [])
    clip(
      w.startsAt,
      w.endsAt,
      w.kind === "OPEN" ? "open" : "exception",
      w.kind === "OPEN" ? "临时出诊" : `停诊${w.reason ? `：${w.reason}` : ""}`,
    );
  for (const b of bookings)
    if (b.scheduledStart)
      clip(
        b.scheduledStart,
        dayjs(b.scheduledStart).add(30, "minute").toISOString(),
        "booking",
        `${b.number} ${b.patientName}`,
        `/consultations/${b.id}`,
      );
  return out;
}

const blockStyle: Record<Block["kind"], React.CSSProperties> = {
  rule: { background: "#f6ffed", border: "1px solid #b7eb8f", color: "#389e0d", zIndex: 1 },
  open: { background: "#e6fffb", border: "1px solid #87e8de", color: "#08979c", zIndex: 1 },
  exception: { background: "#fff1f0", border: "1px solid #ffa39e", color: "#cf1322", zIndex: 2 },
  booking: { background: "#1677ff", border: "1px solid #0958d9", color: "#fff", zIndex: 3 },
};

function WeekGrid({ weekStart, blocks }: { weekStart: dayjs.Dayjs; blocks: Block[] }) {
  const hours = Array.from({ length: END_H - START_H }, (_, i) => START_H + i);
  const today = dayjs().tz(TZ).format("YYYY-MM-DD");
  return (
    <div
      style={{
        display: "grid",
        gridTemplateColumns: "48px repeat(7, 1fr)",
        border: "1px solid #f0f0f0",
        borderRadius: 6,
        overflow: "hidden",
      }}
      data-testid="week-grid"
    >
      <div style={{ background: "#fafafa" }} />
      {WEEKDAYS.map((w, i) => {
        const d = weekStart.add(i, "day");
        const isToday = d.format("YYYY-MM-DD") === today;
        return (
          <div
            key={w}
            style={{
              textAlign: "center",
              padding: "6px 0",
              background: isToday ? "#e6f4ff" : "#fafafa",
              borderLeft: "1px solid #f0f0f0",
              fontWeight: isToday ? 600 : 400,
            }}
          >
            周{w} {d.format("MM-DD")}
          </div>
        );
      })}
      <div>
        {hours.map((h) => (
          <div
            key={h}
            style={{
              height: HOUR_PX,
              fontSize: 12,
              color: "#8c8c8c",
              textAlign: "right",
              paddingRight: 6,
              borderTop: "1px solid #f5f5f5",
            }}
          >
            {String(h).padStart(2, "0")}:00
          </div>
        ))}
      </div>
      {WEEKDAYS.map((w, d) => (
        <div key={w} style={{ position: "relative", borderLeft: "1px solid #f0f0f0", height: hours.length * HOUR_PX }}>
          {hours.map((h) => (
            <div key={h} style={{ height: HOUR_PX, borderTop: "1px solid #f5f5f5" }} />
          ))}
          {blocks
            .filter((b) => b.day === d && b.to > START_H * 60 && b.from < END_H * 60)
            .map((b, i) => {
              const top = ((Math.max(b.from, START_H * 60) - START_H * 60) / 60) * HOUR_PX;
              const height = Math.max(
                ((Math.min(b.to, END_H * 60) - Math.max(b.from, START_H * 60)) / 60) * HOUR_PX,
                16,
              );
              const inset = b.kind === "booking" ? 10 : 2;
              const body = (
                <div
                  style={{
                    position: "absolute",
                    top,
                    height,
                    left: inset,
                    right: 2,
                    borderRadius: 4,
                    fontSize: 12,
                    padding: "1px 4px",
                    overflow: "hidden",
                    whiteSpace: "nowrap",
                    textOverflow: "ellipsis",
                    ...blockStyle[b.kind],
                  }}
                >
                  {b.link ? (
                    <Link to={b.link} style={{ color: "inherit" }}>
                      {b.label}
                    </Link>
                  ) : (
                    b.label
                  )}
                </div>
              );
              return (
                <Tooltip key={i} title={b.label}>
                  {body}
                </Tooltip>
              );
            })}
        </div>
      ))}
    </div>
  );
}

function AvailabilityEditor({
  specialistId,
  avail,
  onChanged,
}: {
  specialistId: string;
  avail: AvailabilityView | undefined;
  onChanged: () => void;
}) {
  const message = useToast();
  const [ruleForm] = Form.useForm();
  const [winForm] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const guard = async (fn: () => Promise<unknown>, ok: string) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      message.success(ok);
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const addRule = async () => {
    const v = await ruleForm.validateFields();
    await guard(
      () =>
        api.addAvailabilityRule(specialistId, {
          weekday: v.weekday,
          start: v.start,
          end: v.end,
          slotMinutes: v.slotMinutes,
          validFrom: dayjs().tz(TZ).format("YYYY-MM-DD"),
          ...(v.label ? { label: v.label } : {}),
        }),
      "已添加每周出诊时间",
    );
  };
  const addWindow = async () => {
    const v = await winForm.validateFields();
    const [s, e] = v.range as [dayjs.Dayjs, dayjs.Dayjs];
    await guard(
      () =>
        api.addAvailabilityWindow(specialistId, {
          kind: v.kind,
          startsAt: s.toISOString(),
          endsAt: e.toISOString(),
          ...(v.reason ? { reason: v.reason } : {}),
        }),
      v.kind === "OPEN" ? "已添加临时出诊" : "已添加停诊",
    );
  };
  const remove = (kind: "rules" | "windows", id: string) =>
    guard(() => api.removeAvailability(specialistId, kind, id), "已删除");
  const timeOptions = times.map((x) => ({ value: x, label: x }));
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size={12}>
      {error !== null && <ErrorAlert error={error} />}
      <Card size="small" title="每周出诊时间">
        <List
          size="small"
          dataSource={avail?.rules ?? []}
          locale={{ emptyText: "尚未设置每周出诊时间" }}
          renderItem={(r) => (
            <List.Item
              actions={[
                <Popconfirm
                  key="d"
                  title="删除这个出诊时间？已预约的会诊不受影响。"
                  onConfirm={() => void remove("rules", r.id)}
                >
                  <Button type="link" size="small" danger>
                    {t("common.delete")}
                  </Button>
                </Popconfirm>,
              ]}
            >
              周{WEEKDAYS[r.weekday - 1]} {r.start}–{r.end} · 每号 {r.slotMinutes} 分钟{" "}
              {r.label && <Tag>{r.label}</Tag>}
            </List.Item>
          )}
        />
        <Form
          form={ruleForm}
          layout="inline"
          initialValues={{ weekday: 6, start: "08:00", end: "12:00", slotMinutes: 30 }}
          style={{ marginTop: 8, rowGap: 8 }}
        >
          <Form.Item name="weekday">
            <Select
              style={{ width: 80 }}
              options={WEEKDAYS.map((w, i) => ({ value: i + 1, label: `周${w}` }))}
              aria-label="星期"
            />
          </Form.Item>
          <Form.Item name="start">
            <Select style={{ width: 84 }} options={timeOptions} aria-label="开始时间" showSearch />
          </Form.Item>
          <Form.Item
            name="end"
            dependencies={["start"]}
            rules={[
              ({ getFieldValue }) => ({
                validator: (_, v) =>
                  v > getFieldValue("start") ? Promise.resolve() : Promise.reject(new Error("结束须晚于开始")),
              }),
            ]}
          >
            <Select style={{ width: 84 }} options={timeOptions} aria-label="结束时间" showSearch />
          </Form.Item>
          <Form.Item name="slotMinutes">
            <InputNumber min={5} max={240} step={5} style={{ width: 96 }} suffix="分钟" aria-label="每号时长" />
          </Form.Item>
          <Form.Item name="label">
            <Input placeholder="备注，如 周末专家下沉" style={{ width: 170 }} maxLength={200} />
          </Form.Item>
          <Button type="primary" onClick={() => void addRule()} loading={busy} data-testid="add-rule">
            添加
          </Button>
        </Form>
      </Card>
      <Card size="small" title="临时出诊 / 停诊">
        <List
          size="small"
          dataSource={avail?.windows ?? []}
          locale={{ emptyText: t("common.none") }}
          renderItem={(w) => (
            <List.Item
              actions={[
                <Button key="d" type="link" size="small" danger onClick={() => void remove("windows", w.id)}>
                  {t("common.delete")}
                </Button>,
              ]}
            >
              <Tag color={w.kind === "OPEN" ? "cyan" : "red"}>{w.kind === "OPEN" ? "临时出诊" : "停诊"}</Tag>
              {dayjs(w.startsAt).tz(TZ).format("MM-DD HH:mm")} – {dayjs(w.endsAt).tz(TZ).format("MM-DD HH:mm")}{" "}
              {w.reason ?? ""}
            </List.Item>
          )}
        />
        <Form form={winForm} layout="inline" initialValues={{ kind: "EXCEPTION" }} style={{ marginTop: 8, rowGap: 8 }}>
          <Form.Item name="kind">
            <Radio.Group
              optionType="button"
              options={[
                { value: "OPEN", label: "临时出诊" },
                { value: "EXCEPTION", label: "停诊" },
              ]}
            />
          </Form.Item>
          <Form.Item name="range" rules={[{ required: true, message: "请选择时间段" }]}>
            <DatePicker.RangePicker
              showTime={{ format: "HH:mm", minuteStep: 15 }}
              format="MM-DD HH:mm"
              style={{ width: 260 }}
            />
          </Form.Item>
          <Form.Item name="reason">
            <Input placeholder="原因（选填）" style={{ width: 130 }} maxLength={200} />
          </Form.Item>
          <Button onClick={() => void addWindow()} loading={busy}>
            添加
          </Button>
        </Form>
      </Card>
    </Space>
  );
}

export default function Calendar() {
  const user = useUser();
  const [weekStart, setWeekStart] = useState(() => {
    const now = dayjs().tz(TZ).startOf("day");
    return now.subtract((now.day() + 6) % 7, "day");
  });
  const avail = useAsync(() => api.availability(user.id), [user.id]);
  const bookings = useAsync(() => api.consultations({ box: "assigned", limit: 200 }), []);
  useConsultationEvents(() => void bookings.reload());
  const blocks = useMemo(
    () =>
      blocksFor(
        weekStart,
        avail.data,
        (bookings.data?.items ?? []).filter((b) => b.scheduledStart),
      ),
    [weekStart, avail.data, bookings.data],
  );
  const legend = (
    <Space size={12} style={{ fontSize: 12 }}>
      {(["rule", "open", "exception", "booking"] as const).map((k) => (
        <span key={k}>
          <span
            style={{
              display: "inline-block",
              width: 10,
              height: 10,
              borderRadius: 2,
              marginRight: 4,
              ...blockStyle[k],
            }}
          />
          {{ rule: "每周出诊", open: "临时出诊", exception: "停诊", booking: "已预约会诊" }[k]}
        </span>
      ))}
    </Space>
  );
  return (
    <Row gutter={16}>
      <Col span={15}>
        <Card
          title={t("calendar.title")}
          extra={
            <Space>
              <Button
                icon={<LeftOutlined />}
                onClick={() => setWeekStart((w) => w.subtract(7, "day"))}
                aria-label="上一周"
              />
              <Typography.Text>
                {weekStart.format("YYYY-MM-DD")} 至 {weekStart.add(6, "day").format("MM-DD")}
              </Typography.Text>
              <Button
                icon={<RightOutlined />}
                onClick={() => setWeekStart((w) => w.add(7, "day"))}
                aria-label="下一周"
              />
            </Space>
          }
        >
          {avail.error ? <ErrorAlert error={avail.error} onRetry={avail.reload} /> : null}
          {bookings.error ? <Typography.Text type="danger">{explain(bookings.error).message}</Typography.Text> : null}
          <div style={{ marginBottom: 8 }}>{legend}</div>
          <WeekGrid weekStart={weekStart} blocks={blocks} />
        </Card>
      </Col>
      <Col span={9}>
        <Card title={t("calendar.availability")} size="small" styles={{ body: { padding: 12 } }}>
          <AvailabilityEditor specialistId={user.id} avail={avail.data} onChanged={() => void avail.reload()} />
        </Card>
      </Col>
    </Row>
  );
}
