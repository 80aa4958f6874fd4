// The authenticated part of the console, split from the login bundle: live connection + frame.
import { RealtimeProvider } from "../lib/realtime";
import { AppLayout } from "./AppLayout";

export default function Shell() {
  return (
    <RealtimeProvider>
      <AppLayout />
    </RealtimeProvider>
  );
}
