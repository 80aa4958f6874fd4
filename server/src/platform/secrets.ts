// Secrets of a deployment that has none configured: generated once (CSPRNG) into the state directory, kept out of
// the repository, readable by the owner only. Every process of one `npm start` (server, worker, coturn) reads
// the same file, so the server's TURN credentials match coturn's static-auth-secret.
import { randomBytes } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface GeneratedSecrets {
  JWT_SECRET: string;
  /** 32 random bytes, base64: independent of the JWT secret, so rotating that never touches patient data. */
  PATIENT_DATA_KEY: string;
  TURN_SECRET: string;
}

export const SECRETS_FILE = "secrets.json";

function generate(): GeneratedSecrets {
  return {
    JWT_SECRET: randomBytes(48).toString("base64url"),
    PATIENT_DATA_KEY: randomBytes(32).toString("base64"),
    TURN_SECRET: randomBytes(32).toString("base64url"),
  };
}

function parse(file: string): GeneratedSecrets {
  const value = JSON.parse(readFileSync(file, "utf8")) as Partial<GeneratedSecrets>;
  if (!value.JWT_SECRET || !value.PATIENT_DATA_KEY || !value.TURN_SECRET)
    throw new Error(`${file}: incomplete, remove it to regenerate`);
  return value as GeneratedSecrets;
}

/**
 * The secrets in `<stateDir>/secrets.json`, created (0600, directory 0700) on first use. Concurrent first starts
 * agree on one set: each writes a private temporary file and hard-links it into place; the first link wins.
 */
export function loadOrCreateSecrets(stateDir: string): { secrets: GeneratedSecrets; file: string; created: boolean } {
  const dir = path.resolve(stateDir);
  const file = path.join(dir, SECRETS_FILE);
  try {
    const secrets = parse(file);
    // Loosened permissions (a copy, an archive restore) are tightened rather than trusted as they are.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { secrets, file, created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(generate(), null, 2)}\n`, { mode: 0o600, flag: "wx" });
  let created = true;
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    created = false; // another process of this start got there first: use its secrets
  } finally {
    unlinkSync(tmp);
  }
  return { secrets: parse(file), file, created };
}
