// A training participant's page (the SDK bundle in Chromium, see tests/browser/helpers.ts): enter the live
// session and its media room, send training requests, publish the microphone.
import type { Browser } from "playwright-core";
import type { TestServer } from "../helpers/server";
import { openParticipant, type Participant } from "../browser/helpers";
import { provinceLecturers, sessionBody, tokenFor } from "./helpers";

export interface LiveLecture {
  sessionId: string;
  lecturerToken: string;
  lecturer: Participant;
  viewers: Participant[];
  viewerIds: string[];
}

/**
 * A township-wide session starting in a minute (no registration), scheduled by one of the province lecturers
 * (`lecturerIndex`: tests use different ones so their bookings never clash), with pages for the lecturer and three
 * township viewers, none entered yet.
 */
export async function openLecture(ts: TestServer, browser: Browser, lecturerIndex: number): Promise<LiveLecture> {
  const lect = await tokenFor(ts, (await provinceLecturers())[lecturerIndex]!.username);
  const start = new Date(Date.now() + 60_000);
  const s = await ts.api("/api/training/sessions", {
    token: lect.token,
    body: sessionBody({
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      registrationRequired: false,
      audience: [{ kind: "TIER", tier: "TOWNSHIP" }],
    }),
  });
  if (s.status !== 201) throw new Error(`scheduling the lecture failed: ${s.status} ${JSON.stringify(s.body)}`);
  const vs = await Promise.all(["trainee.hadashan", "doctor.hadashan", "doctor.nongan"].map((u) => tokenFor(ts, u)));
  const lecturer = await openParticipant(browser, ts.baseUrl, lect.token);
  const viewers: Participant[] = [];
  for (const v of vs) viewers.push(await openParticipant(browser, ts.baseUrl, v.token));
  return { sessionId: s.body.id, lecturerToken: lect.token, lecturer, viewers, viewerIds: vs.map((v) => v.id) };
}

/** Enters the live session (presence, Q&A) and its media room; re-enters the session after a reconnect. */
export async function enter(
  p: Participant,
  sessionId: string,
): Promise<{ ok: true; role: string } | { ok: false; code: string; message: string }> {
  return p.page.evaluate(async (sessionId) => {
    const yl = (window as unknown as { yl: any }).yl;
    try {
      const info = await yl.client.request("training:join", { sessionId });
      yl.client.socket.on(
        "connect",
        () => void yl.client.request("training:join", { sessionId }).catch(() => undefined),
      );
      const room = await yl.client.joinRoom(sessionId, { kind: "training" });
      yl.watch(room);
      for (const ev of ["training:speaker", "training:hand"])
        yl.client.socket.on(ev, (e: unknown) => yl.events.push({ ev, e, at: performance.now() }));
      // Promoted or demoted: the SDK's send rights follow (the server checks every produce regardless).
      const me = (await yl.client.request("session:whoami")).id;
      yl.client.socket.on("training:speaker", (e: { userId: string; speaking: boolean }) => {
        if (e.userId === me)
          room.updatePermissions({ ...room.permissions, camera: e.speaking, microphone: e.speaking });
      });
      return { ok: true as const, role: info.role };
    } catch (e: any) {
      return { ok: false as const, code: e.code, message: e.message };
    }
  }, sessionId);
}

/** The lecturer enters and publishes camera and microphone; then every viewer enters. */
export async function goLive({
  sessionId,
  lecturer,
  viewers,
}: Pick<LiveLecture, "sessionId" | "lecturer" | "viewers">): Promise<void> {
  expect(await enter(lecturer, sessionId)).toEqual({ ok: true, role: "LECTURER" });
  await lecturer.page.evaluate(async () => {
    const room = (window as any).yl.room;
    await room.publishCamera();
    await room.publishMicrophone();
  });
  for (const v of viewers) expect(await enter(v, sessionId)).toEqual({ ok: true, role: "VIEWER" });
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
