// What a room sends: camera, microphone and screen publications. A publication outlives its producer: after a
// reconnect or a relay fallback it is produced again on the new send transport, muted or not as before.
import type { types } from "mediasoup-client";
import type { MediaPermissions, MediaSource } from "@yilian/contract";
import { YilianError } from "./errors";
import type { RoomTransports } from "./room-transports";
import type { RoomConnection } from "./room-types";

interface LocalPublication {
  source: MediaSource;
  track: MediaStreamTrack;
  options: Pick<types.ProducerOptions, "encodings" | "codecOptions">;
  producer?: types.Producer;
  muted: boolean;
}

const CAMERA_SIMULCAST: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: "L1T3" },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: "L1T3" },
  { scaleResolutionDownBy: 1, maxBitrate: 1_200_000, scalabilityMode: "L1T3" },
];

export class RoomPublications {
  private readonly local = new Map<MediaSource, LocalPublication>();

  constructor(
    private readonly client: RoomConnection,
    private readonly transports: RoomTransports,
    private readonly permissions: () => MediaPermissions,
    /** A producer was created for a publication (first publish, or again after a reconnect). */
    private readonly produced: (source: MediaSource) => void = () => undefined,
  ) {}

  /** Publishes the camera (or the given track) in 3 simulcast layers. */
  async publishCamera(opts: { track?: MediaStreamTrack; simulcast?: boolean } = {}): Promise<MediaStreamTrack> {
    const track =
      opts.track ??
      (
        await navigator.mediaDevices.getUserMedia({
          video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
        })
      ).getVideoTracks()[0]!;
    await this.publish("camera", track, {
      encodings: opts.simulcast === false ? undefined : CAMERA_SIMULCAST,
      codecOptions: { videoGoogleStartBitrate: 1000 },
    });
    return track;
  }

  async publishMicrophone(opts: { track?: MediaStreamTrack } = {}): Promise<MediaStreamTrack> {
    const track =
      opts.track ??
      (
        await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        })
      ).getAudioTracks()[0]!;
    await this.publish("microphone", track, { codecOptions: { opusStereo: false, opusDtx: true, opusFec: true } });
    return track;
  }

  /** Shares the screen (or the given track) as its own publication; ends when the user stops sharing. */
  async shareScreen(opts: { track?: MediaStreamTrack } = {}): Promise<MediaStreamTrack> {
    const track =
      opts.track ??
      (
        await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false })
      ).getVideoTracks()[0]!;
    // Text and images on a shared screen must stay sharp: favour resolution over frame rate.
    if ("contentHint" in track) track.contentHint = "detail";
    await this.publish("screen", track, {
      encodings: [{ maxBitrate: 1_500_000 }],
      codecOptions: { videoGoogleStartBitrate: 1000 },
    });
    return track;
  }

  /**
   * Sends another track in place of a publication's (device switching): the producer stays, so the others keep
   * their consumer and see no interruption; the old track is stopped. Publishes when nothing is published yet.
   */
  async replaceTrack(source: MediaSource, track: MediaStreamTrack): Promise<void> {
    const pub = this.local.get(source);
    if (!pub?.producer) {
      if (source === "camera") await this.publishCamera({ track });
      else if (source === "microphone") await this.publishMicrophone({ track });
      else await this.shareScreen({ track });
      return;
    }
    const old = pub.track;
    await pub.producer.replaceTrack({ track });
    pub.track = track;
    if (old !== track) old.stop();
  }

  isMuted(source: MediaSource): boolean {
    return this.local.get(source)?.muted ?? false;
  }

  cameraProducer(): types.Producer | undefined {
    return this.local.get("camera")?.producer;
  }

  async unpublish(source: MediaSource): Promise<void> {
    const pub = this.local.get(source);
    if (!pub) return;
    this.local.delete(source);
    const producer = pub.producer;
    producer?.close();
    pub.track.stop();
    if (producer) await this.client.request("media:closeProducer", { producerId: producer.id }).catch(() => undefined);
  }

  async setMuted(source: MediaSource, muted: boolean): Promise<void> {
    const pub = this.local.get(source);
    if (!pub) return;
    pub.muted = muted;
    const producer = pub.producer;
    if (!producer) return;
    if (muted) producer.pause();
    else producer.resume();
    await this.client.request(muted ? "media:pauseProducer" : "media:resumeProducer", { producerId: producer.id });
  }

  /** Every publication produced again on the current send transport (the old producers are gone with theirs). */
  produceAgain(onError: (e: Error) => void): Promise<void>[] {
    return [...this.local.values()].map((pub) => {
      pub.producer = undefined;
      return this.produce(pub).catch((e) => onError(e as Error));
    });
  }

  /** Stops the local tracks (the room is closed). */
  stopAll(): void {
    for (const pub of this.local.values()) pub.track.stop();
    this.local.clear();
  }

  private async publish(
    source: MediaSource,
    track: MediaStreamTrack,
    options: LocalPublication["options"],
  ): Promise<void> {
    if (!this.permissions()[source])
      throw new YilianError(
        "FORBIDDEN",
        source === "screen" ? "您在此房间中不能共享屏幕" : "您在此房间中不能发送音视频",
      );
    const previous = this.local.get(source);
    if (previous) {
      previous.producer?.close();
      if (previous.track !== track) previous.track.stop();
    }
    const pub: LocalPublication = { source, track, options, muted: false };
    this.local.set(source, pub);
    await this.produce(pub);
  }

  private async produce(pub: LocalPublication): Promise<void> {
    if (!this.transports.send && this.transports.device) await this.transports.createSend();
    const transport = this.transports.send;
    if (!transport) throw new YilianError("INVALID_STATE", "发送通道尚未就绪");
    const producer = await transport.produce({
      track: pub.track,
      ...pub.options,
      stopTracks: false, // the track outlives a producer: it is produced again after a reconnect
      appData: { source: pub.source, paused: pub.muted },
    });
    if (pub.muted) producer.pause();
    pub.producer = producer;
    this.produced(pub.source);
    producer.on("trackended", () => {
      // The user ended the share from the browser's own bar (or the device went away).
      void this.unpublish(pub.source);
    });
  }
}
