// Across media nodes: a session larger than one host spans media nodes; the origin node's router and an edge node's
// router are joined by a PipeTransport pair (mediasoup's cross-host pipe). Handshake, orchestrated by the caller:
//   edge.pipeListen() → origin.pipeOffer(edgeEndpoint) → edge.pipeConnect(originEndpoint, producers);
// later producers (a promoted viewer) follow with origin.pipeProducers() → edge.pipeAdopt().
// This class holds a room's pipe transports; the room (broadcast-room.ts) turns what arrives into its peers.
import type { types } from "mediasoup";
import { AppError, ErrorCode } from "@yilian/contract";
import type { PipeEndpoint, PipedProducer } from "./api";
import type { Peer } from "./peer";
import type { MediaSettings } from "./settings";

export class NodePipes {
  private readonly transports = new Map<string, types.PipeTransport>();
  /** Pipe transport id → producers already sent through it (a retried or raced pipeProducers sends each once). */
  private readonly sentThrough = new Map<string, Set<string>>();

  /** `router`: the room's origin router now (it changes when the room migrates to another worker). */
  constructor(
    private readonly router: () => types.Router,
    private readonly settings: MediaSettings,
  ) {}

  /** Joined to other media nodes: the room is not empty while the session has peers elsewhere. */
  get any(): boolean {
    return this.transports.size > 0;
  }

  /** Closes a pipe whose other end is gone (a lost edge node): it would otherwise carry RTP to nowhere. */
  close(transportId: string): void {
    this.transports.get(transportId)?.close();
  }

  /** A pipe endpoint for the other node to connect to. */
  async listen(): Promise<{ transport: types.PipeTransport; endpoint: PipeEndpoint }> {
    // Nodes reach each other on the announced address (the media network between hosts), else the listen one.
    const t = await this.router().createPipeTransport({
      listenIp: { ip: this.settings.listenIp, announcedIp: this.settings.announcedIp },
    });
    this.transports.set(t.id, t);
    this.sentThrough.set(t.id, new Set());
    t.observer.once("close", () => {
      this.transports.delete(t.id);
      this.sentThrough.delete(t.id);
    });
    return { transport: t, endpoint: { transportId: t.id, ip: t.tuple.localIp, port: t.tuple.localPort } };
  }

  async connect(transportId: string, remote: { ip: string; port: number }): Promise<void> {
    await this.transport(transportId).connect({ ip: remote.ip, port: remote.port });
  }

  /** Sends the peers' producers (all, or the given ones) through a pipe; each producer crosses a given pipe once. */
  async send(transportId: string, peers: Iterable<Peer>, producerIds?: string[]): Promise<PipedProducer[]> {
    const t = this.transport(transportId);
    const sent = this.sentThrough.get(transportId)!;
    const out: PipedProducer[] = [];
    for (const peer of peers) {
      for (const producer of peer.producers.values()) {
        if ((producerIds && !producerIds.includes(producer.id)) || sent.has(producer.id)) continue;
        sent.add(producer.id);
        const c = await t.consume({ producerId: producer.id });
        c.observer.once("close", () => sent.delete(producer.id));
        out.push({
          producerId: producer.id,
          kind: c.kind,
          rtpParameters: c.rtpParameters,
          paused: c.producerPaused,
          source: producer.appData.source,
          peer: peer.info(),
        });
      }
    }
    return out;
  }

  /** An open pipe transport, or NOT_FOUND. */
  transport(transportId: string): types.PipeTransport {
    const t = this.transports.get(transportId);
    if (!t) throw new AppError(ErrorCode.NOT_FOUND, "跨节点管道不存在", { details: { transportId } });
    return t;
  }
}
