// Patient identifiers at rest: AES-256-GCM with a per-value random IV; only a masked form is stored in clear.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = "v1";
// Binds ciphertexts to their purpose, so a value copied into another encrypted column does not decrypt there.
const AAD = Buffer.from("yilian:patient-id-number");

function key(keyB64: string): Buffer {
  const k = Buffer.from(keyB64, "base64");
  if (k.length !== 32) throw new Error("patient data key must be 32 bytes");
  return k;
}

export function encryptPatientId(plain: string, keyB64: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(keyB64), iv);
  cipher.setAAD(AAD);
  const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64")}`;
}

export function decryptPatientId(enc: string, keyB64: string): string {
  const [version, body] = enc.split(":");
  if (version !== VERSION || !body) throw new Error("unknown patient data format");
  const raw = Buffer.from(body, "base64");
  const decipher = createDecipheriv("aes-256-gcm", key(keyB64), raw.subarray(0, 12));
  decipher.setAAD(AAD);
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}

/** 220702199001011234 → 220702********1234 (region code and last four, as on printed forms). */
export function maskIdNumber(id: string): string {
  return id.length <= 10 ? "*".repeat(id.length) : `${id.slice(0, 6)}${"*".repeat(id.length - 10)}${id.slice(-4)}`;
}
