// training-reminders: reminders 1 day and 15 minutes before a training session, and closing a session nobody
// ended (attendance finalised). Jobs are enqueued by the server (server/src/training/jobs.ts) with
// deterministic ids; each re-reads the session and does nothing if it was cancelled, rescheduled or ended.
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import { Emitter } from "@socket.io/redis-emitter";
import type { Redis } from "ioredis";
import { TRAINING_REMINDERS_QUEUE, TrainingJobData, type TrainingJobName } from "@yilian/jobs";
import {
  TrainingLive,
  finalizeAttendance,
  markEnded,
  notificationRooms,
  trainingNotification,
  type Db,
  type TrainingEventSink as EventSink,
} from "@yilian/server";
import { SHANGHAI_OFFSET_MS, trainingRooms } from "@yilian/contract";
import { requestRoomClose } from "@yilian/media/registry";

export { TRAINING_REMINDERS_QUEUE };

export interface TrainingJobDeps {
  db: Db;
  redis: Redis;
  redisPrefix: string;
  sink: EventSink;
}

export type TrainingJobResult = { skipped: string } | { notifiedRooms: number } | { closed: true; attendees: number };

const hhmm = (d: Date) => new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(11, 16);

export async function execTrainingJob(
  deps: TrainingJobDeps,
  name: TrainingJobName,
  data: TrainingJobData,
): Promise<TrainingJobResult> {
  const session = await deps.db.trainingSession.findUnique({ where: { id: data.sessionId } });
  if (!session) return { skipped: "gone" };
  if (name === "close") {
    if (session.status !== "LIVE" && session.status !== "SCHEDULED") return { skipped: session.status.toLowerCase() };
    if (session.startsAt.toISOString() !== data.startsAt) return { skipped: "rescheduled" };
    await markEnded(deps.db, session.id, null);
    await new TrainingLive({
      db: deps.db,
      redis: deps.redis,
      redisPrefix: deps.redisPrefix,
      sink: deps.sink,
    }).clearSpeakers(session.id);
    // Its live room too: whichever server process holds it closes it and everyone in it is told.
    await requestRoomClose(deps.redis, deps.redisPrefix, { roomKey: `training:${session.id}`, reason: "ended" });
    const attendees = await finalizeAttendance(deps.db, session.id);
    deps.sink.to(trainingRooms.all(session.id)).emit("training:status", { sessionId: session.id, status: "ENDED" });
    return { closed: true, attendees };
  }
  if (session.status !== "SCHEDULED") return { skipped: session.status.toLowerCase() };
  if (session.startsAt.toISOString() !== data.startsAt) return { skipped: "rescheduled" };
  const to = await notificationRooms(deps.db, session);
  const when = data.kind === "1d" ? `明天 ${hhmm(session.startsAt)}` : `15 分钟后（${hhmm(session.startsAt)}）`;
  deps.sink.to(to).emit(
    "notification",
    trainingNotification(
      `training.reminder.${data.kind}`,
      `远程教学提醒：${session.title}`,
      `${when}开始，请准时进入直播间`,
      {
        sessionId: session.id,
        number: session.number,
        kind: data.kind,
      },
    ),
  );
  return { notifiedRooms: to.length };
}

export async function initTrainingReminders(db: Db, connection: Redis, prefix: string, redisPrefix: string) {
  const queue = new Queue<TrainingJobData, TrainingJobResult, TrainingJobName>(TRAINING_REMINDERS_QUEUE, {
    connection: connection as ConnectionOptions,
    prefix,
  });
  // Same key as the server's Socket.IO Redis adapter, so events reach sockets on every server process.
  const emitterRedis = connection.duplicate();
  const sink = new Emitter(emitterRedis, { key: `${redisPrefix}:socket.io` }) as unknown as EventSink;
  const deps: TrainingJobDeps = { db, redis: connection, redisPrefix, sink };
  const worker = new Worker<TrainingJobData, TrainingJobResult, TrainingJobName>(
    TRAINING_REMINDERS_QUEUE,
    (job: Job<TrainingJobData, TrainingJobResult, TrainingJobName>) =>
      execTrainingJob(deps, job.name, TrainingJobData.parse(job.data)),
    { connection: connection as ConnectionOptions, prefix, concurrency: 4 },
  );
  // The emitter's connection is ours: it goes with the worker.
  const closeWorker = worker.close.bind(worker);
  worker.close = async (force?: boolean) => {
    await closeWorker(force);
    await emitterRedis.quit().catch(() => emitterRedis.disconnect());
  };
  return { queue, worker };
}
