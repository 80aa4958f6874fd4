// The SDK's live client (one authenticated Socket.IO connection per logged-in tab), shared by the notification
// centre and the video rooms. Created on first use inside the authenticated shell, closed when it unmounts.
import { createClient, type YilianClient } from "@yilian/client-sdk";
import { api } from "./api";

let client: YilianClient | null = null;

export function liveClient(): YilianClient {
  client ??= createClient({ token: async () => (await api.accessToken()) ?? "" });
  return client;
}

export function closeLiveClient(): void {
  client?.close();
  client = null;
}
