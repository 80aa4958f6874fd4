// Recording in a live room (a consultation's video room, a training lecture): the indicator every participant
// sees, the start / stop of the specialist or the lecturer, the consent prompt of consultations (rule in
// contract/src/recording.ts: the patient's consent confirmed by the specialist, then every participant present
// agrees before anything is recorded; a refusal cancels it, or stops a running recording when it comes from someone
// who entered later; a lecture is recorded by its lecturer for the audience's playback, without asking), and the
// processing state after stop. Live through the room's Socket.IO events (recording:consent, recording:changed);
// processing is followed by polling the recording.
import { useCallback, useEffect, useRef, useState } from "react";
import { Alert, Badge, Button, Checkbox, Modal, Space, Tag, Tooltip, Typography } from "antd";
import { StopOutlined, VideoCameraOutlined } from "@ant-design/icons";
import {
  recordingStatusLabel,
  type RecordingChangedEvent,
  type RecordingConsentView,
  type RecordingRoomState,
  type RecordingSubject,
  type RecordingView,
} from "@yilian/contract";
import { api } from "../../lib/api";
import { liveClient } from "../../lib/live";
import { errorText } from "../../lib/errors";
import { duration } from "../../components/RecordingList";
import { useToast } from "../../lib/toast";

/** A lecture's state: its running recording, if any (no consent requests for training). */
async function trainingRecordingState(sessionId: string): Promise<RecordingRoomState> {
  const running = (await api.recordings("TRAINING", sessionId)).items.find((r) => r.status === "RECORDING");
  return { request: null, recording: running ? { ...running, agreedUserIds: [] } : null };
}

/** The room's recording state, kept current from the socket; `joined` re-reads it once the room is entered. */
export function useRoomRecording(
  subjectId: string,
  userId: string,
  joined: boolean,
  subject: RecordingSubject = "CONSULTATION",
) {
  const message = useToast();
  const [state, setState] = useState<RecordingRoomState>({ request: null, recording: null });
  /** The last recording stopped here, followed until processed. */
  const [stopped, setStopped] = useState<RecordingView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const msg = useRef(message);
  msg.current = message;

  const reload = useCallback(async () => {
    try {
      setState(
        subject === "CONSULTATION" ? await api.recordingRoomState(subjectId) : await trainingRecordingState(subjectId),
      );
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [subject, subjectId]);

  useEffect(() => {
    if (!joined) return;
    void reload();
    let off = () => {};
    let gone = false;
    void liveClient().then(({ socket }) => {
      if (gone) return;
      const onConsent = (v: RecordingConsentView) => {
        if (v.subjectId !== subjectId) return;
        setState((s) => ({ ...s, request: v }));
        // Everyone hears how a request ended; the answers themselves are on the indicator's tooltip.
        if (v.status === "DECLINED") {
          const who = v.participants
            .filter((p) => p.answer === "DECLINED")
            .map((p) => p.name)
            .join("、");
          msg.current.warning({ content: `${who} 不同意录像，本次未开始录制`, duration: 8 });
        } else if (v.status === "EXPIRED") msg.current.warning("参与者未在 2 分钟内全部同意，本次未开始录制");
        else if (v.status === "FAILED") msg.current.error("录像启动失败，请稍后重试");
        if (v.status !== "PENDING") void reload();
      };
      const onChanged = (e: RecordingChangedEvent) => {
        if (e.recording.subjectId !== subjectId) return;
        if (e.recording.status === "RECORDING") void reload();
        else {
          setState((s) => ({ ...s, recording: s.recording?.id === e.recording.id ? null : s.recording }));
          if (e.recording.status === "PROCESSING") setStopped(e.recording);
        }
        if (e.reason) msg.current.warning({ content: e.reason, duration: 8 });
      };
      socket.on("recording:consent", onConsent);
      socket.on("recording:changed", onChanged);
      off = () => {
        socket.off("recording:consent", onConsent);
        socket.off("recording:changed", onChanged);
      };
    });
    return () => {
      gone = true;
      off();
    };
  }, [subjectId, joined, reload]);

  // After stop: the `recording` job composes the MP4; follow it until READY or FAILED.
  useEffect(() => {
    if (!stopped || stopped.status === "READY" || stopped.status === "FAILED") return;
    const i = setInterval(() => {
      void api.recording(stopped.id).then(
        (r) => r.status !== stopped.status && setStopped(r),
        () => undefined,
      );
    }, 3000);
    return () => clearInterval(i);
  }, [stopped]);

  const request =
    state.request?.status === "PENDING" && Date.parse(state.request.expiresAt) > Date.now() ? state.request : null;
  const askMe = request?.participants.find((p) => p.userId === userId && p.answer === "PENDING") ? request : null;
  const running = state.recording;
  const askRunning = subject === "CONSULTATION" && running && !running.agreedUserIds.includes(userId) ? running : null;
  return {
    subject,
    subjectId,
    state,
    request,
    running,
    askMe,
    askRunning,
    stopped,
    setStopped,
    error,
    reload,
    setState,
  };
}

type RoomRecording = ReturnType<typeof useRoomRecording>;

/** Header tag: red dot 录制中 while recording, the consent count while asking, 未录制 otherwise. */
export function RecordingIndicator({ rec }: { rec: RoomRecording }) {
  const training = rec.subject === "TRAINING";
  if (rec.running)
    return (
      <Tooltip
        title={`录制开始于 ${new Date(rec.running.startedAt).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false })}，${training ? "课程录像供本培训的学员回放" : "所有在场参与者均已同意"}`}
      >
        <Tag color="red" data-testid="recording-indicator" data-state="recording">
          <Badge status="error" style={{ marginRight: 4 }} />
          录制中
        </Tag>
      </Tooltip>
    );
  if (rec.request) {
    const agreed = rec.request.participants.filter((p) => p.answer === "AGREED").length;
    return (
      <Tooltip
        title={rec.request.participants
          .map((p) => `${p.name}：${p.answer === "AGREED" ? "已同意" : "待确认"}`)
          .join("；")}
      >
        <Tag color="orange" data-testid="recording-indicator" data-state="asking">
          等待录像同意（{agreed}/{rec.request.participants.length}）
        </Tag>
      </Tooltip>
    );
  }
  return (
    <Tooltip
      title={
        training
          ? "授课专家可录制本次课程，供本培训的学员回放。"
          : "录像须患者知情同意，并经所有在场参与者同意后才开始。"
      }
    >
      <Tag data-testid="recording-indicator" data-state="off">
        未录制
      </Tag>
    </Tooltip>
  );
}

/**
 * Start / stop. A consultation (the specialist): starting asks for the patient's consent first, then everyone
 * present. A lecture (the lecturer): starts at once; the audience sees the indicator.
 */
export function RecordingButton({ rec }: { rec: RoomRecording }) {
  const message = useToast();
  const [open, setOpen] = useState(false);
  const [patientConsent, setPatientConsent] = useState(false);
  const [busy, setBusy] = useState(false);
  /** Runs one action with the button busy; a failure says what to do. */
  const run = (action: () => Promise<void>) => async () => {
    setBusy(true);
    try {
      await action();
    } catch (e) {
      message.error({ content: errorText(e), duration: 6 });
    } finally {
      setBusy(false);
    }
  };
  const ask = run(async () => {
    const v = await api.requestRecordingConsent(rec.subjectId);
    rec.setState((s) => ({ ...s, request: v }));
    setOpen(false);
    setPatientConsent(false);
    if (v.status === "STARTED") message.success("已开始录制");
    else message.info("已向在场参与者征求录像同意，全部同意后自动开始录制");
    await rec.reload();
  });
  const startLecture = run(async () => {
    await api.startRecording({ subject: "TRAINING", subjectId: rec.subjectId });
    message.success("已开始录制，课程录像供本培训的学员回放");
    await rec.reload();
  });
  const stop = run(async () => {
    if (!rec.running) return;
    const r = await api.stopRecording(rec.running.id);
    rec.setStopped(r);
    rec.setState((s) => ({ ...s, recording: null }));
  });
  if (rec.running)
    return (
      <Button danger icon={<StopOutlined />} loading={busy} onClick={() => void stop()} data-testid="recording-stop">
        停止录制
      </Button>
    );
  if (rec.subject === "TRAINING")
    return (
      <Button
        icon={<VideoCameraOutlined />}
        loading={busy}
        onClick={() => void startLecture()}
        data-testid="recording-start"
      >
        开始录制
      </Button>
    );
  return (
    <>
      <Button
        icon={<VideoCameraOutlined />}
        disabled={!!rec.request}
        loading={busy}
        onClick={() => setOpen(true)}
        data-testid="recording-start"
      >
        {rec.request ? "等待同意…" : "开始录制"}
      </Button>
      <Modal
        open={open}
        title="开始录制会诊"
        okText="征求同意并录制"
        cancelText="取消"
        okButtonProps={{ disabled: !patientConsent, loading: busy, ...{ "data-testid": "recording-request" } }}
        onOk={() => void ask()}
        onCancel={() => setOpen(false)}
      >
        <Space orientation="vertical">
          <Typography.Paragraph style={{ marginBottom: 0 }}>
            录像将保存在本次会诊记录中，仅限有权查看本会诊的人员回放，每次回放均留有审计记录。
          </Typography.Paragraph>
          <Typography.Paragraph style={{ marginBottom: 0 }}>
            开始前将征求在场所有参与者的同意：全部同意后才开始录制，任何一位不同意则不录制。
          </Typography.Paragraph>
          <Checkbox
            checked={patientConsent}
            onChange={(e) => setPatientConsent(e.target.checked)}
            data-testid="patient-consent"
          >
            患者（或其监护人）已知情同意本次会诊录像
          </Checkbox>
        </Space>
      </Modal>
    </>
  );
}

/** Asks this participant: a pending request, or a recording that was already running when they entered. */
export function ConsentPrompt({ rec }: { rec: RoomRecording }) {
  const message = useToast();
  const [busy, setBusy] = useState<"agree" | "decline" | null>(null);
  const request = rec.askMe;
  const running = request ? null : rec.askRunning;
  if (!request && !running) return null;
  const answer = async (agree: boolean) => {
    setBusy(agree ? "agree" : "decline");
    try {
      if (request) {
        const v = await api.answerRecordingConsent(request.id, agree);
        rec.setState((s) => ({ ...s, request: v }));
      } else if (running) rec.setState(await api.answerRunningRecording(running.id, agree));
      if (!agree) message.info(running ? "您不同意录像，录像已停止" : "您不同意录像，本次不录制");
      await rec.reload();
    } catch (e) {
      message.error({ content: errorText(e), duration: 6 });
      await rec.reload();
    } finally {
      setBusy(null);
    }
  };
  return (
    <Modal
      open
      closable={false}
      mask={{ closable: false }}
      keyboard={false}
      title="录像知情同意"
      footer={
        <Space>
          <Button
            onClick={() => void answer(false)}
            loading={busy === "decline"}
            disabled={!!busy}
            data-testid="consent-decline"
          >
            {running ? "不同意（录像将停止）" : "不同意"}
          </Button>
          <Button
            type="primary"
            onClick={() => void answer(true)}
            loading={busy === "agree"}
            disabled={!!busy}
            data-testid="consent-agree"
          >
            同意录制
          </Button>
        </Space>
      }
    >
      <div data-testid="consent-prompt">
        {request ? (
          <Typography.Paragraph>
            会诊专家 <Typography.Text strong>{request.requestedBy.name}</Typography.Text>{" "}
            请求录制本次视频会诊（患者已知情同意）。
          </Typography.Paragraph>
        ) : (
          <Typography.Paragraph>本次视频会诊正在录像（患者已知情同意，其他参与者均已同意）。</Typography.Paragraph>
        )}
        <Typography.Paragraph>
          录像将保存在本次会诊记录中，仅限有权查看本会诊的人员回放，每次回放均留有审计记录。
        </Typography.Paragraph>
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
          {request
            ? "所有在场参与者同意后才开始录制；您不同意则本次不录制。"
            : "您不同意则录像立即停止；您也可以离开本次视频会诊。"}
        </Typography.Paragraph>
      </div>
    </Modal>
  );
}

/** After stop: the processing state until the MP4 is ready (or failed). */
export function RecordingProcessing({ rec }: { rec: RoomRecording }) {
  const r = rec.stopped;
  if (!r) return null;
  const onClose = () => rec.setStopped(null);
  if (r.status === "READY")
    return (
      <Alert
        type="success"
        showIcon
        closable={{ onClose }}
        data-testid="recording-processing"
        data-state="READY"
        title={`录像已处理完成（时长 ${duration(r.durationMs)}），${rec.subject === "TRAINING" ? "学员可在本培训的「课程回放」中观看" : "可在会诊详情页回放"}`}
      />
    );
  if (r.status === "FAILED")
    return (
      <Alert
        type="error"
        showIcon
        closable={{ onClose }}
        data-testid="recording-processing"
        data-state="FAILED"
        title={`录像处理失败：${r.failureReason ?? "请联系管理员"}`}
      />
    );
  return (
    <Alert
      type="info"
      showIcon
      data-testid="recording-processing"
      data-state={r.status}
      title={`录像已停止，${recordingStatusLabel.PROCESSING}：正在生成录像文件…`}
    />
  );
}
