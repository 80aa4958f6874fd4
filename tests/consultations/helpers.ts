// Shared by the consultation tests: sockets that collect typed events, request bodies, ids, times.
import { io as connect, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "@yilian/contract";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export async function openSocket(baseUrl: string, token: string): Promise<ClientSocket> {
  const s: ClientSocket = connect(baseUrl, {
    auth: { token },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("connect_error", reject);
  });
  return s;
}

/** Resolves with the next `event` matching `pred`, or rejects after `ms`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  s: ClientSocket,
  event: E,
  pred: (p: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  ms = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.off(event, handler as never);
      reject(new Error(`no ${String(event)} within ${ms} ms`));
    }, ms);
    const handler = (p: Parameters<ServerToClientEvents[E]>[0]) => {
      if (!pred(p)) return;
      clearTimeout(timer);
      s.off(event, handler as never);
      resolve(p);
    };
    s.on(event, handler as never);
  });
}

/** A valid mainland ID number (check digit computed) from a 17-digit body. */
export function idNumber(body17 = "22070219900101123"): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = w.reduce((s, wi, i) => s + wi * Number(body17[i]), 0);
  return body17 + "10X98765432"[sum % 11];
}

export function draftBody(overrides: Record<string, unknown> = {}) {
  return {
    patient: {
      name: "王秀英",
      sex: "FEMALE",
      birthDate: "1956-03-14",
      idNumber: idNumber(),
      recordNumber: "HDS-2026-0193",
    },
    urgency: "URGENT",
    kind: "MULTIDISCIPLINARY",
    specialtyCode: "CARDIOLOGY",
    chiefComplaint: "反复胸闷气短 3 年，加重伴双下肢水肿 1 周",
    history: "高血压病史 15 年，2 型糖尿病 8 年。",
    examinations: "心电图：房颤，心室率 110 次/分。BNP 1200 pg/mL。",
    preliminaryDiagnosis: "慢性心力衰竭急性加重；心房颤动",
    question: "请协助评估心衰治疗方案，是否需要上转。",
    ...overrides,
  };
}

/** Local (Asia/Shanghai) date `days` from today at hh:mm, as an ISO instant. */
export function shanghaiAt(days: number, hh: number, mm = 0): string {
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  return new Date(
    Date.parse(`${today}T00:00:00Z`) + days * 86_400_000 + (hh * 60 + mm - 8 * 60) * 60_000,
  ).toISOString();
}

export const plusMinutes = (iso: string, m: number) => new Date(Date.parse(iso) + m * 60_000).toISOString();
