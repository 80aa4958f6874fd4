// @yilian/jobs: one definition per queue (name, job names, zod payload, job ids and options), imported by the
// server, which enqueues, and the worker, which processes. Payloads carry ids only: no patient data ever sits
// in Redis. The worker parses every payload with its schema before acting on it.
export { bullPrefix } from "./prefix";
export * from "./uploads";
export * from "./statistics";
export * from "./recording";
export * from "./consultations";
export * from "./training";
export * from "./pacs";
