// The SDK's live client (one authenticated Socket.IO connection per logged-in tab), shared by the notification
// centre and the video rooms. Loaded on demand: Socket.IO and mediasoup-client stay out of the first paint of
// every screen. Created on first use inside the authenticated shell, closed when it unmounts; it rides on the REST
// client's session (one login, one refresh).
import type { YilianClient } from "@yilian/client-sdk";
import { api } from "./api";

let client: Promise<YilianClient> | null = null;

export function liveClient(): Promise<YilianClient> {
  client ??= import("@yilian/client-sdk").then(({ createClient }) => createClient({ session: api }));
  return client;
}

export function closeLiveClient(): void {
  void client?.then((c) => c.close());
  client = null;
}
