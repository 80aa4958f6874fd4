// @yilian/client-sdk: join Yilian live rooms (consultations, training) from a browser.
//   const client = createClient({ url, token });
//   const room = await client.joinRoom(consultationId);
//   room.on("track", ({ track, peerId, source }) => attach(track));
//   await room.publishCamera(); await room.publishMicrophone();
export { createClient, YilianClient, YilianError, type ClientOptions, type YilianSocket } from "./client";
export { Room, type RemoteTrack, type RoomEvents, type JoinOptions } from "./room";
export type { IceFailure, IceOptions, IcePolicy } from "./ice";
export type { ConnectionQuality, LinkQuality, LinkStats, TrackStats } from "./quality";
export type { MediaChatMessage, MediaPeerInfo, MediaPermissions, MediaSource, RoomKind } from "@yilian/contract";
// Typed REST helpers (session with rotating refresh, one method per public endpoint): used by the web console.
export * from "./rest";
