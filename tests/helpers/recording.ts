// Recording fault tests' shared steps: a consultation room with the township doctor sending real media, and the
// check that a recording interrupted by a fault came out as long as it was, with its gaps shown.
import type { Recording } from "@prisma/client";
import type { MediaApi } from "@yilian/media/api";
import type { Db } from "@yilian/server";
import { produceFromFfmpeg, type RtpSource } from "./rtp-source";
import { makeConsultation, waitFor } from "../worker/helpers";

/** A consultation in progress whose room is open with the doctor ("doctor-peer") sending camera and microphone. */
export async function roomWithDoctorMedia(
  db: Db,
  api: MediaApi,
  opts: { beforeOpen?: (roomKey: string) => Promise<unknown> } = {},
): Promise<{ consultationId: string; roomKey: string; sender: RtpSource }> {
  const consultationId = await makeConsultation(db, { status: "IN_PROGRESS" });
  const roomKey = `consultation:${consultationId}`;
  await opts.beforeOpen?.(roomKey);
  await api.openRoom("consultation", consultationId);
  return { consultationId, roomKey, sender: await doctorJoins(db, api, roomKey, "doctor-peer") };
}

/** The township doctor joins the room as `peerId` and sends camera and microphone. */
export async function doctorJoins(db: Db, api: MediaApi, roomKey: string, peerId: string): Promise<RtpSource> {
  const doctor = await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
  await api.joinPeer(roomKey, { peerId, userId: doctor.id, displayName: "乡镇医生", role: "REQUESTER" });
  return produceFromFfmpeg(api, roomKey, peerId);
}

/** The recording's final state, once the `recording` job is done with it. */
export const composed = (db: Db, id: string) =>
  waitFor(
    async () => {
      const r = await db.recording.findUniqueOrThrow({ where: { id } });
      return r.status === "READY" || r.status === "FAILED" ? r : null;
    },
    120_000,
    250,
  );

/**
 * `stopped` (the row as its stop left it) was composed READY, every stored part usable, about as long as the
 * recording lasted (the gaps are in the playback as cards, never cut out); returns the gaps the job reported.
 */
export async function expectPlaybackAsLongAsRecorded(
  db: Db,
  stopped: Recording,
  slackMs = { short: 2500, long: 4000 },
) {
  const done = await composed(db, stopped.id);
  expect(done.failureReason).toBeNull();
  expect(done.status).toBe("READY");
  const wallMs = stopped.stoppedAt!.getTime() - stopped.startedAt.getTime();
  expect(done.durationMs!).toBeGreaterThan(wallMs - slackMs.short);
  expect(done.durationMs!).toBeLessThan(wallMs + slackMs.long);
  const processed = await db.auditLog.findFirstOrThrow({
    where: { action: "recording.process", entityId: stopped.id },
  });
  const detail = processed.detail as { gaps?: { fromS: number; toS: number }[]; skipped: number };
  expect(detail.skipped).toBe(0);
  return detail.gaps ?? [];
}
