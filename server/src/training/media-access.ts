// Training rooms in the media service: who may enter (the same rule as the live session: audience, registration,
// time window) and who may send, checked on every produce: lecturers camera, microphone and screen; a viewer only
// while promoted (camera and microphone); everyone else only consumes.
import type { MediaPermissions, MediaSource } from "@yilian/contract";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { enterSession } from "./enter";
import type { TrainingLive } from "./live";

export interface TrainingRoomAccess {
  registerRoomKind(
    kind: "training",
    resolver: (ctx: {
      db: Db;
      user: AuthUser;
      roomId: string;
      now: Date;
    }) => Promise<{ role: string; permissions: MediaPermissions }>,
  ): void;
  registerProduceCheck(
    kind: "training",
    check: (ctx: { user: AuthUser; grant: { roomId: string }; source: MediaSource }) => Promise<void>,
  ): void;
}

const LECTURER: MediaPermissions = { camera: true, microphone: true, screen: true, chat: true };
const VIEWER: MediaPermissions = { camera: false, microphone: false, screen: false, chat: true };

export function connectTrainingMedia(access: TrainingRoomAccess, live: TrainingLive): void {
  access.registerRoomKind("training", async ({ db, user, roomId }) => {
    const { lecturer, manages } = await enterSession(db, user, roomId);
    if (lecturer) return { role: "LECTURER", permissions: LECTURER };
    // A viewer's permissions here are what the UI shows at join; the produce check below is authoritative.
    const speaking = await live.isSpeaker(roomId, user.id);
    return {
      role: manages ? "MODERATOR" : "VIEWER",
      permissions: speaking ? { ...VIEWER, camera: true, microphone: true } : VIEWER,
    };
  });
  access.registerProduceCheck("training", ({ user, grant, source }) =>
    live.assertMayProduce(grant.roomId, user.id, source),
  );
}
