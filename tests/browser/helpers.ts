// Real Chromium (Debian's, driven by playwright-core) against a real server: each participant is its own
// browser context on the SDK example origin (http://127.0.0.1:<port>, a secure origin for WebRTC).
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildSdk } from "../../client-sdk/build";

export { launchBrowser } from "../helpers/chromium";

let built: Promise<string> | undefined;
/** Builds the SDK bundle into client-sdk/dist once per test process (the server serves it under /sdk/). */
export function ensureSdkBuilt(): Promise<string> {
  built ??= buildSdk(undefined, { minify: false });
  return built;
}

export interface Participant {
  context: BrowserContext;
  page: Page;
}

/** Opens the example origin and loads the SDK; `window.yl` holds the client, the room and the received media. */
export async function openParticipant(browser: Browser, baseUrl: string, token: string): Promise<Participant> {
  // bypassCSP: the test drives the SDK through page.evaluate (the server's CSP forbids eval for real pages).
  const context = await browser.newContext({ bypassCSP: true });
  // tsx (benchmarks) compiles with esbuild's keepNames: functions passed to page.evaluate call its `__name` helper.
  await context.addInitScript({ content: "globalThis.__name = (fn) => fn;" });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("[page]", e.message));
  await page.goto(`${baseUrl}/sdk/index.html`);
  await page.evaluate(async (token) => {
    // An indirect eval keeps the dynamic import a real browser import (jest compiles `import()` to require()).
    const sdk = await (0, eval)('import("/sdk/yilian-sdk.js")');
    const w = window as unknown as { yl: Record<string, unknown> };
    const events: unknown[] = [];
    /** Keeps the room, logs its events and renders every remote track (so it is decoded and shown). */
    const watch = (room: any) => {
      w.yl.room = room;
      for (const ev of [
        "peerJoined",
        "peerLeft",
        "mute",
        "activeSpeaker",
        "reconnecting",
        "reconnected",
        "closed",
        "error",
        "chat",
        "trackEnded",
        "connectionQuality",
        "relayFallback",
      ]) {
        room.on(ev, (e: unknown) =>
          events.push({
            ev,
            e: JSON.parse(
              JSON.stringify(e ?? null, (_k, v) =>
                v instanceof Error ? { message: v.message, code: (v as any).code } : v,
              ),
            ),
            at: performance.now(),
          }),
        );
      }
      const render = (t: any) => {
        if (document.querySelector(`[data-consumer="${t.consumerId}"]`)) return;
        const el = document.createElement(t.kind === "video" ? "video" : "audio") as HTMLMediaElement;
        el.autoplay = true;
        el.muted = true;
        el.srcObject = new MediaStream([t.track]);
        el.dataset.consumer = t.consumerId;
        document.body.append(el);
        void el.play().catch(() => undefined);
      };
      // The join's answer already carried the others' media: those tracks exist before anyone can listen.
      for (const t of room.tracks.values()) render(t);
      room.on("track", render);
      room.on("trackEnded", (t: any) => document.querySelector(`[data-consumer="${t.consumerId}"]`)?.remove());
    };
    w.yl = { sdk, client: sdk.createClient({ token }), events, watch };
  }, token);
  return { context, page };
}

/** The page's peer id in its room. */
export const peerIdOf = (p: Participant) => p.page.evaluate(() => (window as any).yl.room.peerId as string);

/** Joins the room in the page and renders every remote video track (so it is decoded and shown). */
export async function joinInPage(
  p: Participant,
  roomId: string,
): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  return p.page.evaluate(async (roomId) => {
    const yl = (window as unknown as { yl: any }).yl;
    try {
      yl.watch(await yl.client.joinRoom(roomId));
      return { ok: true as const };
    } catch (e: any) {
      return { ok: false as const, code: e.code, message: e.message };
    }
  }, roomId);
}

export interface InboundTrack {
  peerId: string;
  source: string;
  kind: string;
  muted: boolean;
  framesDecoded: number;
  packetsReceived: number;
  bytesReceived: number;
}

/** Inbound-rtp statistics of every remote track the page currently receives. */
export async function inbound(p: Participant): Promise<InboundTrack[]> {
  return p.page.evaluate(async () => {
    const room = (window as unknown as { yl: any }).yl.room;
    const report: RTCStatsReport | undefined = await room.getStats();
    const stats: any[] = [];
    report?.forEach((s: any) => s.type === "inbound-rtp" && stats.push(s));
    return [...room.tracks.values()].map((t: any) => {
      const s = stats.find((x) => x.trackIdentifier === t.track.id) ?? {};
      return {
        peerId: t.peerId,
        source: t.source,
        kind: t.kind,
        muted: t.muted,
        framesDecoded: s.framesDecoded ?? 0,
        packetsReceived: s.packetsReceived ?? 0,
        bytesReceived: s.bytesReceived ?? 0,
      };
    });
  });
}

export async function pageEvents(p: Participant): Promise<{ ev: string; e: any; at: number }[]> {
  return p.page.evaluate(() => (window as unknown as { yl: any }).yl.events);
}

/** Polls until `check` passes (returns a value) or the time is up. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves once the given source of the given peer decodes and keeps decoding (frames or packets growing). */
export async function flowing(
  p: Participant,
  match: (t: InboundTrack) => boolean,
  timeoutMs = 15_000,
): Promise<InboundTrack> {
  const count = (t: InboundTrack) => (t.kind === "video" ? t.framesDecoded : t.packetsReceived);
  const first = await waitFor(
    "media to arrive",
    async () => (await inbound(p)).find((t) => match(t) && count(t) > 0),
    timeoutMs,
  );
  return waitFor(
    "media to keep flowing",
    async () => {
      const now = (await inbound(p)).find(match);
      return now && count(now) > count(first) ? now : undefined;
    },
    timeoutMs,
  );
}
