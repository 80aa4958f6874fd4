import { randomBytes } from "node:crypto";
import { decryptPatientId, encryptPatientId, maskIdNumber } from "./patient-data";

const key = randomBytes(32).toString("base64");

it("round-trips and never repeats a ciphertext", () => {
  const a = encryptPatientId("22070219900101123X", key);
  const b = encryptPatientId("22070219900101123X", key);
  expect(a).not.toEqual(b);
  expect(a).not.toContain("1990");
  expect(decryptPatientId(a, key)).toBe("22070219900101123X");
});

it("refuses a tampered ciphertext or a wrong key", () => {
  const enc = encryptPatientId("220702199001011234", key);
  const raw = Buffer.from(enc.slice(3), "base64");
  raw[raw.length - 1]! ^= 1;
  expect(() => decryptPatientId(`v1:${raw.toString("base64")}`, key)).toThrow();
  expect(() => decryptPatientId(enc, randomBytes(32).toString("base64"))).toThrow();
});

it("masks all but the region code and the last four", () => {
  expect(maskIdNumber("220702199001011234")).toBe("220702********1234");
});
