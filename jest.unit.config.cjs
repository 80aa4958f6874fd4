// `npm run test:unit`: the unit tests beside the code — no database, no Redis, no processes; seconds.
// Integration tests beside the code are named *.int.test.ts and run with the full suite (jest.config.cjs).
const full = require("./jest.config.cjs");

module.exports = {
  ...full,
  testMatch: ["<rootDir>/{contract,jobs,storage,audit,server,media,worker,client-sdk,prisma}/**/*.test.ts"],
  testPathIgnorePatterns: [...full.testPathIgnorePatterns, "\\.int\\.test\\.ts$"],
  setupFiles: [],
  setupFilesAfterEnv: [],
  globalSetup: undefined,
  maxWorkers: "50%",
};
