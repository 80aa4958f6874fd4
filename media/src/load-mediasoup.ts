// mediasoup is loaded lazily, after the worker binary is resolved (see worker-bin.ts).
import { ensureWorkerBinEnv } from "./worker-bin";

type Mediasoup = typeof import("mediasoup");
let loaded: Promise<Mediasoup> | undefined;

export function loadMediasoup(): Promise<Mediasoup> {
  ensureWorkerBinEnv();
  loaded ??= import("mediasoup");
  return loaded;
}
