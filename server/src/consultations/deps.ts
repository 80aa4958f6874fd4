import type { Redis } from "ioredis";
import type { Config } from "../config";
import type { Db } from "../db";
import type { EventSink } from "./notify";
import type { ConsultationQueues } from "./jobs";

/** What the consultation, scheduling and referral use cases need; built once per process in module.ts. */
export interface ConsultationDeps {
  db: Db;
  redis: Redis;
  config: Config;
  /** Socket.IO server (or a Redis emitter in the worker): where events go after commit. */
  sink: () => EventSink;
  queues: ConsultationQueues;
}
