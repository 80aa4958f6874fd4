// The live lecture: the lecturer's camera and screen/slides, raise hand, promotion to speak, Q&A with moderation,
// recording by the lecturer with the 录制中 indicator for everyone.
import { useEffect, useMemo, useRef, useState } from "react";
import { Badge, Button, Card, Col, Input, List, Row, Space, Tag, Typography } from "antd";
import { AudioOutlined, DesktopOutlined, PushpinOutlined } from "@ant-design/icons";
import type { TrainingHandView, TrainingJoinInfo, TrainingQuestionView, TrainingSessionView } from "@yilian/contract";
import type { RemoteTrack, Room, YilianClient } from "@yilian/client-sdk";
import { liveClient } from "../../lib/live";
import { useUser } from "../../lib/session";
import { fmt } from "../../lib/dayjs";
import { errorText } from "../../lib/errors";
import { ErrorAlert } from "../../components/ErrorAlert";
import { RecordingButton, RecordingIndicator, RecordingProcessing, useRoomRecording } from "../room/RecordingControls";
import { useToast } from "../../lib/toast";

function Video({ track, label, testId }: { track?: MediaStreamTrack; label: string; testId?: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.srcObject = track ? new MediaStream([track]) : null;
  }, [track]);
  return (
    <div
      style={{
        position: "relative",
        background: "#141414",
        borderRadius: 8,
        overflow: "hidden",
        aspectRatio: "16 / 9",
      }}
      data-testid={testId}
    >
      {track ? (
        <video ref={ref} autoPlay playsInline muted style={{ width: "100%", height: "100%", objectFit: "contain" }} />
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
          等待授课画面…
        </div>
      )}
      <span
        style={{ position: "absolute", left: 8, bottom: 6, color: "#fff", fontSize: 12, textShadow: "0 1px 2px #000" }}
      >
        {label}
      </span>
    </div>
  );
}

export function TrainingLive({ s, onEnded }: { s: TrainingSessionView; onEnded: () => void }) {
  const message = useToast();
  const [info, setInfo] = useState<TrainingJoinInfo | null>(null);
  const [room, setRoom] = useState<Room | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tracks, setTracks] = useState<RemoteTrack[]>([]);
  const [questions, setQuestions] = useState<TrainingQuestionView[]>([]);
  const [hands, setHands] = useState<TrainingHandView[]>([]);
  const [speakers, setSpeakers] = useState<string[]>([]);
  const [ask, setAsk] = useState("");
  const [answer, setAnswer] = useState<Record<string, string>>({});
  const [myHand, setMyHand] = useState(false);
  const [local, setLocal] = useState<{ camera?: MediaStreamTrack; screen?: MediaStreamTrack }>({});
  const user = useUser();
  // Requests go through the SDK's live client, loaded on demand.
  const client = useMemo(
    () => ({
      request: async <T,>(event: Parameters<YilianClient["request"]>[0], ...payload: unknown[]) =>
        (await liveClient()).request<T>(event, ...payload),
    }),
    [],
  );
  const moderator = info?.role === "LECTURER" || info?.role === "MODERATOR";
  const me = s.me;
  // Recording: the lecturer starts and stops it; everyone in the lecture sees whether it runs.
  const rec = useRoomRecording(s.id, user.id, !!room, "TRAINING");

  useEffect(() => {
    let r: Room | null = null;
    let stop = false;
    let sock: YilianClient["socket"] | null = null;
    const onQ = (q: TrainingQuestionView) =>
      q.sessionId === s.id && setQuestions((prev) => [q, ...prev.filter((x) => x.id !== q.id)]);
    const onQR = (e: { sessionId: string; questionId: string }) =>
      e.sessionId === s.id && setQuestions((prev) => prev.filter((x) => x.id !== e.questionId));
    const onHand = (h: TrainingHandView) =>
      h.sessionId === s.id &&
      setHands((prev) =>
        [...prev.filter((x) => x.user.id !== h.user.id), h].filter(
          (x) => x.status === "RAISED" || x.status === "PROMOTED",
        ),
      );
    const onSpeaker = (e: { sessionId: string; userId: string; speaking: boolean }) => {
      if (e.sessionId !== s.id) return;
      setSpeakers((prev) => (e.speaking ? [...new Set([...prev, e.userId])] : prev.filter((x) => x !== e.userId)));
    };
    const onStatus = (e: { sessionId: string; status: string }) =>
      e.sessionId === s.id && e.status === "ENDED" && onEnded();
    // Not awaited (an effect cannot be async): every failure is caught inside and shown on the page.
    void (async () => {
      try {
        const live = await liveClient();
        if (stop) return;
        sock = live.socket;
        sock.on("training:question", onQ);
        sock.on("training:question-removed", onQR);
        sock.on("training:hand", onHand);
        sock.on("training:speaker", onSpeaker);
        sock.on("training:status", onStatus);
        const joined = await live.request<TrainingJoinInfo>("training:join", { sessionId: s.id });
        if (stop) return;
        setInfo(joined);
        setQuestions(joined.questions);
        setHands(joined.hands.filter((h) => h.status === "RAISED" || h.status === "PROMOTED"));
        setSpeakers(joined.speakers);
        r = await live.joinRoom(s.id, { kind: "training" });
        if (stop) return void r.leave();
        setRoom(r);
        setTracks([...r.tracks.values()]);
        r.on("track", (t) => setTracks((prev) => [...prev.filter((x) => x.consumerId !== t.consumerId), t]));
        r.on("trackEnded", (t) => setTracks((prev) => prev.filter((x) => x.consumerId !== t.consumerId)));
        // Ended by the lecturer: training:status takes the page out of the live view. Anything else is a fault.
        r.on("closed", ({ reason, message }) => {
          if (reason !== "ended" && reason !== "left")
            setError({ code: "UNAVAILABLE", message: message ?? "直播连接已中断，请刷新页面重新进入。" });
        });
        if (joined.role === "LECTURER") {
          const camera = await r.publishCamera();
          await r.publishMicrophone();
          setLocal({ camera });
        }
      } catch (e) {
        setError(e);
      }
    })();
    return () => {
      stop = true;
      const so = sock as YilianClient["socket"] | null;
      so?.off("training:question", onQ);
      so?.off("training:question-removed", onQR);
      so?.off("training:hand", onHand);
      so?.off("training:speaker", onSpeaker);
      so?.off("training:status", onStatus);
      void r?.leave().catch(() => undefined);
      void client.request("training:leave", { sessionId: s.id }).catch(() => undefined);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [s.id]);

  // Promoted to speak: publish the microphone; demoted: stop it (the server checks every produce).
  const speaking = !!info && !moderator && speakers.includes(user.id);
  useEffect(() => {
    if (!room || moderator) return;
    if (speaking) {
      room.updatePermissions({ ...room.permissions, microphone: true });
      void room.publishMicrophone().catch((e) => setError(e));
    } else if (room.permissions.microphone) {
      void room.unpublish("microphone").catch(() => undefined);
      room.updatePermissions({ ...room.permissions, microphone: false });
    }
  }, [speaking, room, moderator]);

  const act = async (fn: () => Promise<unknown>, ok?: string) => {
    try {
      await fn();
      if (ok) message.success(ok);
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const lecturerVideo = tracks.find((t) => t.kind === "video" && t.source === "camera");
  const screen = local.screen ?? tracks.find((t) => t.source === "screen")?.track;
  const audio = tracks.filter((t) => t.kind === "audio");

  return (
    <Row gutter={16}>
      <Col span={15}>
        <Space orientation="vertical" style={{ width: "100%" }}>
          {error !== null && <ErrorAlert error={error} />}
          {screen && <Video track={screen} label="课件 / 屏幕共享" testId="training-screen" />}
          <Video
            track={local.camera ?? lecturerVideo?.track}
            label={s.lecturers.map((l) => l.displayName).join("、") || "授课专家"}
            testId="training-video"
          />
          {audio.map((a) => (
            <audio key={a.consumerId} autoPlay ref={(el) => void (el && (el.srcObject = new MediaStream([a.track])))} />
          ))}
          <Space>
            {info?.role === "LECTURER" && room && (
              <Button
                icon={<DesktopOutlined />}
                onClick={() =>
                  void act(async () => {
                    if (local.screen) {
                      await room.stopScreenShare();
                      setLocal((l) => ({ ...l, screen: undefined }));
                    } else {
                      const t = await room.shareScreen();
                      setLocal((l) => ({ ...l, screen: t }));
                    }
                  })
                }
              >
                {local.screen ? "停止共享课件" : "共享课件 / 屏幕"}
              </Button>
            )}
            {!moderator && info && (
              <Button
                icon={<AudioOutlined />}
                type={myHand ? "primary" : "default"}
                onClick={() =>
                  void act(
                    async () => {
                      if (myHand) await client.request("training:hand-lower", { sessionId: s.id });
                      else await client.request("training:hand-raise", { sessionId: s.id });
                      setMyHand(!myHand);
                    },
                    myHand ? "已放下举手" : "已举手，等待授课专家邀请发言",
                  )
                }
                data-testid="raise-hand"
              >
                {myHand ? "放下手" : "举手发言"}
              </Button>
            )}
            {info?.role === "LECTURER" && room && <RecordingButton rec={rec} />}
            {speaking && <Tag color="green">您已获邀发言，麦克风已打开</Tag>}
            <Tag color={room ? "green" : "default"}>{room ? "已连接直播" : "正在连接…"}</Tag>
            {room && <RecordingIndicator rec={rec} />}
          </Space>
          {info?.role === "LECTURER" && <RecordingProcessing rec={rec} />}
        </Space>
      </Col>
      <Col span={9}>
        <Space orientation="vertical" style={{ width: "100%" }}>
          {moderator && (
            <Card
              size="small"
              title={
                <Space>
                  举手
                  <Badge count={hands.filter((h) => h.status === "RAISED").length} />
                </Space>
              }
            >
              <List
                size="small"
                dataSource={hands}
                locale={{ emptyText: "暂无举手" }}
                renderItem={(h) => (
                  <List.Item
                    data-testid="hand-item"
                    actions={[
                      h.status === "PROMOTED" ? (
                        <Button
                          key="d"
                          size="small"
                          onClick={() =>
                            void act(() => client.request("training:demote", { sessionId: s.id, userId: h.user.id }))
                          }
                        >
                          结束发言
                        </Button>
                      ) : (
                        <Button
                          key="p"
                          size="small"
                          type="primary"
                          onClick={() =>
                            void act(
                              () => client.request("training:promote", { sessionId: s.id, userId: h.user.id }),
                              `已邀请 ${h.user.displayName} 发言`,
                            )
                          }
                        >
                          邀请发言
                        </Button>
                      ),
                    ]}
                  >
                    {h.user.displayName}
                    <Typography.Text type="secondary"> · {h.user.institutionName}</Typography.Text>
                    {h.status === "PROMOTED" && (
                      <Tag color="green" style={{ marginLeft: 6 }}>
                        发言中
                      </Tag>
                    )}
                  </List.Item>
                )}
              />
            </Card>
          )}
          <Card size="small" title="问答">
            <List
              size="small"
              style={{ maxHeight: 320, overflow: "auto" }}
              dataSource={questions}
              locale={{ emptyText: "还没有提问" }}
              renderItem={(q) => (
                <List.Item style={{ display: "block" }} data-testid="question">
                  <div>
                    {q.pinned && <PushpinOutlined style={{ color: "#1677ff", marginRight: 4 }} />}
                    <Typography.Text strong>{q.author.displayName}</Typography.Text>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {" "}
                      · {fmt(q.createdAt, "HH:mm")}
                    </Typography.Text>
                    {q.status === "HIDDEN" && <Tag style={{ marginLeft: 6 }}>已隐藏</Tag>}
                  </div>
                  <div>{q.text}</div>
                  {q.answer && <div style={{ color: "#389e0d" }}>答：{q.answer}</div>}
                  {moderator && (
                    <Space size={4} style={{ marginTop: 4 }}>
                      <Input
                        size="small"
                        placeholder="回答"
                        value={answer[q.id] ?? ""}
                        onChange={(e) => setAnswer((a) => ({ ...a, [q.id]: e.target.value }))}
                        style={{ width: 160 }}
                      />
                      <Button
                        size="small"
                        disabled={!answer[q.id]?.trim()}
                        onClick={() =>
                          void act(() =>
                            client.request("training:moderate", {
                              questionId: q.id,
                              action: "answer",
                              answer: answer[q.id]!.trim(),
                            }),
                          )
                        }
                      >
                        回答
                      </Button>
                      <Button
                        size="small"
                        onClick={() =>
                          void act(() =>
                            client.request("training:moderate", {
                              questionId: q.id,
                              action: q.pinned ? "unpin" : "pin",
                            }),
                          )
                        }
                      >
                        {q.pinned ? "取消置顶" : "置顶"}
                      </Button>
                      <Button
                        size="small"
                        onClick={() =>
                          void act(() =>
                            client.request("training:moderate", {
                              questionId: q.id,
                              action: q.status === "HIDDEN" ? "show" : "hide",
                            }),
                          )
                        }
                      >
                        {q.status === "HIDDEN" ? "显示" : "隐藏"}
                      </Button>
                    </Space>
                  )}
                </List.Item>
              )}
            />
            {!me.lecturer && (
              <Space.Compact style={{ width: "100%", marginTop: 8 }}>
                <Input
                  value={ask}
                  onChange={(e) => setAsk(e.target.value)}
                  maxLength={500}
                  placeholder="输入问题，回车提交"
                  aria-label="提问"
                  onPressEnter={() =>
                    ask.trim() &&
                    void act(
                      async () => (
                        await client.request("training:ask", { sessionId: s.id, text: ask.trim() }), setAsk("")
                      ),
                    )
                  }
                />
                <Button
                  type="primary"
                  disabled={!ask.trim()}
                  onClick={() =>
                    void act(
                      async () => (
                        await client.request("training:ask", { sessionId: s.id, text: ask.trim() }), setAsk("")
                      ),
                    )
                  }
                >
                  提问
                </Button>
              </Space.Compact>
            )}
          </Card>
        </Space>
      </Col>
    </Row>
  );
}
