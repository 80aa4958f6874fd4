// What the room does on a weak link (township 4G, thin ADSL), per direction, so video keeps moving instead of
// freezing and audio keeps its bandwidth: when what arrives is poor, remote cameras drop to the lowest simulcast
// layer; when what this client sends is poor, it stops sending its own upper layers. Each direction alone: a
// specialist on a good line whose township peer's uplink is weak keeps sending every layer to everyone else. When a
// direction is good again (held for a few seconds, see quality.ts) its layers come back: each remote camera to the
// layer the application asked for (default the highest), the own camera to all layers.
import type { types } from "mediasoup-client";
import type { LinkQuality } from "./quality";

const TOP_LAYER = 2;
/**
 * On a weak link also half the frame rate (15 fps of 30): a frame recovered by retransmission after a loss then
 * still arrives within Chromium's freeze threshold (3 frame intervals), so losses show as no stall.
 */
const WEAK_TEMPORAL_LAYER = 1;
/**
 * On a weak link every received track waits longer before playing. The SFU terminates RTCP, so the far sender
 * never learns of this client's losses (its Opus FEC stays off); what repairs a loss here is a NACK to the SFU and
 * its retransmission. The buffer leaves room for two attempts (a retransmission is lost as often as the original):
 * about 2.5 round trips, never below 300 ms nor above 700 ms (conversation still works at that delay).
 */
export const weakJitterBufferMs = (rttMs: number | undefined) =>
  Math.min(700, Math.max(300, Math.round(2.5 * (rttMs ?? 150) + 100)));

/**
 * The most the buffer moves per quality sample (one a second) once set. A collapse is seen before its round trip (the
 * queue that fills shows in the RTT a second or two later), so the buffer first follows a rising RTT; Chromium holds
 * video back by a grown target at once, the step shows as a gap between frames, and a larger one than this as a
 * freeze.
 */
const BUFFER_STEP_MS = 50;

export interface WeakLinkOps {
  /** Asks the server for a remote camera in a spatial layer (`urgent`: at once, see MediaSetPreferredLayersRequest). */
  requestLayer(consumerId: string, spatialLayer: number, temporalLayer?: number, urgent?: boolean): Promise<void>;
  /** Remote camera consumers now received. */
  cameraConsumers(): string[];
  /** The own camera producer, if publishing. */
  cameraProducer(): types.Producer | undefined;
  /** RTP receivers of every track now received (audio and video). */
  receivers(): RTCRtpReceiver[];
  /** The last measured round trip to the media server. */
  rttMs(): number | undefined;
  /** The room's default layer for remote cameras (JoinOptions.preferredSpatialLayer). */
  defaultLayer?: number;
}

export class WeakLinkPolicy {
  /** What arrives is poor: remote cameras in the lowest layer, a longer jitter buffer. */
  receivingDegraded = false;
  /** What this client sends is poor: its own camera in the lowest layer only. */
  sendingDegraded = false;
  /** Layers the application asked for, per consumer. */
  private readonly wishes = new Map<string, { spatialLayer: number; temporalLayer?: number }>();
  /** The jitter buffer asked of every receiver (ms; null: the engine's own). */
  private target: number | null = null;

  constructor(private readonly ops: WeakLinkOps) {}

  /** The application's choice for one remote camera; held back to the lowest layer while the link is weak. */
  async want(consumerId: string, spatialLayer: number, temporalLayer?: number): Promise<void> {
    this.wishes.set(consumerId, { spatialLayer, temporalLayer });
    await this.ops.requestLayer(
      consumerId,
      this.receivingDegraded ? 0 : spatialLayer,
      this.receivingDegraded ? WEAK_TEMPORAL_LAYER : temporalLayer,
    );
  }

  /** A new remote track arrived while the link is weak: longer buffer, and a camera in the lowest layer. */
  async added(consumerId: string, camera: boolean): Promise<void> {
    if (!this.receivingDegraded) return;
    this.applyJitterBuffer(this.target);
    if (camera) await this.ops.requestLayer(consumerId, 0, WEAK_TEMPORAL_LAYER).catch(() => undefined);
  }

  forget(consumerId: string): void {
    this.wishes.delete(consumerId);
  }

  /** What this client sends: its own camera's upper layers stop while it is poor or lost, and come back when good. */
  async onSendingQuality(quality: LinkQuality): Promise<void> {
    const degraded = quality !== "good";
    if (degraded === this.sendingDegraded) return;
    this.sendingDegraded = degraded;
    await this.limitCamera();
  }

  /** The own camera was published (again): on a weak uplink, in the lowest layer from the start. */
  async published(): Promise<void> {
    if (this.sendingDegraded) await this.limitCamera();
  }

  private async limitCamera(): Promise<void> {
    const producer = this.ops.cameraProducer();
    const layers = producer?.rtpParameters.encodings?.length ?? 0;
    if (producer && !producer.closed && layers > 1)
      await producer.setMaxSpatialLayer(this.sendingDegraded ? 0 : layers - 1).catch(() => undefined);
  }

  /** What arrives here (poor and lost degrade; good restores). */
  async onReceivingQuality(quality: LinkQuality): Promise<void> {
    const degraded = quality !== "good";
    if (degraded === this.receivingDegraded) return;
    this.receivingDegraded = degraded;
    this.applyJitterBuffer(degraded ? weakJitterBufferMs(this.ops.rttMs()) : null);
    await Promise.all(
      this.ops.cameraConsumers().map((id) => {
        const wish = this.wishes.get(id);
        const layer = degraded ? 0 : (wish?.spatialLayer ?? this.ops.defaultLayer ?? TOP_LAYER);
        // Degrading is urgent: what is queued for the upper layer only adds to the loss.
        return this.ops
          .requestLayer(id, layer, degraded ? WEAK_TEMPORAL_LAYER : wish?.temporalLayer, degraded)
          .catch(() => undefined);
      }),
    );
  }

  /** Every quality sample: on a weak link the buffer follows the round trip, a step at a time. */
  onSample(): void {
    if (!this.receivingDegraded || this.target === null) return;
    const off = weakJitterBufferMs(this.ops.rttMs()) - this.target;
    if (Math.abs(off) >= BUFFER_STEP_MS / 2)
      this.applyJitterBuffer(this.target + Math.sign(off) * Math.min(Math.abs(off), BUFFER_STEP_MS));
  }

  private applyJitterBuffer(target: number | null): void {
    this.target = target;
    for (const receiver of this.ops.receivers()) {
      // jitterBufferTarget: Chromium ≥ 114, Firefox, Safari; older engines keep their own adaptive buffer.
      if ("jitterBufferTarget" in receiver) receiver.jitterBufferTarget = target;
    }
  }
}
