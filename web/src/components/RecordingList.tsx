// The recordings of a consultation or a training session on its detail page: status (processing is followed until
// ready), time, duration, and playback of a ready recording (fetched with the session's token; every playback is
// audited server-side).
import { useEffect, useState } from "react";
import { Button, Card, Empty, List, Space, Tag, Typography } from "antd";
import { PlayCircleOutlined } from "@ant-design/icons";
import {
  recordingStatusLabel,
  type RecordingStatus,
  type RecordingSubject,
  type RecordingView,
} from "@yilian/contract";
import { api } from "../lib/api";
import { useAsync } from "../lib/useAsync";
import { fmt } from "../lib/dayjs";
import { ErrorAlert } from "./ErrorAlert";

/** m:ss of a recording's duration. */
export function duration(ms: number | null | undefined): string {
  if (!ms) return "—";
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const statusColor: Record<RecordingStatus, string> = {
  RECORDING: "red",
  PROCESSING: "processing",
  READY: "success",
  FAILED: "error",
};

function Player({ rec }: { rec: RecordingView }) {
  const [url, setUrl] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const load = async () => {
    setBusy(true);
    setError(null);
    try {
      const f = await api.recordingVideo(rec.id);
      setUrl(URL.createObjectURL(f.blob));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  if (url)
    return (
      <video
        src={url}
        controls
        autoPlay
        style={{ width: "100%", maxHeight: 320, background: "#000", borderRadius: 6 }}
        data-testid="recording-player"
      />
    );
  return (
    <>
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 8 }} />}
      <Button size="small" icon={<PlayCircleOutlined />} loading={busy} onClick={() => void load()}>
        回放
      </Button>
    </>
  );
}

const titles: Record<RecordingSubject, string> = { CONSULTATION: "会诊录像", TRAINING: "课程回放" };

/**
 * `readyOnly`: only what can be played (a lecture's audience); still followed while one is processing.
 * `emptyText`: shown when there is nothing to list (otherwise the card is left out).
 */
export function RecordingList({
  subject,
  subjectId,
  readyOnly = false,
  emptyText,
}: {
  subject: RecordingSubject;
  subjectId: string;
  readyOnly?: boolean;
  emptyText?: string;
}) {
  const q = useAsync(() => api.recordings(subject, subjectId), [subject, subjectId]);
  const all = q.data?.items ?? [];
  const items = readyOnly ? all.filter((r) => r.status === "READY") : all;
  const busy = all.some((r) => r.status === "RECORDING" || r.status === "PROCESSING");
  // Composition takes a while after stop: follow it until every recording is ready or failed.
  useEffect(() => {
    if (!busy) return;
    const i = setInterval(() => void q.reload(), 4000);
    return () => clearInterval(i);
  }, [busy, q.reload]); // eslint-disable-line react-hooks/exhaustive-deps
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.reload()} />;
  if (!items.length)
    return emptyText && q.data ? <Empty description={emptyText} data-testid="recording-list-empty" /> : null;
  return (
    <Card size="small" title={titles[subject]} data-testid="recording-list">
      <List
        size="small"
        dataSource={items}
        renderItem={(r) => (
          <List.Item data-testid="recording-item" data-status={r.status}>
            <Space orientation="vertical" style={{ width: "100%" }}>
              <Space wrap>
                <Tag color={statusColor[r.status]}>{recordingStatusLabel[r.status]}</Tag>
                <Typography.Text>{fmt(r.startedAt)}</Typography.Text>
                <Typography.Text type="secondary">时长 {duration(r.durationMs)}</Typography.Text>
                {r.status === "FAILED" && r.failureReason && (
                  <Typography.Text type="danger">{r.failureReason}</Typography.Text>
                )}
              </Space>
              {r.status === "READY" && <Player rec={r} />}
            </Space>
          </List.Item>
        )}
      />
    </Card>
  );
}
