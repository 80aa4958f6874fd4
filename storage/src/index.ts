// @yilian/storage: the object store and its key layout.
export * from "./storage";
export * from "./keys";
