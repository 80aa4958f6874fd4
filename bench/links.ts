// bench links: a township doctor behind a hospital firewall and on a weak line, in a real network sandbox
// (tests/helpers/netns.ts: Chromium in a network namespace, nftables inside it) against a real coturn.
// 1. Only TCP 443 out: the call must go through TURN over TLS on 443 → udp_blocked_connected, turn_tls_ttff_ms
//    (joinRoom → first decoded frame of the specialist's camera; median of JOINS joins).
// 2. Only TURN over UDP through an impairing relay (5 % loss, 150 ms RTT, 600 kb/s each way) for IMPAIRED_S:
//    impaired_audio_continuity_pct (audio samples played as received, not concealed; DTX silence excluded),
//    impaired_video_freezes_per_min (Chromium's freezeCount of the camera), then the line recovers →
//    recovery_s (until the camera is forwarded in the layer it had before the impairment).
// 3. The upload metrics of the same bench (bench/links/uploads.ts); BENCH_LINKS_PART=uploads runs only those,
//    BENCH_LINKS_PART=call only 1 and 2.
import { loadavg } from "node:os";
import { createDb } from "@yilian/server";
import { ensureSdkBuilt, joinInPage, peerIdOf, waitFor, type Participant } from "../tests/browser/helpers";
import { startImpairingRelay, TOWNSHIP_4G } from "../tests/helpers/impair";
import {
  audioContinuityPct,
  openLinkCall,
  receivedFrom,
  speakingMicrophone,
  startLinkLab,
  TURN_PORT,
  type LinkLab,
} from "../tests/helpers/links";
import { sandboxSupported } from "../tests/helpers/netns";
import { createBenchDatabase, dropBenchDatabase, emit, log, percentile } from "./lib";
import runUploadLinks from "./links/uploads";

const BENCH = "links";
const DB = "yilian_bench_links";
const JOINS = 5;
const IMPAIRED_S = 60;
const RELAY_PORT = TURN_PORT + 1;

/** joinRoom → first decoded frame of the given peer's camera, in the page (ms). */
const timedJoin = (p: Participant, roomId: string, peerId: string) =>
  p.page.evaluate(
    async ({ roomId, peerId }) => {
      const yl = (window as any).yl;
      const t0 = performance.now();
      const room = await yl.client.joinRoom(roomId);
      yl.watch(room);
      for (;;) {
        const cam = [...room.tracks.values()].find((t: any) => t.peerId === peerId && t.source === "camera") as any;
        if (cam) {
          const report: RTCStatsReport = await room.getStats();
          let frames = 0;
          report.forEach(
            (s: any) =>
              s.type === "inbound-rtp" && s.trackIdentifier === cam.track.id && (frames = s.framesDecoded ?? 0),
          );
          if (frames > 0) return performance.now() - t0;
        }
        if (performance.now() - t0 > 20_000) throw new Error("no frame within 20 s");
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    { roomId, peerId },
  );

const leave = (p: Participant) => p.page.evaluate(() => (window as any).yl.room?.leave());

export default async function main(): Promise<void> {
  if (process.env.BENCH_LINKS_PART === "uploads") return runUploadLinks();
  const unsupported = sandboxSupported();
  if (unsupported) throw new Error(`bench links needs network namespaces: ${unsupported}`);
  log("creating and seeding the bench database");
  const dbUrl = await createBenchDatabase(DB);
  const db = createDb(dbUrl);
  let lab: LinkLab | undefined;
  let closeCall: (() => Promise<void>) | undefined;
  try {
    await ensureSdkBuilt();
    lab = await startLinkLab({
      serverEnv: {
        DATABASE_URL: dbUrl,
        REDIS_PREFIX: `yilian-bench-links-${process.pid}`,
        LOG_LEVEL: "silent",
        PORT: "0",
        SEED_DEMO_DATA: "false",
      },
      turnUrls: (ip) => [`turn:${ip}:${RELAY_PORT}?transport=udp`, `turns:${ip}:443?transport=tcp`],
    });
    const relay = await startImpairingRelay({
      listenIp: lab.sandbox.hostIp,
      listenPort: RELAY_PORT,
      targetIp: lab.sandbox.hostIp,
      targetPort: TURN_PORT,
    });
    try {
      const call = await openLinkCall(lab, db, { specialistArgs: speakingMicrophone() });
      closeCall = call.close;
      const { doctor, specialist, roomId: consultationId } = call;
      if (!(await joinInPage(specialist, consultationId)).ok) throw new Error("the specialist could not join");
      await specialist.page.evaluate(async () => {
        const room = (window as any).yl.room;
        await room.publishCamera();
        await room.publishMicrophone();
      });
      const specPeer = await peerIdOf(specialist);

      // 1. Only TCP 443 (and signalling) out.
      lab.sandbox.allow([lab.signalling, lab.tls443]);
      const ttffs: number[] = [];
      let connected = 0;
      for (let i = 0; i < JOINS; i++) {
        try {
          ttffs.push(await timedJoin(doctor, consultationId, specPeer));
          const r = await waitFor(
            "a link sample",
            async () => {
              const x = await receivedFrom(doctor, specPeer);
              return x.rttMs !== undefined ? x : undefined;
            },
            5000,
            200,
          );
          const tls = await doctor.page.evaluate(() => (window as any).yl.room.linkStats().relayProtocol);
          if (r.relayed && tls === "tls") connected = 1;
        } catch (e) {
          log(`join ${i + 1} through TLS 443 failed: ${(e as Error).message}`);
        }
        await leave(doctor);
        await new Promise((r) => setTimeout(r, 500));
      }
      ttffs.sort((a, b) => a - b);
      log(`TURN/TLS 443 joins (ms): ${ttffs.map((t) => t.toFixed(0)).join(", ")}`);
      emit(BENCH, "udp_blocked_connected", connected, "bool");
      emit(BENCH, "turn_tls_ttff_ms", percentile(ttffs, 50), "ms");
      emit(BENCH, "turn_tls_ttff_p95_ms", percentile(ttffs, 95), "ms");

      // 2. Only TURN over UDP through the impairing relay.
      lab.sandbox.allow([lab.signalling, { proto: "udp", ip: lab.sandbox.hostIp, port: RELAY_PORT }]);
      if (!(await joinInPage(doctor, consultationId)).ok) throw new Error("the doctor could not join over UDP TURN");
      await doctor.page.evaluate(() => (window as any).yl.room.publishMicrophone());
      const clean = await waitFor(
        "the camera above the lowest layer",
        async () => {
          const r = await receivedFrom(doctor, specPeer);
          return (r.spatialLayer ?? 0) >= 1 ? r : undefined;
        },
        45_000,
        500,
      ).catch(() => receivedFrom(doctor, specPeer));
      await new Promise((r) => setTimeout(r, 5000)); // let it settle on its best layer
      const topLayer = Math.max(clean.spatialLayer ?? 0, (await receivedFrom(doctor, specPeer)).spatialLayer ?? 0);
      log(`clean link: camera on layer ${topLayer}; impairing for ${IMPAIRED_S} s`);
      relay.impair(TOWNSHIP_4G);
      const before = await receivedFrom(doctor, specPeer);
      const t0 = Date.now();
      let lowestAfterMs: number | undefined;
      // Where the minute's losses are: per second the forwarded layer, the audio concealed (‰), the freezes and the
      // datagrams the line dropped to the doctor; the first 3 s per 250 ms: the rate offered to the line, datagrams
      // dropped, the layer and the freezes.
      const seconds: string[] = [];
      const onset: string[] = [];
      let prev = before;
      let prevQuarter = before;
      let prevDown = relay.stats().down;
      let lastSecond = prevDown;
      for (let tick = 1; Date.now() - t0 < IMPAIRED_S * 1000; tick++) {
        await new Promise((r) => setTimeout(r, Math.max(0, t0 + tick * 250 - Date.now())));
        const d = relay.stats().down;
        const kbps = ((d.offeredBytes - prevDown.offeredBytes) * 8) / 250;
        const droppedNow = d.dropped - prevDown.dropped;
        prevDown = d;
        if (tick > 12 && tick % 4 !== 0 && lowestAfterMs !== undefined) continue;
        const now = await receivedFrom(doctor, specPeer);
        if (lowestAfterMs === undefined && now.spatialLayer === 0) lowestAfterMs = Date.now() - t0;
        if (tick <= 12) {
          const [a, b] = [prevQuarter.video, now.video];
          const jb = b.emitted > a.emitted ? (b.jitterBufferMs - a.jitterBufferMs) / (b.emitted - a.emitted) : NaN;
          onset.push(
            `${kbps.toFixed(0)}/${droppedNow}/${now.spatialLayer}/${now.freezeCount - prevQuarter.freezeCount}` +
              `[jb ${jb.toFixed(0)} fr ${b.emitted - a.emitted} kf ${b.keyFrames - a.keyFrames} pli ${b.plis - a.plis} nack ${b.nacks - a.nacks} frz ${(1000 * (b.freezesS - a.freezesS)).toFixed(0)}]`,
          );
        }
        prevQuarter = now;
        if (tick % 4 !== 0) continue;
        seconds.push(
          `${now.spatialLayer}:${(10 * (100 - audioContinuityPct(prev, now))).toFixed(0)}:${now.freezeCount - prev.freezeCount}:${d.dropped - lastSecond.dropped}`,
        );
        prev = now;
        lastSecond = d;
      }
      log(
        `impaired, first 3 s per 250 ms (kb/s offered/datagrams dropped/layer/freezes[camera: jitter buffer ms per frame, frames, key frames, PLIs, NACKs, freeze ms]): ${onset.join(" ")}`,
      );
      log(`impaired, per second (layer:audio concealed ‰:freezes:datagrams dropped): ${seconds.join(" ")}`);
      const after = await receivedFrom(doctor, specPeer);
      const minutes = (Date.now() - t0) / 60_000;
      log(
        `impaired: lowest layer after ${lowestAfterMs ?? "never"} ms; relay ${JSON.stringify(relay.stats())}; doctor's link ${after.localQuality}`,
      );
      emit(BENCH, "impaired_audio_continuity_pct", audioContinuityPct(before, after), "%");
      emit(BENCH, "impaired_audio_nacks_per_min", (after.audioNacks - before.audioNacks) / minutes, "1/min");
      emit(BENCH, "impaired_video_freezes_per_min", (after.freezeCount - before.freezeCount) / minutes, "1/min");
      emit(BENCH, "impaired_lowest_layer_after_s", lowestAfterMs === undefined ? NaN : lowestAfterMs / 1000, "s");

      relay.impair(null);
      const r0 = Date.now();
      const recovered = await waitFor(
        "the camera back to its layer",
        async () => ((await receivedFrom(doctor, specPeer)).spatialLayer ?? -1) >= topLayer,
        90_000,
        250,
      ).then(
        () => true,
        () => false,
      );
      emit(BENCH, "recovery_s", recovered ? (Date.now() - r0) / 1000 : NaN, "s");
      await leave(doctor);
    } finally {
      await relay.close();
    }
  } finally {
    await closeCall?.();
    await lab?.close();
    await db.$disconnect();
    await dropBenchDatabase(DB);
  }
  emit(BENCH, "load_avg_1m", loadavg()[0]!, "load");
  if (process.env.BENCH_LINKS_PART !== "call") await runUploadLinks();
}
