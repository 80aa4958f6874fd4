// Test settings: tests never touch demo data. Own database, own Redis key prefix, quiet logs.
// Each jest worker has its own copy of the seeded database and its own key prefix (tests/global-setup.ts), so
// files that change shared state (specialists' slots, queues) can run in parallel workers without meeting.
import { workerDatabaseUrl, workerRedisPrefix } from "./workers";

process.env.NODE_ENV = "test";
process.env.DATABASE_URL = workerDatabaseUrl(process.env.JEST_WORKER_ID);
process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
process.env.REDIS_PREFIX = workerRedisPrefix(process.env.JEST_WORKER_ID);
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? "silent";
process.env.LOGIN_RATE_LIMIT = process.env.LOGIN_RATE_LIMIT ?? "100000";
// Suites log in with wrong passwords on shared demo accounts; the lock-out test sets its own threshold.
process.env.LOGIN_LOCKOUT_AFTER = process.env.LOGIN_LOCKOUT_AFTER ?? "1000";
process.env.PORT = "0";
process.env.HOST = "127.0.0.1";
process.env.SEED_DEMO_DATA = "false";
// Live rooms: ephemeral WebRTC ports (parallel test servers never collide) and one mediasoup worker each.
process.env.MEDIA_WEBRTC_PORT = process.env.MEDIA_WEBRTC_PORT ?? "0";
process.env.MEDIA_WORKERS = process.env.MEDIA_WORKERS ?? "1";
// No coturn outside tests/links (whose lab starts one and turns TURN on): no TURN servers in join answers.
process.env.TURN_ENABLED = process.env.TURN_ENABLED ?? "false";
// Explicit secrets: tests never read or write the state directory's generated ones.
process.env.JWT_SECRET = process.env.TEST_JWT_SECRET ?? "test-jwt-secret-0123456789-0123456789-abcdef";
process.env.PATIENT_DATA_KEY = process.env.TEST_PATIENT_DATA_KEY ?? Buffer.alloc(32, "yilian-test").toString("base64");
process.env.TURN_SECRET = process.env.TEST_TURN_SECRET ?? "test-turn-secret-0123456789-0123456789-abcdef";
