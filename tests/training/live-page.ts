// A training participant's page (the SDK bundle in Chromium, see tests/browser/helpers.ts): enter the live
// session and its media room, send training requests, publish the microphone.
import type { Participant } from "../browser/helpers";

/** Enters the live session (presence, Q&A) and its media room; re-enters the session after a reconnect. */
export async function enter(p: Participant, sessionId: string): Promise<{ ok: true; role: string } | { ok: false; code: string; message: string }> {
  return p.page.evaluate(async (sessionId) => {
    const yl = (window as unknown as { yl: any }).yl;
    try {
      const info = await yl.client.request("training:join", { sessionId });
      yl.client.socket.on("connect", () => void yl.client.request("training:join", { sessionId }).catch(() => undefined));
      const room = await yl.client.joinRoom(sessionId, { kind: "training" });
      yl.room = room;
      for (const ev of ["peerJoined", "peerLeft", "reconnecting", "reconnected", "closed", "error", "trackEnded"]) {
        room.on(ev, (e: unknown) => yl.events.push({ ev, e: JSON.parse(JSON.stringify(e ?? null, (_k, v) => (v instanceof Error ? { message: v.message, code: (v as any).code } : v))), at: performance.now() }));
      }
      for (const ev of ["training:speaker", "training:hand"]) yl.client.socket.on(ev, (e: unknown) => yl.events.push({ ev, e, at: performance.now() }));
      // Promoted or demoted: the SDK's send rights follow (the server checks every produce regardless).
      const me = (await yl.client.request("session:whoami")).id;
      yl.client.socket.on("training:speaker", (e: { userId: string; speaking: boolean }) => {
        if (e.userId === me) room.updatePermissions({ ...room.permissions, camera: e.speaking, microphone: e.speaking });
      });
      room.on("track", (t: any) => {
        const el = document.createElement(t.kind === "video" ? "video" : "audio") as HTMLMediaElement;
        el.autoplay = true;
        el.muted = true;
        el.srcObject = new MediaStream([t.track]);
        el.dataset.consumer = t.consumerId;
        document.body.append(el);
        void el.play().catch(() => undefined);
      });
      room.on("trackEnded", (t: any) => document.querySelector(`[data-consumer="${t.consumerId}"]`)?.remove());
      return { ok: true as const, role: info.role };
    } catch (e: any) {
      return { ok: false as const, code: e.code, message: e.message };
    }
  }, sessionId);
}

export const request = (p: Participant, event: string, payload: unknown) =>
  p.page.evaluate(
    async ([event, payload]) => {
      try {
        return { ok: true, data: await (window as any).yl.client.request(event, payload) };
      } catch (e: any) {
        return { ok: false, code: e.code, message: e.message };
      }
    },
    [event, payload] as const,
  );

/** Publishes the microphone; `force` acts like a tampered client that ignores its permissions. */
export const publishMic = (p: Participant, force = false) =>
  p.page.evaluate(async (force) => {
    try {
      const room = (window as any).yl.room;
      if (force) room.updatePermissions({ camera: true, microphone: true, screen: true, chat: true });
      await (window as any).yl.room.publishMicrophone();
      return { ok: true };
    } catch (e: any) {
      return { ok: false, code: e.code, message: e.message };
    }
  }, force);
