export { createYilianServer, type YilianServer } from "./app";
export { createServices, type Services } from "./services";
export { loadConfig, getConfig, setConfig, type Config } from "./config";
export { createDb, ensureDatabase, groupCommit, sqlOf, type Db, type Sql } from "./db";
export { createRedis } from "./redis";
export { requireDependencies, checkPostgres, checkRedis } from "./platform/dependencies";
export { audit } from "./audit/audit";
export type { AuthUser } from "./authz/principal";

// What the worker's jobs share with the API's use cases: consultation notifications and state transitions,
// specialists' busy time, and the end of a training session (reminders and the automatic close).
export { consultationEvent, publish, staffOf, type EventSink } from "./consultations/notify";
export { transition } from "./consultations/state-machine";
export { releaseBusyTime } from "./scheduling/busy";
export {
  TrainingLive,
  finalizeAttendance,
  markEnded,
  notificationRooms,
  trainingNotification,
  type EventSink as TrainingEventSink,
} from "./training/index";
// The worker pulls PACS studies with the same DICOMweb client (stored base URL only, no redirects, zh-CN reasons).
export { pacsGet, pacsTarget, type PacsTarget } from "./pacs/dicomweb-client";
export { pacsAddressPolicy, type PacsAddressPolicy } from "./pacs/address";
// An imported slice that leaves its preview to be drawn when first asked for.
export { PREVIEW_ON_REQUEST } from "./uploads/uploads";
