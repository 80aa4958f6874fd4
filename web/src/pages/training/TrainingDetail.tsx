// One training session: details, registration, start / end for its lecturers; the live lecture (lecturer's
// camera and screen/slides, raise hand, promotion to speak, Q&A with moderation, recording by the lecturer with
// the 录制中 indicator for everyone: TrainingLive.tsx); the lecture's recordings for playback (课程回放); the attendance
// report (AttendanceSection.tsx).
import { useState } from "react";
import { useParams } from "react-router";
import { Button, Card, Descriptions, Empty, Space, Tabs, Typography } from "antd";
import { audienceKindLabel, tierLabel, type TrainingSessionView } from "@yilian/contract";
import { api } from "../../lib/api";
import { useAsync } from "../../lib/useAsync";
import { fmt } from "../../lib/dayjs";
import { errorText } from "../../lib/errors";
import { LoadError } from "../../components/ErrorAlert";
import { RecordingList } from "../../components/RecordingList";
import { TrainingStatusTag } from "./TrainingList";
import { useToast } from "../../lib/toast";
import { TrainingLive } from "./TrainingLive";
import { AttendanceSection } from "./AttendanceSection";

function audienceText(s: TrainingSessionView): string {
  return s.audience
    .map((a) => (a.kind === "PROVINCE" ? "全省" : a.kind === "TIER" ? tierLabel[a.tier] : audienceKindLabel[a.kind]))
    .join("、");
}

export default function TrainingDetail() {
  const { id = "" } = useParams();
  const message = useToast();
  const q = useAsync(() => api.trainingSession(id), [id]);
  const [busy, setBusy] = useState(false);
  const [tab, setTab] = useState<string | undefined>();
  if (q.error) return <LoadError error={q.error} onRetry={q.reload} />;
  const s = q.data;
  if (!s) return <Card loading />;
  const run = async (fn: () => Promise<unknown>, ok: string) => {
    setBusy(true);
    try {
      await fn();
      message.success(ok);
      await q.reload();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const live = s.status === "LIVE" && (s.me.canJoin || s.me.canManage || s.me.lecturer);
  const items = [
    ...(live ? [{ key: "live", label: "直播", children: <TrainingLive s={s} onEnded={() => void q.reload()} /> }] : []),
    {
      key: "info",
      label: "培训信息",
      children: (
        <Descriptions column={2} size="small" bordered>
          <Descriptions.Item label="主办机构">{s.hostInstitution.name}</Descriptions.Item>
          <Descriptions.Item label="授课专家">
            {s.lecturers.map((l) => l.displayName).join("、") || "—"}
          </Descriptions.Item>
          <Descriptions.Item label="时间">
            {fmt(s.startsAt)} – {fmt(s.endsAt, "HH:mm")}
          </Descriptions.Item>
          <Descriptions.Item label="专科">{s.specialty?.name ?? "—"}</Descriptions.Item>
          <Descriptions.Item label="培训对象">{audienceText(s)}</Descriptions.Item>
          <Descriptions.Item label="报名">
            {s.registeredCount}
            {s.capacity ? ` / ${s.capacity}` : "（不限名额）"}
          </Descriptions.Item>
          <Descriptions.Item label="内容简介" span={2}>
            {s.description || "—"}
          </Descriptions.Item>
        </Descriptions>
      ),
    },
    // Lecturers and managers also follow a recording being processed; the audience sees what can be played.
    ...(s.status === "LIVE" || s.status === "ENDED"
      ? [
          {
            key: "replay",
            label: "课程回放",
            children: (
              <RecordingList
                subject="TRAINING"
                subjectId={s.id}
                readyOnly={!s.me.lecturer && !s.me.canManage}
                emptyText="暂无课程回放"
              />
            ),
          },
        ]
      : []),
    ...(s.me.canManage || s.me.lecturer
      ? [{ key: "attendance", label: "参训统计", children: <AttendanceSection s={s} /> }]
      : []),
  ];
  return (
    <Card
      title={
        <Space>
          <span data-testid="training-title">{s.title}</span>
          <TrainingStatusTag s={s.status} />
          <Typography.Text type="secondary" style={{ fontSize: 13 }}>
            {s.number}
          </Typography.Text>
        </Space>
      }
      extra={
        <Space>
          {s.status === "SCHEDULED" && !s.me.lecturer && s.registrationRequired && (
            <Button
              type={s.me.registered ? "default" : "primary"}
              loading={busy}
              onClick={() =>
                void run(
                  () => (s.me.registered ? api.unregisterTraining(s.id) : api.registerTraining(s.id)),
                  s.me.registered ? "已取消报名" : "报名成功",
                )
              }
            >
              {s.me.registered ? "取消报名" : "报名"}
            </Button>
          )}
          {s.status === "SCHEDULED" && (s.me.canManage || s.me.lecturer) && (
            <Button
              type="primary"
              danger
              loading={busy}
              onClick={() => void run(() => api.startTraining(s.id), "直播已开始").then(() => setTab("live"))}
            >
              开始直播
            </Button>
          )}
          {s.status === "LIVE" && (s.me.canManage || s.me.lecturer) && (
            <Button
              danger
              loading={busy}
              onClick={() =>
                void run(() => api.endTraining(s.id), "直播已结束，出勤已统计").then(() => setTab("attendance"))
              }
            >
              结束直播
            </Button>
          )}
        </Space>
      }
    >
      {items.length ? (
        <Tabs activeKey={tab ?? items[0]!.key} onChange={setTab} items={items} destroyOnHidden />
      ) : (
        <Empty />
      )}
    </Card>
  );
}
