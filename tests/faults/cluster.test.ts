// Faults in the multi-process shape (scripts/cluster/harness.ts): 2 server processes behind the round-robin front,
// 2 media nodes (2 mediasoup workers each), 2 BullMQ workers and a private redis-server (append-only, fsync
// always). One at a time: a server process, a media node and a mediasoup worker are SIGKILLed under a
// consultation room whose two participants sit on different servers, a BullMQ worker is SIGKILLed mid-job, and
// Redis is killed and restarted. After each fault the users get what they would notice: the room back, no chat
// message accepted before the fault missing, none delivered twice, the upload processed exactly once.
// The media path itself (browsers decoding again after a node loss) is proven in tests/media/node-loss.test.ts and
// with real RTP in tests/faults/recording-node-loss.test.ts; here clients are socket.io clients.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { Queue } from "bullmq";
import { connect } from "socket.io-client";
import type { Ack, MediaChatMessage, MediaJoinResult } from "@yilian/contract";
import { UPLOADS_QUEUE } from "@yilian/jobs";
import { deidentifiedKey } from "@yilian/storage";
import { listMediaNodes } from "@yilian/media/registry";
import { startCluster, type Cluster } from "../../scripts/cluster/harness";
import { testDb, closeTestDb } from "../helpers/db";
import { createConsultationRoom } from "../media/fixtures";
import { makeFixtures, type Fixtures } from "../worker/fixtures";
import { makeConsultation, uploadFile, waitFor, waitForFinal } from "../worker/helpers";
import type { ClientSocket } from "../consultations/helpers";

jest.setTimeout(120_000);

const PREFIX = `${process.env.REDIS_PREFIX}-cluster-${randomUUID().slice(0, 8)}`;
const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-cluster-"));
const db = testDb();
let cluster: Cluster;
let redis: Redis;
let fx: Fixtures;

/** A participant: one socket at a time (a new one after its server died), everything it received kept. */
class Participant {
  socket!: ClientSocket;
  join!: MediaJoinResult;
  readonly chat: MediaChatMessage[] = [];
  readonly restarts: { reason: string }[] = [];
  constructor(
    readonly name: string,
    readonly token: string,
    readonly roomId: string,
  ) {}

  async connect(url: string): Promise<void> {
    const s: ClientSocket = connect(url, {
      auth: { token: this.token },
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      s.once("connect", () => resolve());
      s.once("connect_error", reject);
    });
    s.on("media:chat", (m) => this.chat.push(m));
    s.on("media:restart", (e) => this.restarts.push(e));
    this.socket = s;
    const resumeKey = this.join?.resumeKey;
    this.join = await this.request<MediaJoinResult>("media:join", {
      kind: "consultation",
      roomId: this.roomId,
      ...(resumeKey ? { resumeKey } : {}),
    });
  }

  async request<T>(event: string, ...args: unknown[]): Promise<T> {
    const ack = await (
      this.socket as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<Ack<T>> } }
    )
      .timeout(15_000)
      .emitWithAck(event, ...args);
    if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
    return ack.data;
  }

  say(text: string): Promise<MediaChatMessage> {
    return this.request<MediaChatMessage>("media:chat:send", { text });
  }

  history(): Promise<MediaChatMessage[]> {
    return this.request<MediaChatMessage[]>("media:chat:history");
  }
}

let doctor: Participant;
let specialist: Participant;
/** Every message accepted (acked) so far: none may be missing from the history, none doubled. */
const accepted: MediaChatMessage[] = [];

const pinKey = () => `${PREFIX}:media:room:consultation:${doctor.roomId}`;

async function exchange(label: string): Promise<void> {
  const sent = [await doctor.say(`${label}: 医生`), await specialist.say(`${label}: 专家`)];
  accepted.push(...sent);
  // Each hears the other's message live, across the two server processes.
  await waitFor(
    async () => specialist.chat.some((m) => m.id === sent[0]!.id) && doctor.chat.some((m) => m.id === sent[1]!.id),
    10_000,
  );
  const history = await doctor.history();
  const ids = history.map((m) => m.id);
  expect(accepted.filter((m) => !ids.includes(m.id))).toEqual([]); // nothing lost
  expect(new Set(ids).size).toBe(ids.length); // nothing doubled
  for (const p of [doctor, specialist]) expect(new Set(p.chat.map((m) => m.id)).size).toBe(p.chat.length);
}

beforeAll(async () => {
  fx = makeFixtures();
  cluster = await startCluster({
    prefix: PREFIX,
    privateRedis: true,
    env: { STORAGE_DIR: storageDir, MEDIA_NODE_HEARTBEAT_MS: "1000", LOG_LEVEL: "warn" },
    memberEnv: {
      media: { MEDIA_WORKERS: "2" },
      worker: { WORKER_LOCK_MS: "3000", WORKER_STALLED_INTERVAL_MS: "1000", YILIAN_FAULT_DELAY_MS: "4000" },
    },
  });
  redis = new Redis(cluster.redisUrl);
  const { consultationId } = await createConsultationRoom(db, {
    requester: "doctor.hadashan",
    specialists: ["spec.youtian.1"],
    status: "IN_PROGRESS",
  });
  const login = async (username: string) => {
    const r = await fetch(`${cluster.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password: "Yilian@2024" }),
    });
    return ((await r.json()) as { accessToken: string }).accessToken;
  };
  doctor = new Participant("doctor", await login("doctor.hadashan"), consultationId);
  specialist = new Participant("specialist", await login("spec.youtian.1"), consultationId);
  // On different server processes: what one says reaches the other only through the Redis adapter.
  await doctor.connect(cluster.member("server-1").url!);
  await specialist.connect(cluster.member("server-2").url!);
  await exchange("before any fault");
}, 180_000);

afterAll(async () => {
  for (const p of [doctor, specialist]) p?.socket?.disconnect();
  redis?.disconnect();
  // A client that never leaves (a bench's straggler) must not keep the cluster running: stop ends its connection.
  const straggler = createConnection(Number(new URL(cluster.url).port), "127.0.0.1");
  await new Promise((r) => straggler.once("connect", r));
  await cluster?.stop();
  expect(straggler.destroyed || straggler.readableEnded).toBe(true);
  await closeTestDb();
  rmSync(storageDir, { recursive: true, force: true });
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

test("SIGKILL a server process: its client resumes the same peer on the other one; no chat lost or doubled", async () => {
  const peerId = doctor.join.peerId;
  await cluster.member("server-1").kill("SIGKILL");
  await waitFor(async () => !doctor.socket.connected, 5000);
  // The client reconnects through the front (only server-2 answers now) with its resume key.
  await doctor.connect(cluster.url);
  expect(doctor.join).toMatchObject({ peerId, resumed: true });
  await exchange("after server-1 died");
  await cluster.member("server-1").start();
});

test("SIGKILL the media node of the room: the room moves, both peers are told and rebuild on the other node", async () => {
  const node = (await redis.get(pinKey()))!;
  expect(["media-1", "media-2"]).toContain(node);
  const before = [doctor.restarts.length, specialist.restarts.length];
  await cluster.member(node).kill("SIGKILL");
  const killedAt = Date.now();
  await waitFor(async () => doctor.restarts.length > before[0]! && specialist.restarts.length > before[1]!, 10_000);
  expect(Date.now() - killedAt).toBeLessThan(6000);
  expect(doctor.restarts.at(-1)).toMatchObject({ reason: "node-lost" });
  const moved = await redis.get(pinKey());
  expect(moved).not.toBe(node);
  // Rebuilding (what the SDK does on media:restart) gives each new transports on the live node.
  for (const p of [doctor, specialist]) {
    const setup = await p.request<{ transports: { recv: { id: string } } }>("media:resetTransports", {});
    expect(setup.transports.recv.id).toEqual(expect.any(String));
  }
  await exchange("after a media node died");
  await cluster.member(node).start();
});

test("SIGKILL a mediasoup worker under the room: the room continues on a replacement worker", async () => {
  const node = (await redis.get(pinKey()))!;
  const before = doctor.restarts.length;
  // The room's router lives on one of the node's workers: kill them one by one until the room notices.
  for (const pid of cluster.mediaWorkerPids(node)) {
    process.kill(pid, "SIGKILL");
    const noticed = await waitFor(async () => doctor.restarts.length > before, 4000).then(
      () => true,
      () => false,
    );
    if (noticed) break;
  }
  expect(doctor.restarts.at(-1)).toMatchObject({ reason: "worker-replaced" });
  await waitFor(async () => specialist.restarts.at(-1)?.reason === "worker-replaced", 5000);
  expect(await redis.get(pinKey())).toBe(node); // same node, new worker
  for (const p of [doctor, specialist]) await p.request("media:resetTransports", {});
  await waitFor(async () => cluster.mediaWorkerPids(node).length === 2, 15_000);
  await exchange("after a mediasoup worker died");
});

test("SIGKILL a BullMQ worker mid-job: the other worker finishes it, exactly once", async () => {
  const consultationId = await makeConsultation(db);
  const uploads = new Queue(UPLOADS_QUEUE, { connection: redis, prefix: `${PREFIX}:bull` });
  try {
    // worker-1 alone takes the job; it pauses (fault delay) after storing the derived files, before the row.
    await cluster.member("worker-2").kill("SIGTERM");
    const r = await uploadFile(cluster.url, doctor.token, consultationId, fx.dicomJpeg);
    expect(r.status).toBe(202);
    const id: string = r.body.id;
    await waitFor(async () => existsSync(path.join(storageDir, deidentifiedKey(id))), 60_000);
    expect((await db.upload.findUniqueOrThrow({ where: { id } })).status).toBe("PROCESSING");
    await cluster.member("worker-2").start();
    await cluster.member("worker-1").kill("SIGKILL");
    const done = await waitForFinal(db, id, 60_000);
    expect(done.status).toBe("READY");
    expect(await db.upload.count({ where: { consultationId } })).toBe(1);
    expect(await db.auditLog.count({ where: { entityType: "Upload", entityId: id, action: "upload.process" } })).toBe(
      1,
    );
    // The row commits just before the job is marked done.
    await waitFor(async () => (await (await uploads.getJob(`upload-${id}`))!.getState()) === "completed", 10_000);
    await cluster.member("worker-1").start();
  } finally {
    await uploads.close();
  }
});

test("Redis restarts: everything reconnects; a job accepted before the crash is processed after it", async () => {
  const consultationId = await makeConsultation(db);
  // No worker running: the upload's job waits in Redis when Redis dies.
  await Promise.all(["worker-1", "worker-2"].map((w) => cluster.member(w).kill("SIGTERM")));
  const r = await uploadFile(cluster.url, doctor.token, consultationId, fx.dicomJpeg);
  expect(r.status).toBe(202);
  const id: string = r.body.id;
  const node = (await redis.get(pinKey()))!;
  const restartsBefore = [doctor.restarts.length, specialist.restarts.length];
  const mediaPids = ["media-1", "media-2"].map((m) => cluster.member(m).pid);
  const redisMember = cluster.member("redis");
  await redisMember.kill("SIGKILL");
  await new Promise((r) => setTimeout(r, 1000));
  await redisMember.start();
  await Promise.all(["worker-1", "worker-2"].map((w) => cluster.member(w).start()));
  // The append-only file (fsync always) kept the job: processed once the workers are back.
  const done = await waitForFinal(db, id, 60_000);
  expect(done.status).toBe("READY");
  expect(await db.auditLog.count({ where: { entityType: "Upload", entityId: id, action: "upload.process" } })).toBe(1);
  // Both media nodes beat again, the room stayed where it was, chat crosses the servers again.
  await waitFor(async () => (await listMediaNodes(redis, PREFIX)).length === 2, 10_000);
  await exchange("after Redis restarted");
  // A Redis outage is not a lost media node: the nodes lived through it and the call was never rebuilt.
  expect(await redis.get(pinKey())).toBe(node);
  expect([doctor.restarts.length, specialist.restarts.length]).toEqual(restartsBefore);
  expect(["media-1", "media-2"].map((m) => cluster.member(m).pid)).toEqual(mediaPids);
});
