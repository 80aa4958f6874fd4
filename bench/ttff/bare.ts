// The bare baseline of the ttff bench: the smallest mediasoup-client ↔ mediasoup join that reaches a decoded
// frame. One worker, one router, one WebRtcServer, a few lines of Socket.IO signalling, the same Chromium, the
// same simulcast publisher, the same key-frame batching (350 ms) and start layer (lowest) as the tuned SDK run.
// A joiner asks for the router capabilities and a receive transport in one request, loads its device, consumes
// the camera (one request), connects (one request, as mediasoup-client waits for it) and resumes (one request).
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { Server as IoServer } from "socket.io";
import { build } from "esbuild";
import { loadMediasoup, mediaCodecs } from "@yilian/media";
import type { types } from "mediasoup";
import { PAGE_INSTRUMENTS } from "./page";

/** Marks of one bare join (page performance.now(), ms). */
export interface BareMarks {
  started: number;
  decoded: number;
}

// The browser half: mediasoup-client and socket.io-client, bundled by esbuild at bench time.
const CLIENT = `
import { Device } from "mediasoup-client";
import { io } from "socket.io-client";
const socket = io({ transports: ["websocket"] });
const request = (ev, data) => new Promise((resolve, reject) =>
  socket.emit(ev, data ?? {}, (r) => (r && r.error ? reject(new Error(r.error)) : resolve(r))));
const connected = new Promise((r) => (socket.connected ? r() : socket.once("connect", r)));
const wire = (transport) =>
  transport.on("connect", ({ dtlsParameters }, ok, fail) =>
    request("connectTransport", { transportId: transport.id, dtlsParameters }).then(() => ok(), fail));
// The SDK's simulcast encodings (client-sdk/src/room.ts).
const SIMULCAST = [
  { scaleResolutionDownBy: 4, maxBitrate: 150000, scalabilityMode: "L1T3" },
  { scaleResolutionDownBy: 2, maxBitrate: 500000, scalabilityMode: "L1T3" },
  { scaleResolutionDownBy: 1, maxBitrate: 1200000, scalabilityMode: "L1T3" },
];
window.bare = {
  connected: () => connected,
  async publish() {
    const { routerRtpCapabilities, transport } = await request("setup", { direction: "send" });
    const device = await Device.factory();
    await device.load({ routerRtpCapabilities });
    const send = device.createSendTransport(transport);
    wire(send);
    send.on("produce", ({ kind, rtpParameters }, ok, fail) =>
      request("produce", { transportId: send.id, kind, rtpParameters }).then(ok, fail));
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } });
    await send.produce({ track: media.getVideoTracks()[0], encodings: SIMULCAST, codecOptions: { videoGoogleStartBitrate: 1000 } });
  },
  async join() {
    const started = performance.now();
    const { routerRtpCapabilities, transport } = await request("setup", { direction: "recv" });
    const device = await Device.factory();
    await device.load({ routerRtpCapabilities });
    const recv = device.createRecvTransport(transport);
    wire(recv);
    const info = await request("consume", { transportId: recv.id, rtpCapabilities: device.rtpCapabilities });
    const consumer = await recv.consume(info);
    await request("resume", { consumerId: consumer.id });
    const marks = await window.__firstFrame(consumer.track, () => recv.getStats());
    setTimeout(() => recv.close(), 1000);
    return { started, decoded: marks.decoded };
  },
};
`;

export interface BareServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts the bare media server (mediasoup + Socket.IO) and the page it serves. */
export async function startBareServer(): Promise<BareServer> {
  const bundle = await build({
    stdin: { contents: CLIENT, resolveDir: path.join(process.cwd(), "client-sdk"), loader: "js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome100",
    minify: true,
    write: false,
    logLevel: "warning",
  });
  const js = bundle.outputFiles[0]!.text;
  const html = `<!doctype html><meta charset="utf-8"><title>bare</title><script type="module" src="/bare.js"></script>`;
  const http: HttpServer = createServer((req, res) => {
    if (req.url === "/bare.js") res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    else res.writeHead(200, { "content-type": "text/html" }).end(html);
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  const mediasoup = await loadMediasoup();
  const worker = await mediasoup.createWorker({ logLevel: "warn" });
  const webRtcServer = await worker.createWebRtcServer({
    listenInfos: [
      { protocol: "udp", ip: "127.0.0.1", port: 0 },
      { protocol: "tcp", ip: "127.0.0.1", port: 0 },
    ],
  });
  const router = await worker.createRouter({ mediaCodecs });
  let camera: types.Producer | undefined;
  const transports = new Map<string, types.WebRtcTransport>();
  const consumers = new Map<string, types.Consumer>();

  const io = new IoServer(http);
  io.on("connection", (socket) => {
    const handle = (ev: string, run: (d: any) => Promise<unknown>) =>
      socket.on(
        ev,
        (d: unknown, ack: (r: unknown) => void) => void run(d).then(ack, (e: Error) => ack({ error: e.message })),
      );
    handle("setup", async () => {
      const t = await router.createWebRtcTransport({ webRtcServer, enableUdp: true, enableTcp: true, preferUdp: true });
      transports.set(t.id, t);
      socket.once("disconnect", () => t.close());
      return {
        routerRtpCapabilities: router.rtpCapabilities,
        transport: {
          id: t.id,
          iceParameters: t.iceParameters,
          iceCandidates: t.iceCandidates,
          dtlsParameters: t.dtlsParameters,
        },
      };
    });
    handle("connectTransport", async (d) =>
      transports
        .get(d.transportId)!
        .connect({ dtlsParameters: d.dtlsParameters })
        .then(() => ({})),
    );
    handle("produce", async (d) => {
      camera = await transports
        .get(d.transportId)!
        .produce({ kind: d.kind, rtpParameters: d.rtpParameters, keyFrameRequestDelay: 350 });
      return { id: camera.id };
    });
    handle("consume", async (d) => {
      if (!camera) throw new Error("no camera yet");
      const c = await transports.get(d.transportId)!.consume({
        producerId: camera.id,
        rtpCapabilities: d.rtpCapabilities,
        paused: true,
        preferredLayers: { spatialLayer: 0, temporalLayer: 2 },
      });
      consumers.set(c.id, c);
      return { id: c.id, producerId: camera.id, kind: c.kind, rtpParameters: c.rtpParameters };
    });
    handle("resume", async (d) =>
      consumers
        .get(d.consumerId)!
        .resume()
        .then(() => ({})),
    );
  });

  return {
    url,
    async stop() {
      void io.close();
      worker.close();
      await new Promise((r) => http.close(r));
    },
  };
}

/** Opens a bare page (its socket connected) in its own browser context. */
export async function openBarePage(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.addInitScript({ content: PAGE_INSTRUMENTS });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction("window.bare !== undefined");
  await page.evaluate("window.bare.connected()");
  return { context, page };
}
