// Consultation workspace: the case and its images beside the video call (participants grid with the active
// speaker highlighted, mute / camera / screen share, per-peer network quality, chat) and, for the assigned
// specialist, the report editor. Media goes through the client SDK (createClient → joinRoom → Room).
import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router";
import {
  Alert,
  Badge,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Input,
  List,
  Row,
  Space,
  Spin,
  Tabs,
  Tag,
  Typography,
} from "antd";
import {
  AudioMutedOutlined,
  AudioOutlined,
  DesktopOutlined,
  LogoutOutlined,
  VideoCameraOutlined,
  VideoCameraAddOutlined,
} from "@ant-design/icons";
import {
  newClientRef,
  openDevice,
  type ConnectionQuality,
  type LinkQuality,
  type MediaChatMessage,
  type MediaPeerInfo,
  type RemoteTrack,
  type Room,
} from "@yilian/client-sdk";
import { api } from "../../lib/api";
import { liveClient } from "../../lib/live";
import { useAsync } from "../../lib/useAsync";
import { useConsultationEvents } from "../../lib/realtime";
import { useUser } from "../../lib/session";
import { fmt } from "../../lib/dayjs";
import { ErrorAlert, LoadError } from "../../components/ErrorAlert";
import { UploadCard } from "../../components/UploadPreview";
import { groupSeries } from "../../lib/series";
import { ReportSection } from "../consultations/ReportSection";
import {
  ConsentPrompt,
  RecordingButton,
  RecordingIndicator,
  RecordingProcessing,
  useRoomRecording,
} from "./RecordingControls";

// The SDK's link quality (client-sdk/src/quality.ts, from getStats): the own tile shows this computer's link,
// the others what arrives from each participant. On a poor link the SDK lowers remote cameras to low definition.
type Quality = LinkQuality | "unknown";
const qualityLabel: Record<Quality, { text: string; status: "success" | "warning" | "error" | "default" }> = {
  good: { text: "网络良好", status: "success" },
  poor: { text: "网络较差", status: "warning" },
  lost: { text: "连接中断", status: "error" },
  unknown: { text: "检测中", status: "default" },
};
/** The own link's weak direction, when only one is (the SDK judges each: its remedy differs). */
const directionNote = (q: ConnectionQuality | undefined) =>
  q?.local && q.quality === "poor"
    ? q.receiving === "good"
      ? "（上行）"
      : q.sending === "good"
        ? "（下行）"
        : undefined
    : undefined;
const roleLabel: Record<string, string> = {
  REQUESTER: "申请医生",
  SPECIALIST: "会诊专家",
  COORDINATOR: "协调员",
  LECTURER: "授课专家",
  TRAINEE: "学员",
};

interface PeerMedia {
  camera?: MediaStreamTrack;
  screen?: MediaStreamTrack;
  audio?: MediaStreamTrack;
  cameraMuted?: boolean;
  micMuted?: boolean;
}

function VideoTile({
  track,
  label,
  sub,
  active,
  quality,
  qualityNote,
  lowDefinition,
  muted,
  mirror,
  testId,
}: {
  track?: MediaStreamTrack;
  label: string;
  sub?: string;
  active?: boolean;
  quality?: Quality;
  /** Appended to the quality's text (which direction of the own link is weak). */
  qualityNote?: string;
  lowDefinition?: boolean;
  muted?: boolean;
  mirror?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.srcObject = track ? new MediaStream([track]) : null;
  }, [track]);
  return (
    <div
      data-testid={testId}
      data-active={active ? "true" : "false"}
      style={{
        position: "relative",
        background: "#1f1f1f",
        borderRadius: 8,
        overflow: "hidden",
        aspectRatio: "16 / 9",
        outline: active ? "3px solid #52c41a" : "1px solid #303030",
        outlineOffset: -2,
      }}
    >
      {track ? (
        <video
          ref={ref}
          autoPlay
          playsInline
          muted
          style={{ width: "100%", height: "100%", objectFit: "cover", transform: mirror ? "scaleX(-1)" : undefined }}
        />
      ) : (
        <div
          style={{
            position: "absolute",
            inset: 0,
            display: "flex",
            alignItems: "center",
            justifyContent: "center",
            color: "#8c8c8c",
          }}
        >
          摄像头已关闭
        </div>
      )}
      <div
        style={{
          position: "absolute",
          left: 8,
          bottom: 6,
          right: 8,
          display: "flex",
          justifyContent: "space-between",
          color: "#fff",
          fontSize: 12,
          textShadow: "0 1px 2px #000",
        }}
      >
        <span>
          {muted && <AudioMutedOutlined style={{ color: "#ff7875", marginRight: 4 }} />}
          {label}
          {sub && <span style={{ opacity: 0.8 }}> · {sub}</span>}
        </span>
        <span>
          {lowDefinition && <span style={{ marginRight: 6, opacity: 0.85 }}>低清晰度</span>}
          {quality && (
            <Badge
              data-testid="link-quality"
              data-quality={quality}
              status={qualityLabel[quality].status}
              text={
                <span style={{ color: "#fff", fontSize: 12 }}>
                  {qualityLabel[quality].text}
                  {qualityNote}
                </span>
              }
            />
          )}
        </span>
      </div>
    </div>
  );
}

function AudioSink({ track }: { track: MediaStreamTrack }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.srcObject = new MediaStream([track]);
  }, [track]);
  return <audio ref={ref} autoPlay />;
}

/**
 * The socket holds one media room, and `media:leave` ends whichever peer the socket holds at that moment: a room
 * component unmounted while its join was in flight (StrictMode's double mount, a quick back-and-forward) must not
 * leave after the next instance joined, or it removes that instance's peer. Joins and leaves go through this chain.
 */
let roomChain: Promise<unknown> = Promise.resolve();

export default function VideoRoom() {
  const { id = "" } = useParams();
  const user = useUser();
  const navigate = useNavigate();
  const c = useAsync(() => api.consultation(id), [id]);
  const uploads = useAsync(() => api.uploads(id).catch(() => ({ items: [] })), [id]);
  // The specialist joining starts the consultation (IN_PROGRESS): the report editor opens then.
  useConsultationEvents(() => void c.reload(), id);
  const [room, setRoom] = useState<Room | null>(null);
  const [joinError, setJoinError] = useState<unknown>(null);
  const [joining, setJoining] = useState(true);
  const [peers, setPeers] = useState<MediaPeerInfo[]>([]);
  const [media, setMedia] = useState<Record<string, PeerMedia>>({});
  const [active, setActive] = useState<string | null>(null);
  const [quality, setQuality] = useState<Map<string, ConnectionQuality>>(new Map());
  /** Forwarded spatial layer of each participant's camera (0: low definition). */
  const [layers, setLayers] = useState<Map<string, number | null>>(new Map());
  const [local, setLocal] = useState<{ camera?: MediaStreamTrack; mic: boolean; cam: boolean; screen: boolean }>({
    mic: false,
    cam: false,
    screen: false,
  });
  const [chat, setChat] = useState<MediaChatMessage[]>([]);
  const [draft, setDraft] = useState("");
  // The draft's message name: kept until it is acknowledged, so pressing 发送 again after a failure cannot post it twice.
  const draftRef = useRef<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deviceError, setDeviceError] = useState<unknown>(null);

  useEffect(() => {
    let r: Room | null = null;
    type Opened = PromiseSettledResult<MediaStreamTrack>;
    let devices: Promise<[Opened, Opened]> | undefined;
    const releaseDevices = () =>
      void devices?.then((opened) => opened.forEach((d) => d.status === "fulfilled" && d.value.stop()));
    let cancelled = false;
    let settle!: () => void;
    const joined = new Promise<void>((resolve) => (settle = resolve));
    const update = (peerId: string, f: (m: PeerMedia) => PeerMedia) =>
      setMedia((prev) => ({ ...prev, [peerId]: f(prev[peerId] ?? {}) }));
    const onTrack = (t: RemoteTrack) =>
      update(t.peerId, (m) =>
        t.kind === "audio"
          ? { ...m, audio: t.track, micMuted: t.muted }
          : t.source === "screen"
            ? { ...m, screen: t.track }
            : { ...m, camera: t.track, cameraMuted: t.muted },
      );
    const onEnded = (t: RemoteTrack) =>
      update(t.peerId, (m) =>
        t.kind === "audio"
          ? { ...m, audio: undefined }
          : t.source === "screen"
            ? { ...m, screen: undefined }
            : { ...m, camera: undefined },
      );
    // Not awaited (an effect cannot be async): every failure is caught inside and shown as the join error.
    void (async () => {
      try {
        await roomChain.catch(() => undefined);
        if (cancelled) return;
        // Camera and microphone open while the socket connects and the join runs: the camera's start-up is the
        // slowest step of entering, and the others see this participant as soon as the join is answered.
        devices = Promise.allSettled([openDevice("camera"), openDevice("microphone")]);
        const client = await liveClient();
        r = await client.joinRoom(id);
        settle();
        if (cancelled) return releaseDevices(); // left by the cleanup, in order
        setRoom(r);
        setPeers([...r.peers.values()].filter((p) => p.peerId !== r!.peerId));
        for (const t of r.tracks.values()) onTrack(t);
        r.on("peerJoined", (p) => setPeers((prev) => [...prev.filter((x) => x.peerId !== p.peerId), p]));
        r.on("peerLeft", (p) => {
          setPeers((prev) => prev.filter((x) => x.peerId !== p.peerId));
          setMedia(({ [p.peerId]: _, ...rest }) => rest);
        });
        r.on("track", onTrack);
        r.on("trackEnded", onEnded);
        r.on("mute", (e) =>
          update(e.peerId, (m) =>
            e.source === "microphone"
              ? { ...m, micMuted: e.muted }
              : e.source === "camera"
                ? { ...m, cameraMuted: e.muted }
                : m,
          ),
        );
        r.on("activeSpeaker", (e) => setActive(e.peerId));
        r.on("chat", (m) => setChat((prev) => [...prev.filter((x) => x.id !== m.id), m]));
        r.on("chatWithdrawn", (e) => setChat((prev) => prev.filter((x) => x.id !== e.id)));
        r.on("reconnecting", () => setNotice("网络中断，正在重新连接视频…"));
        r.on("reconnected", () => setNotice(null));
        r.on("closed", ({ reason, message }) =>
          setNotice(
            message ?? (reason === "ended" ? "会诊已结束，视频会议已关闭。" : "视频会议已关闭，请返回会诊详情。"),
          ),
        );
        r.on("error", (e) => setDeviceError(e));
        r.on("connectionQuality", (q: ConnectionQuality) => setQuality((prev) => new Map(prev).set(q.peerId, q)));
        r.on("layers", (e) => setLayers((prev) => new Map(prev).set(e.peerId, e.spatialLayer)));
        // The history loads beside publishing; messages that arrived meanwhile are kept.
        void r
          .chatHistory()
          .then((history) => setChat((prev) => [...history.filter((h) => !prev.some((m) => m.id === h.id)), ...prev]))
          .catch(() => undefined);
        const perms = r.permissions;
        const [cam, mic] = await devices;
        devices = undefined;
        let camera: MediaStreamTrack | undefined;
        try {
          if (cam.status === "rejected") {
            if (perms.camera) setDeviceError(cam.reason);
          } else if (perms.camera) camera = await r.publishCamera({ track: cam.value });
          else cam.value.stop();
          if (mic.status === "rejected") {
            if (perms.microphone) setDeviceError(mic.reason);
          } else if (perms.microphone) await r.publishMicrophone({ track: mic.value });
          else mic.value.stop();
        } catch (e) {
          setDeviceError(e);
        }
        setLocal({ camera, cam: !!camera, mic: perms.microphone && mic.status === "fulfilled", screen: false });
      } catch (e) {
        if (!cancelled) setJoinError(e);
        // A failed join leaves the opened devices unused: release the camera light.
        releaseDevices();
      } finally {
        settle();
        if (!cancelled) setJoining(false);
      }
    })();
    return () => {
      cancelled = true;
      // The next room waits until this one's join has settled and its leave went out.
      roomChain = joined.then(() => r?.leave()).catch(() => undefined);
    };
  }, [id]);

  useEffect(() => {
    if (!room) return;
    // Every 2 s the SDK's peer and track maps are read again so no missed event leaves a participant out of the grid.
    const i = setInterval(() => {
      const others = [...room.peers.values()].filter((p) => p.peerId !== room.peerId);
      setPeers((prev) =>
        prev.length === others.length && prev.every((p) => room.peers.has(p.peerId)) ? prev : others,
      );
      setMedia((prev) => {
        let next = prev;
        for (const t of room.tracks.values()) {
          const m = next[t.peerId] ?? {};
          // Tracks and their muted state: a missed unmute must not leave a participant's tile dark.
          const fresh: PeerMedia =
            t.kind === "audio"
              ? { ...m, audio: t.track, micMuted: t.muted }
              : t.source === "screen"
                ? { ...m, screen: t.track }
                : { ...m, camera: t.track, cameraMuted: t.muted };
          if (
            fresh.audio === m.audio &&
            fresh.screen === m.screen &&
            fresh.camera === m.camera &&
            fresh.micMuted === m.micMuted &&
            fresh.cameraMuted === m.cameraMuted
          )
            continue;
          next = { ...next, [t.peerId]: fresh };
        }
        return next;
      });
    }, 2000);
    return () => clearInterval(i);
  }, [room]);

  const toggle = async (what: "mic" | "cam" | "screen") => {
    if (!room) return;
    try {
      if (what === "mic") {
        if (local.mic) await room.mute("microphone");
        else await room.unmute("microphone");
        setLocal((l) => ({ ...l, mic: !l.mic }));
      } else if (what === "cam") {
        if (local.cam) await room.mute("camera");
        else await room.unmute("camera");
        setLocal((l) => ({ ...l, cam: !l.cam }));
      } else {
        if (local.screen) await room.stopScreenShare();
        else await room.shareScreen();
        setLocal((l) => ({ ...l, screen: !l.screen }));
      }
    } catch (e) {
      setDeviceError(e);
    }
  };
  const send = async () => {
    const text = draft.trim();
    if (!room || !text) return;
    try {
      draftRef.current ??= newClientRef();
      const m = await room.sendChat(text, draftRef.current);
      setChat((prev) => [...prev.filter((x) => x.id !== m.id), m]);
      draftRef.current = null;
      setDraft("");
    } catch (e) {
      setDeviceError(e);
    }
  };
  const leave = async () => {
    await room?.leave().catch(() => undefined);
    void navigate(`/consultations/${id}`); // synchronous under BrowserRouter
  };

  const isSpecialist = !!c.data?.participants.some((p) => p.userId === user.id && p.role === "SPECIALIST");
  // The recorder is a peer of the room without media of its own: it is shown by the indicator, not as a tile.
  const people = useMemo(() => peers.filter((p) => p.role !== "RECORDER"), [peers]);
  const screens = useMemo(() => people.filter((p) => media[p.peerId]?.screen), [people, media]);
  const rec = useRoomRecording(id, user.id, !!room);

  if (c.error) return <LoadError error={c.error} onRetry={c.reload} />;
  const cons = c.data;

  return (
    <Row gutter={16}>
      <Col span={9}>
        <Card
          size="small"
          title={cons ? `${cons.number} · ${cons.patient.name}` : "会诊资料"}
          loading={!cons}
          styles={{ body: { height: "calc(100vh - 150px)", minHeight: 520, overflow: "auto" } }}
        >
          {cons && (
            <Tabs
              size="small"
              items={[
                {
                  key: "case",
                  label: "病情",
                  children: (
                    <Descriptions column={1} size="small">
                      <Descriptions.Item label="主诉">{cons.chiefComplaint || "—"}</Descriptions.Item>
                      <Descriptions.Item label="病史">{cons.history || "—"}</Descriptions.Item>
                      <Descriptions.Item label="检查">{cons.examinations || "—"}</Descriptions.Item>
                      <Descriptions.Item label="初步诊断">{cons.preliminaryDiagnosis || "—"}</Descriptions.Item>
                      <Descriptions.Item label="会诊目的">{cons.question || "—"}</Descriptions.Item>
                    </Descriptions>
                  ),
                },
                {
                  key: "images",
                  label: `影像（${uploads.data?.items.length ?? 0}）`,
                  children: uploads.data?.items.length ? (
                    <Space wrap>
                      {groupSeries(uploads.data.items).map((g) =>
                        "items" in g ? (
                          <Space key={g.key} orientation="vertical" size={4} data-testid="series-card">
                            <UploadCard upload={g.items[0]!} />
                            <Typography.Text type="secondary">
                              {g.modality ?? "DICOM"} 序列 · {g.items.length} 张
                            </Typography.Text>
                          </Space>
                        ) : (
                          <UploadCard key={g.id} upload={g} />
                        ),
                      )}
                    </Space>
                  ) : (
                    <Empty description="没有上传资料" image={Empty.PRESENTED_IMAGE_SIMPLE} />
                  ),
                },
                ...(isSpecialist
                  ? [
                      {
                        key: "report",
                        label: "会诊报告",
                        children: (
                          <ReportSection
                            c={cons}
                            canEdit={cons.status === "IN_PROGRESS"}
                            canAmend={false}
                            reload={() => void c.reload()}
                          />
                        ),
                      },
                    ]
                  : []),
              ]}
            />
          )}
        </Card>
      </Col>
      <Col span={15}>
        <Card
          size="small"
          title={
            <Space>
              视频会诊
              <Tag color={room ? "green" : "default"}>
                {room ? `已连接 · ${people.length + 1} 人` : joining ? "正在连接…" : "未连接"}
              </Tag>
              {room && <RecordingIndicator rec={rec} />}
            </Space>
          }
          extra={
            <Space>
              {room && isSpecialist && <RecordingButton rec={rec} />}
              <Button danger icon={<LogoutOutlined />} onClick={() => void leave()}>
                离开
              </Button>
            </Space>
          }
          styles={{
            body: { height: "calc(100vh - 150px)", minHeight: 520, display: "flex", flexDirection: "column", gap: 8 },
          }}
        >
          {joinError !== null && <ErrorAlert error={joinError} />}
          {deviceError !== null && <ErrorAlert error={deviceError} />}
          {notice && <Alert type="warning" showIcon title={notice} />}
          <RecordingProcessing rec={rec} />
          {room && <ConsentPrompt rec={rec} />}
          <Spin spinning={joining} description="正在进入视频会诊…">
            <div
              style={{ display: "grid", gridTemplateColumns: screens.length ? "1fr" : "repeat(2, 1fr)", gap: 8 }}
              data-testid="video-grid"
            >
              {screens.map((p) => (
                <VideoTile
                  key={`${p.peerId}-screen`}
                  track={media[p.peerId]?.screen}
                  label={`${p.displayName} 的屏幕共享`}
                  testId="screen-tile"
                />
              ))}
              <VideoTile
                track={local.cam ? local.camera : undefined}
                label={`${user.displayName}（我）`}
                muted={!local.mic}
                mirror
                active={active === room?.peerId}
                quality={room ? (quality.get(room.peerId)?.quality ?? "unknown") : undefined}
                qualityNote={room ? directionNote(quality.get(room.peerId)) : undefined}
                testId="local-tile"
              />
              {people.map((p) => (
                <VideoTile
                  key={p.peerId}
                  track={media[p.peerId]?.cameraMuted ? undefined : media[p.peerId]?.camera}
                  label={p.displayName}
                  sub={roleLabel[p.role] ?? p.role}
                  active={active === p.peerId}
                  quality={quality.get(p.peerId)?.quality ?? "unknown"}
                  lowDefinition={layers.get(p.peerId) === 0}
                  muted={media[p.peerId]?.micMuted}
                  testId="remote-tile"
                />
              ))}
            </div>
          </Spin>
          {Object.entries(media).map(([pid, m]) => m.audio && <AudioSink key={pid} track={m.audio} />)}
          <Space style={{ justifyContent: "center", width: "100%" }}>
            <Button
              icon={local.mic ? <AudioOutlined /> : <AudioMutedOutlined />}
              onClick={() => void toggle("mic")}
              disabled={!room?.permissions.microphone}
              danger={!local.mic}
            >
              {local.mic ? "静音" : "取消静音"}
            </Button>
            <Button
              icon={local.cam ? <VideoCameraOutlined /> : <VideoCameraAddOutlined />}
              onClick={() => void toggle("cam")}
              disabled={!room?.permissions.camera || !local.camera}
            >
              {local.cam ? "关闭摄像头" : "打开摄像头"}
            </Button>
            <Button
              icon={<DesktopOutlined />}
              onClick={() => void toggle("screen")}
              disabled={!room?.permissions.screen}
              type={local.screen ? "primary" : "default"}
            >
              {local.screen ? "停止共享" : "共享屏幕"}
            </Button>
          </Space>
          <div
            style={{
              flex: 1,
              minHeight: 120,
              display: "flex",
              flexDirection: "column",
              border: "1px solid #f0f0f0",
              borderRadius: 6,
            }}
          >
            <List
              size="small"
              style={{ flex: 1, overflow: "auto" }}
              dataSource={chat}
              locale={{ emptyText: "暂无聊天消息" }}
              renderItem={(m) => (
                <List.Item style={{ padding: "4px 12px", justifyContent: "flex-start", gap: 6 }}>
                  <Typography.Text strong>{m.senderName}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {fmt(m.sentAt, "HH:mm")}
                  </Typography.Text>
                  <span data-testid="chat-message">{m.text}</span>
                </List.Item>
              )}
            />
            <Space.Compact style={{ padding: 8 }}>
              <Input
                value={draft}
                onChange={(e) => {
                  draftRef.current = null; // an edited draft is a new message
                  setDraft(e.target.value);
                }}
                onPressEnter={() => void send()}
                placeholder="输入消息，回车发送"
                disabled={!room?.permissions.chat}
                maxLength={2000}
                aria-label="聊天消息"
              />
              <Button type="primary" onClick={() => void send()} disabled={!draft.trim() || !room}>
                发送
              </Button>
            </Space.Compact>
          </div>
        </Card>
      </Col>
    </Row>
  );
}
