// The media path of a room: the mediasoup device, its send and receive transports, and keeping them connected
// (ICE restarts on a path change, the relay-only fallback when the direct path fails).
import { Device, type types } from "mediasoup-client";
import type { MediaRestartIceResult, MediaSource, MediaTransportInfo } from "@yilian/contract";
import type { IceConfig, IceFailure } from "./ice";
import type { LoadedDevice, RoomConnection } from "./room-types";

export async function loadDevice(routerRtpCapabilities: unknown): Promise<LoadedDevice> {
  // factory() picks the browser handler from navigator.userAgentData (secure origins only).
  const device = await Device.factory();
  await device.load({ routerRtpCapabilities: routerRtpCapabilities as types.RtpCapabilities });
  return { device, routerRtpCapabilities: JSON.stringify(routerRtpCapabilities) };
}

/** What the transports need of their room. */
export interface TransportsHost {
  readonly closed: boolean;
  /** Bumped whenever the transports are dropped: work begun for an older one is abandoned. */
  readonly generation: number;
  error(e: Error): void;
  relayFallback(f: IceFailure): void;
  /** New transports and consumers from the server, publications produced again. */
  rebuild(): Promise<void>;
}

export class RoomTransports {
  device?: Device;
  send?: types.Transport;
  recv?: types.Transport;
  /** Resolves with the receive transport of the current generation (consumers wait for it). */
  recvReady!: Promise<types.Transport>;
  private markRecvReady!: (t: types.Transport) => void;
  private fallingBack = false;

  constructor(
    private readonly client: RoomConnection,
    readonly ice: IceConfig,
    private readonly host: TransportsHost,
  ) {
    this.resetRecvReady();
  }

  /** The transports of a media setup from the server (join, reset). */
  create(recvInfo: MediaTransportInfo, sendInfo: MediaTransportInfo | undefined): void {
    const recv = this.device!.createRecvTransport({
      ...(recvInfo as types.TransportOptions),
      ...this.ice.transportOptions(),
    });
    this.wire(recv, "recv");
    this.recv = recv;
    this.markRecvReady(recv);
    if (sendInfo) this.makeSend(sendInfo);
  }

  /**
   * The send transport; in the join's setup when the peer may send, or made on the first publish of a peer allowed
   * to send later (a training viewer promoted to speak): thousands of viewers do not hold idle send transports.
   */
  async createSend(): Promise<void> {
    const generation = this.host.generation;
    const sendInfo = await this.client.request<MediaTransportInfo>("media:createTransport", { direction: "send" });
    if (generation !== this.host.generation || this.send) return;
    this.makeSend(sendInfo);
  }

  /** Closes both transports; the next setup creates new ones. */
  drop(): void {
    this.close();
    this.send = this.recv = undefined;
    this.resetRecvReady();
  }

  close(): void {
    this.send?.close();
    this.recv?.close();
  }

  async restartIce(transport: types.Transport): Promise<void> {
    if (transport.closed) return;
    try {
      const res = await this.client.request<MediaRestartIceResult>("media:restartIce", { transportId: transport.id });
      // Fresh TURN credentials for the new gathering: those of the join may have expired in a long call.
      this.ice.update(res);
      if (!transport.closed && this.ice.iceServers.length)
        await transport.updateIceServers({ iceServers: this.ice.iceServers });
      if (!transport.closed) await transport.restartIce({ iceParameters: res.iceParameters as types.IceParameters });
    } catch (e) {
      if (!this.host.closed) this.host.error(e as Error);
    }
  }

  private resetRecvReady(): void {
    this.recvReady = new Promise((resolve) => (this.markRecvReady = resolve));
  }

  private makeSend(sendInfo: MediaTransportInfo): void {
    const send = this.device!.createSendTransport({
      ...(sendInfo as types.TransportOptions),
      ...this.ice.transportOptions(),
    });
    this.wire(send, "send");
    send.on("produce", ({ kind, rtpParameters, appData }, callback, errback) => {
      const a = appData as { source: MediaSource; paused?: boolean };
      this.client
        .request<{ id: string }>("media:produce", {
          transportId: send.id,
          kind,
          source: a.source,
          rtpParameters,
          paused: !!a.paused,
        })
        .then(callback, errback);
    });
    this.send = send;
  }

  private wire(transport: types.Transport, direction: "send" | "recv"): void {
    transport.on("connect", ({ dtlsParameters }, callback) => {
      // Nothing waits for the answer (mediasoup-client would hold back ICE until it came): the server sends the
      // first DTLS flight of a send transport itself, and the browser retransmits a receive transport's early one.
      this.client
        .request("media:connectTransport", { transportId: transport.id, dtlsParameters })
        .catch((e) => !this.host.closed && this.host.error(e as Error));
      callback();
    });
    transport.on("connectionstatechange", (state) => {
      // A path change (Wi-Fi to wired, VPN reconnect): new ICE credentials rather than a new call. A transport
      // that never connected, or failed, is the ICE watcher's (below): relay-only first when that is untried.
      if (
        (state === "disconnected" || (state === "failed" && !this.ice.canFallBack())) &&
        this.client.socket.connected &&
        !this.host.closed
      ) {
        void this.restartIce(transport);
      }
    });
    this.ice.watch(transport, direction, (f) => void this.onIceFailure(transport, f));
  }

  private async onIceFailure(transport: types.Transport, f: IceFailure): Promise<void> {
    if (this.host.closed || !this.client.socket.connected) return;
    if (this.ice.canFallBack()) await this.fallBackToRelay(f);
    else if (f.reason === "timeout") await this.restartIce(transport);
  }

  /**
   * The direct path did not work (UDP blocked and the media port closed, or a firewall that passes ICE checks but
   * not media): the server drops this peer's transports and the room builds new ones that only use TURN relays.
   */
  private async fallBackToRelay(f: IceFailure): Promise<void> {
    if (this.fallingBack) return;
    this.fallingBack = true;
    try {
      this.ice.policy = "relay";
      this.host.relayFallback(f);
      await this.host.rebuild();
    } catch (e) {
      if (!this.host.closed) this.host.error(e as Error);
    } finally {
      this.fallingBack = false;
    }
  }
}
