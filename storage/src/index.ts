// @yilian/storage: the object store (local disk or S3-compatible) and the key layout of what it holds.
export * from "./storage";
export * from "./keys";
