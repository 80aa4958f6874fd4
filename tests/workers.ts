// Where each jest worker keeps its state: worker N uses <test database>_wN and <prefix>-wN. global-setup makes the
// copies from the migrated and seeded template; outside jest (no worker id) the template itself is meant.
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/yilian_test";
const TEST_REDIS_PREFIX = process.env.TEST_REDIS_PREFIX ?? "yilian-test";

export function workerDatabaseUrl(workerId: string | undefined): string {
  if (!workerId) return TEST_DATABASE_URL;
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `${url.pathname}_w${workerId}`;
  return url.toString();
}

export const workerRedisPrefix = (workerId: string | undefined) =>
  workerId ? `${TEST_REDIS_PREFIX}-w${workerId}` : TEST_REDIS_PREFIX;
