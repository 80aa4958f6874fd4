export { createServices, createYilianServer, type Services, type YilianServer } from "./app";
export { loadConfig, getConfig, setConfig, type Config } from "./config";
export { createDb, ensureDatabase, type Db } from "./db";
export { createRedis } from "./redis";
export { requireDependencies, checkPostgres, checkRedis } from "./platform/dependencies";
export { audit } from "./audit/audit";
export type { AuthUser } from "./authz/principal";
