// Issue 12, item 6: PS3.15 basic profile de-identification, read back with dcmtk. Files made by dcmtk with the
// things the profile must remove: private tags (one carrying a phone number), curves, overlay comments,
// identifying attributes at the top level and nested inside a retained sequence.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseDicom } from "../../worker/src/uploads/dicom";
import { DEIDENTIFICATION_CODES, deidentify } from "../../worker/src/uploads/deidentify";
import { dcmdump } from "./fixtures";

let dir: string;
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
const IDENTITY = /Zhang|ZS-0001|19600101|13800138000|13900139000|Hadashan|Nested|ACME/;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "yilian-deid-"));
  run("/usr/bin/convert", ["-size", "64x48", "gradient:navy-white", "p.jpg"]);
  run("img2dcm", [
    "p.jpg",
    "jpeg.dcm",
    "-k",
    "PatientName=Zhang^San",
    "-k",
    "PatientID=ZS-0001",
    "-k",
    "PatientBirthDate=19600101",
    "-k",
    "StudyDate=20240301",
    "-k",
    "Modality=CT",
    "-k",
    "PatientSex=M",
    "-k",
    "PatientAge=064Y",
  ]);
  run("dcmodify", [
    "-nb",
    ...["-i", "(0009,0010)=ACME 1.0", "-i", "(0009,1001)=13800138000", "-i", "(0010,2154)=13900139000"],
    ...["-i", "(6000,4000)=Zhang San overlay", "-i", "(5000,0005)=2", "-i", "(0008,0080)=Hadashan Health Centre"],
    ...[
      "-i",
      "(0008,1110)[0].(0008,1150)=1.2.3",
      "-i",
      "(0008,1110)[0].(0008,1155)=1.2.3.4",
      "-i",
      "(0032,1064)[0].(0010,0010)=Nested^Name",
    ],
    "jpeg.dcm",
  ]);
  run("dcmdjpeg", ["jpeg.dcm", "explicit.dcm"]);
  run("dcmconv", ["+ti", "explicit.dcm", "implicit.dcm"]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function deidentifyFile(name: string): { dump: string; cleared: string[] } {
  const bytes = readFileSync(path.join(dir, name));
  const { file, cleared } = deidentify(bytes, parseDicom(bytes));
  const out = path.join(dir, `deid-${name}`);
  writeFileSync(out, file);
  return { dump: dcmdump(out), cleared };
}

it.each(["jpeg.dcm", "explicit.dcm", "implicit.dcm"])(
  "%s: identity gone, profile recorded, the rest retained",
  (name) => {
    const original = dcmdump(path.join(dir, name));
    expect(original).toMatch(/\(0009,1001\)/);
    expect(original).toMatch(/Zhang\^San/);
    const { dump, cleared } = deidentifyFile(name);
    expect(dump).not.toMatch(IDENTITY);
    // Private attributes, curves and overlays are removed, not left empty.
    expect(dump).not.toMatch(/\(0009,|\(5000,|\(6000,|\(0010,2154\)|\(0008,0080\)/);
    // Type 2 attributes stay present and empty.
    expect(dump).toMatch(/\(0010,0010\) PN \(no value available\)/);
    expect(dump).toMatch(/\(0010,0020\) LO \(no value available\)/);
    expect(dump).toMatch(/\(0012,0062\) CS \[YES\]/);
    expect(dump).toMatch(/\(0012,0063\) LO \[PS3\.15 E\.1 Basic Profile/);
    expect(dump).toMatch(/\(0012,0064\) SQ/);
    for (const [code] of DEIDENTIFICATION_CODES) expect(dump).toContain(`(0008,0100) SH [${code}]`);
    // Options: patient characteristics, full dates, UIDs.
    expect(dump).toMatch(/\(0010,0040\) CS \[M\]/);
    expect(dump).toMatch(/\(0010,1010\) AS \[064Y\]/);
    expect(dump).toMatch(/\(0008,0020\) DA \[20240301\]/);
    const uid = (d: string) => /\(0008,0018\) UI \[([\d.]+)\]/.exec(d)?.[1];
    expect(uid(dump)).toBe(uid(original));
    expect(dump).toMatch(/\(0008,1155\) UI \[1\.2\.3\.4\]/);
    expect(cleared).toEqual(
      expect.arrayContaining([
        "PatientName",
        "PatientID",
        "PatientTelephoneNumbers",
        "InstitutionName",
        "private(0009,1001)",
      ]),
    );
  },
);

it("keeps the pixel data byte for byte, and dcmtk reads the image", () => {
  deidentifyFile("explicit.dcm");
  const pixels = (f: string) =>
    execFileSync("dcmdump", ["+P", "PixelData", "+L", path.join(dir, f)], { encoding: "utf8" });
  expect(pixels("deid-explicit.dcm")).toBe(pixels("explicit.dcm"));
  deidentifyFile("jpeg.dcm");
  expect(() => run("dcmdjpeg", ["deid-jpeg.dcm", "decoded.dcm"])).not.toThrow();
});
