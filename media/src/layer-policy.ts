// The broadcast layer policy: per viewer, the downlink decides the simulcast layer. The bandwidth mediasoup
// estimates for the viewer's transport (BWE trace) caps the spatial layer, so a weak township link gets the low
// layer instead of freezing; below the audio-only floor video is paused altogether and resumed with hysteresis
// when the link recovers.
import type { ConsumerData, Peer } from "./peer";
import type { PoolWorker } from "./worker-pool";

/** Available bitrate (bps) → highest spatial layer. Layers of a 3-layer simulcast: ~150k / ~500k / ~1.5M. */
export interface LayerPolicy {
  /** Minimum available bitrate for layer i (index = layer). */
  layerFloorsBps: number[];
  /** Below this, video is paused (audio only); it resumes above `audioOnlyExitBps`. */
  audioOnlyEnterBps: number;
  audioOnlyExitBps: number;
  /** Consecutive estimates needed before entering audio-only (one bad sample is not a weak link). */
  audioOnlyAfterSamples: number;
}

export const DEFAULT_LAYER_POLICY: LayerPolicy = {
  layerFloorsBps: [0, 350_000, 1_000_000],
  audioOnlyEnterBps: 90_000,
  audioOnlyExitBps: 180_000,
  audioOnlyAfterSamples: 3,
};

/** Pure: the layer a viewer with this much downlink should get. */
export function layerForBitrate(availableBps: number, policy: LayerPolicy = DEFAULT_LAYER_POLICY): number {
  let layer = 0;
  policy.layerFloorsBps.forEach((floor, i) => {
    if (availableBps >= floor) layer = i;
  });
  return layer;
}

/** Consumers the client acknowledged (resumed): only those may be resumed again after audio-only. */
export type Resumable = ConsumerData & { clientResumed?: boolean };

/** One viewer's downlink: the edge it receives from and what its bandwidth allows. */
export interface ViewerLink {
  edge: PoolWorker;
  lowSamples: number;
  audioOnly: boolean;
  /** Set by the viewer (or an operator): audio only whatever the link. */
  audioOnlyRequested: boolean;
  layerCap: number | null;
}

export function newViewerLink(edge: PoolWorker): ViewerLink {
  return { edge, lowSamples: 0, audioOnly: false, audioOnlyRequested: false, layerCap: null };
}

/** Whether the viewer's video is held paused (weak link or asked for audio only). */
export function videoHeld(l: ViewerLink): boolean {
  return l.audioOnly || l.audioOnlyRequested;
}

/** One bandwidth estimate: enter audio-only after several low ones, leave it above the exit floor, cap the layer. */
export function observeBandwidth(l: ViewerLink, availableBps: number, p: LayerPolicy): void {
  if (!l.audioOnly) {
    l.lowSamples = availableBps < p.audioOnlyEnterBps ? l.lowSamples + 1 : 0;
    if (l.lowSamples >= p.audioOnlyAfterSamples) l.audioOnly = true;
  } else if (availableBps >= p.audioOnlyExitBps) {
    l.audioOnly = false;
    l.lowSamples = 0;
  }
  l.layerCap = layerForBitrate(availableBps, p);
}

/** Brings a viewer's video consumers in line with its link: paused when held, else capped to the allowed layer. */
export async function applyVideo(peer: Peer, l: ViewerLink): Promise<void> {
  const audioOnly = videoHeld(l);
  for (const c of peer.consumers.values()) {
    if (c.kind !== "video" || c.closed) continue;
    if (audioOnly) {
      if (!c.paused) await c.pause().catch(() => undefined);
      continue;
    }
    if (c.type === "simulcast" && l.layerCap !== null) {
      const data = c.appData as ConsumerData;
      const want = Math.min(l.layerCap, (c.rtpParameters.encodings?.length ?? 3) - 1);
      const current = c.preferredLayers?.spatialLayer;
      if (data.started && current !== want)
        await c.setPreferredLayers({ spatialLayer: want, temporalLayer: 2 }).catch(() => undefined);
      else if (!data.started) data.desired = { spatialLayer: want, temporalLayer: 2 };
    }
    // Resumed only if the client had resumed it (a consumer the client never acknowledged stays paused).
    if (c.paused && (c.appData as Resumable).clientResumed) await c.resume().catch(() => undefined);
  }
}
