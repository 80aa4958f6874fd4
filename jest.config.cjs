// One jest run for the whole repo: unit tests beside the code (`*.test.ts`) and cross-package integration,
// browser and fault tests in tests/. Everything runs against real PostgreSQL and Redis (their own database
// and key prefix, see tests/env.ts).
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
  // One test file at a time: files share the seeded test database (specialists' free slots, queues) and the
  // real-time media tests need the CPU to themselves on a 2-core machine.
  maxWorkers: 1,
};
