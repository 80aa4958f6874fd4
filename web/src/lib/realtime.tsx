// Live connection (Socket.IO, the public realtime API): connection state for the reconnecting banner, the
// notification centre, and a subscription hook for screens that refresh on consultation events.
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import {
  CONSULTATION_EVENTS,
  consultationStatusLabel,
  urgencyLabel,
  type ConsultationEvent,
  type ConsultationEventName,
} from "@yilian/contract";
import type { YilianSocket } from "@yilian/client-sdk";
import { closeLiveClient, liveClient } from "./live";

export type YSocket = YilianSocket;
export type ConnectionState = "connecting" | "connected" | "reconnecting";

export interface ConsoleNotification {
  id: string;
  at: string;
  title: string;
  body?: string;
  link?: string;
  read: boolean;
}

const eventTitle: Partial<Record<ConsultationEventName, string>> & Record<string, string> = {
  "consultation:queued": "有新的会诊申请待分诊",
  "consultation:submitted": "会诊申请已提交",
  "consultation:accepted": "会诊申请已受理",
  "consultation:returned": "会诊申请被退回补充",
  "consultation:rejected": "会诊申请被拒绝",
  "consultation:cancelled": "会诊申请已取消",
  "consultation:scheduled": "会诊已排期",
  "consultation:rescheduled": "会诊时间已调整",
  "consultation:starting-soon": "会诊即将开始",
  "consultation:paged": "急诊会诊：请立即进入视频会诊",
  "consultation:started": "会诊已开始",
  "consultation:report-signed": "会诊报告已签发",
  "consultation:report-amended": "会诊报告已修订",
  "consultation:closed": "会诊已结束",
  "consultation:sla-escalation": "会诊申请即将超时，请尽快处理",
  "consultation:expired": "会诊申请已过期",
};

interface RealtimeValue {
  state: ConnectionState;
  socket: YSocket | null;
  notifications: ConsoleNotification[];
  markAllRead(): void;
  /** Subscribe to consultation events (any name) — returns the unsubscribe function. */
  onConsultation(cb: (name: ConsultationEventName, e: ConsultationEvent) => void): () => void;
}

const RealtimeContext = createContext<RealtimeValue | null>(null);

export function RealtimeProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<ConnectionState>("connecting");
  const [socket, setSocket] = useState<YSocket | null>(null);
  const [notifications, setNotifications] = useState<ConsoleNotification[]>([]);
  const subscribers = useRef(new Set<(name: ConsultationEventName, e: ConsultationEvent) => void>());

  useEffect(() => {
    let s: YSocket | null = null;
    let unmounted = false;
    // The SDK presents a fresh access token on every (re)connect.
    void liveClient().then((client) => {
      if (unmounted) return;
      s = client.socket;
      wire(s);
    });
    const wire = (s: YSocket) => {
      setSocket(s);
      if (s.connected) setState("connected");
      s.on("connect", () => setState("connected"));
      s.on("disconnect", (reason) => {
        setState("reconnecting");
        // Socket.IO does not retry after a server-side disconnect (restart, revoked token refreshed since): retry.
        if (reason === "io server disconnect") setTimeout(() => s.connect(), 1000);
      });
      s.on("connect_error", () => setState((p) => (p === "connecting" ? "connecting" : "reconnecting")));
      s.io.on("reconnect_attempt", () => setState("reconnecting"));
      const push = (n: Omit<ConsoleNotification, "read">) =>
        setNotifications((prev) => [{ ...n, read: false }, ...prev].slice(0, 50));
      s.on("notification", (n) => {
        const sessionId = typeof n.data?.sessionId === "string" ? n.data.sessionId : undefined;
        const consultationId = typeof n.data?.consultationId === "string" ? n.data.consultationId : undefined;
        push({
          id: n.id,
          at: n.at,
          title: n.title,
          body: n.body,
          link: consultationId ? `/consultations/${consultationId}` : sessionId ? `/training/${sessionId}` : undefined,
        });
      });
      for (const name of CONSULTATION_EVENTS) {
        s.on(name, (e: ConsultationEvent) => {
          push({
            id: `${name}:${e.consultationId}:${e.at}`,
            at: e.at,
            title: eventTitle[name] ?? "会诊状态更新",
            body: `${e.number} · ${urgencyLabel[e.urgency]} · ${consultationStatusLabel[e.status]}${e.reason ? ` · ${e.reason}` : ""}`,
            link: `/consultations/${e.consultationId}`,
          });
          subscribers.current.forEach((cb) => cb(name, e));
        });
      }
      s.on("referral:changed", (e) =>
        push({
          id: `referral:${e.referralId}:${e.at}`,
          at: e.at,
          title: e.direction === "UP" ? "上转申请状态更新" : "下转申请状态更新",
          body: e.number,
        }),
      );
    };
    return () => {
      unmounted = true;
      (s as YSocket | null)?.removeAllListeners();
      closeLiveClient();
    };
  }, []);

  const value = useMemo<RealtimeValue>(
    () => ({
      state,
      socket,
      notifications,
      markAllRead: () => setNotifications((prev) => prev.map((n) => ({ ...n, read: true }))),
      onConsultation: (cb) => {
        subscribers.current.add(cb);
        return () => void subscribers.current.delete(cb);
      },
    }),
    [state, socket, notifications],
  );
  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
}

export function useRealtime(): RealtimeValue {
  const v = useContext(RealtimeContext);
  if (!v) throw new Error("useRealtime outside RealtimeProvider");
  return v;
}

/** Calls `cb` on every consultation event (optionally only for one consultation). */
export function useConsultationEvents(
  cb: (name: ConsultationEventName, e: ConsultationEvent) => void,
  consultationId?: string,
) {
  const { onConsultation } = useRealtime();
  const ref = useRef(cb);
  ref.current = cb;
  useEffect(
    () => onConsultation((name, e) => (!consultationId || e.consultationId === consultationId) && ref.current(name, e)),
    [onConsultation, consultationId],
  );
}
