// The RTP capabilities of every room router. They follow from mediaCodecs alone (mediasoup's Worker.createRouter
// computes them with the same function), so a client can load its device before it joins any room: its join then
// carries its own capabilities and comes back with its consumers in one round trip.
import { loadMediasoup } from "./load-mediasoup";
import { mediaCodecs } from "./settings";

let capabilities: Promise<unknown> | undefined;

export function routerRtpCapabilities(): Promise<unknown> {
  capabilities ??= loadMediasoup().then(async () => {
    const ortc = await import("mediasoup/node/lib/ortc");
    return ortc.generateRouterRtpCapabilities(mediaCodecs);
  });
  return capabilities;
}
