// One jest run for the whole repo: unit tests beside the code (`*.test.ts`), integration tests beside the code
// that start real processes (`*.int.test.ts`: mediasoup workers, coturn, ffmpeg) and cross-package integration,
// browser and fault tests in tests/. Everything runs against real PostgreSQL and Redis (a database and key
// prefix per jest worker, see tests/env.ts). `npm run test:unit` runs the unit tests alone (jest.unit.config.cjs).
const swc = [
  "@swc/jest",
  { jsc: { parser: { syntax: "typescript", tsx: true }, target: "es2022" }, module: { type: "commonjs" } },
];

module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>"],
  testMatch: ["<rootDir>/{contract,jobs,storage,audit,server,media,worker,client-sdk,prisma,tests}/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/"],
  // The packed SDK (client-sdk/dist/package) has the workspace package's name.
  modulePathIgnorePatterns: ["<rootDir>/client-sdk/dist/"],
  transform: { "^.+\\.(t|j)sx?$": swc, "^.+\\.mjs$": swc },
  // ESM-only dependencies are compiled to CommonJS for jest too.
  transformIgnorePatterns: ["/node_modules/(?!(jose|@socket\\.io|file-type|strtok3|token-types|peek-readable|uint8array-extras|@tokenizer|@borewit|@tus|srvx)/)"],
  moduleFileExtensions: ["ts", "tsx", "js", "mjs", "cjs", "json"],
  setupFiles: ["<rootDir>/tests/env.ts"],
  setupFilesAfterEnv: ["<rootDir>/tests/retry.ts"],
  globalSetup: "<rootDir>/tests/global-setup.ts",
  testTimeout: 30000,
  // Files are isolated per worker (own database copy and key prefix); how many run at once depends on the cores
  // (tests/workers.ts: one on this 2-core machine, where the real-time media tests need the CPU to themselves).
  maxWorkers: require("./tests/workers-count.cjs"),
};
