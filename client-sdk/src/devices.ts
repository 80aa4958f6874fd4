// Cameras and microphones before and during a call: the list of devices (with zh-CN fallbacks for unnamed ones), a
// pre-join preview (see yourself, watch the microphone level, pick devices, then join with the same tracks), and
// switching a device while published (Room.replaceTrack: the others keep receiving without a re-negotiation).
import type { MediaSource } from "@yilian/contract";
import { YilianError } from "./errors";
import type { Room } from "./room";

export interface MediaDeviceChoice {
  deviceId: string;
  kind: "videoinput" | "audioinput" | "audiooutput";
  /** The browser's name, or 摄像头 1 / 麦克风 1 before the user granted access (browsers hide names until then). */
  label: string;
}

function mediaDevices(): MediaDevices {
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia) {
    throw new YilianError(
      "UNSUPPORTED_RUNTIME",
      "此环境无法访问摄像头和麦克风（需要浏览器，且页面须为 https 或本机地址）",
    );
  }
  return navigator.mediaDevices;
}

const FALLBACK = { videoinput: "摄像头", audioinput: "麦克风", audiooutput: "扬声器" } as const;

/** Cameras, microphones and speakers, in the browser's order. */
export async function listDevices(): Promise<MediaDeviceChoice[]> {
  const all = await mediaDevices().enumerateDevices();
  const count = { videoinput: 0, audioinput: 0, audiooutput: 0 };
  return all
    .filter((d): d is MediaDeviceInfo & { kind: MediaDeviceChoice["kind"] } => d.kind in count)
    .map((d) => ({ deviceId: d.deviceId, kind: d.kind, label: d.label || `${FALLBACK[d.kind]} ${++count[d.kind]}` }));
}

/** Calls `listener` when a device is plugged in or removed (e.g. a USB headset). Returns the unsubscribe. */
export function onDevicesChanged(listener: (devices: MediaDeviceChoice[]) => void): () => void {
  const md = mediaDevices();
  const h = () => void listDevices().then(listener, () => undefined);
  md.addEventListener("devicechange", h);
  return () => md.removeEventListener("devicechange", h);
}

const cameraConstraints = (deviceId?: string): MediaTrackConstraints => ({
  ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30 },
});
const microphoneConstraints = (deviceId?: string): MediaTrackConstraints => ({
  ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
});

/** A fresh track from one device (camera or microphone). */
export async function openDevice(source: Exclude<MediaSource, "screen">, deviceId?: string): Promise<MediaStreamTrack> {
  const stream = await mediaDevices().getUserMedia(
    source === "camera" ? { video: cameraConstraints(deviceId) } : { audio: microphoneConstraints(deviceId) },
  );
  return (source === "camera" ? stream.getVideoTracks() : stream.getAudioTracks())[0]!;
}

/**
 * The pre-join check (入会前检测): camera and microphone open before entering the room, so the user sees their
 * picture and microphone level and can pick other devices. Join with the same tracks:
 *   const preview = await createPreview();
 *   video.srcObject = new MediaStream([preview.camera!]);
 *   preview.onLevel((v) => meter.value = v);
 *   await preview.useCamera(otherId);
 *   const room = await live.joinRoom(id);  await preview.publishTo(room);
 */
export class Preview {
  camera: MediaStreamTrack | null = null;
  microphone: MediaStreamTrack | null = null;
  private audio?: { ctx: AudioContext; timer: ReturnType<typeof setInterval> };
  private levelListeners = new Set<(level: number) => void>();

  async useCamera(deviceId?: string): Promise<MediaStreamTrack> {
    const track = await openDevice("camera", deviceId);
    this.camera?.stop();
    return (this.camera = track);
  }

  async useMicrophone(deviceId?: string): Promise<MediaStreamTrack> {
    const track = await openDevice("microphone", deviceId);
    this.microphone?.stop();
    this.microphone = track;
    this.meter(track);
    return track;
  }

  /** Microphone level 0..1 about 10 times a second, while the preview runs. */
  onLevel(listener: (level: number) => void): () => void {
    this.levelListeners.add(listener);
    return () => this.levelListeners.delete(listener);
  }

  /** Publishes the previewed tracks in the room (the preview hands them over: stop() no longer stops them). */
  async publishTo(room: Room): Promise<void> {
    this.stopMeter();
    if (this.camera && room.permissions.camera) await room.publishCamera({ track: this.camera });
    if (this.microphone && room.permissions.microphone) await room.publishMicrophone({ track: this.microphone });
    this.camera = this.microphone = null;
  }

  /** Leaves the check without joining: the devices are released. */
  stop(): void {
    this.stopMeter();
    this.camera?.stop();
    this.microphone?.stop();
    this.camera = this.microphone = null;
  }

  private meter(track: MediaStreamTrack): void {
    this.stopMeter();
    if (typeof AudioContext === "undefined") return;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      const rms = Math.sqrt(samples.reduce((s, v) => s + v * v, 0) / samples.length);
      const level = Math.min(1, rms * 4);
      for (const l of this.levelListeners) l(level);
    }, 100);
    this.audio = { ctx, timer };
  }

  private stopMeter(): void {
    if (!this.audio) return;
    clearInterval(this.audio.timer);
    void this.audio.ctx.close().catch(() => undefined);
    this.audio = undefined;
  }
}

/** Opens the camera and the microphone (either may be switched off) for a pre-join check. */
export async function createPreview(
  opts: { camera?: boolean | string; microphone?: boolean | string } = {},
): Promise<Preview> {
  const p = new Preview();
  const pick = (v: boolean | string | undefined) => (v === false ? null : typeof v === "string" ? v : undefined);
  const cam = pick(opts.camera);
  const mic = pick(opts.microphone);
  try {
    if (cam !== null) await p.useCamera(cam);
    if (mic !== null) await p.useMicrophone(mic);
  } catch (e) {
    p.stop();
    throw e;
  }
  return p;
}

/** Switches the device of a publication in a room (another camera, a headset's microphone) without leaving. */
export async function switchDevice(
  room: Room,
  source: Exclude<MediaSource, "screen">,
  deviceId: string,
): Promise<MediaStreamTrack> {
  const track = await openDevice(source, deviceId);
  try {
    await room.replaceTrack(source, track);
  } catch (e) {
    track.stop();
    throw e;
  }
  return track;
}
