// @yilian/client-sdk: the REST API and the real-time half (notifications, live rooms) of Yilian (医联).
//   const rest = createRestClient({ baseUrl });          // REST: one method per endpoint, one session
//   await rest.login(username, password);
//   const live = createClient({ session: rest });        // Socket.IO on the same session
//   live.notifications.subscribe((name, e) => …);         // consultation events
//   const room = await live.joinRoom(consultationId);     // video (browsers)
export { createClient, YilianClient, type ClientOptions, type SessionSource, type YilianSocket } from "./client";
export { YilianError, isYilianError, SESSION_ENDING_CODES, type LocalErrorCode } from "./errors";
export { ConsultationNotifications, type ConsultationListener } from "./notifications";
export {
  Room,
  newClientRef,
  type RemoteTrack,
  type RoomEvents,
  type JoinOptions,
  type JoinTimeline,
  type RoomConnection,
} from "./room";
export type { IceFailure, IceOptions, IcePolicy } from "./ice";
export type { ConnectionQuality, LinkQuality, LinkStats, TrackStats } from "./quality";
export * from "./devices";
export * from "./rest";
// The contract: every request and response type, enums with their zh-CN labels, error codes, the event map.
export * from "@yilian/contract";
