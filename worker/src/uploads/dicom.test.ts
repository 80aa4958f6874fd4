import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { windowToBytes } from "./dicom";
import { checkZip } from "./analyze";
import { Rejection } from "./rejection";

describe("windowToBytes (PS3.3 C.11.2.1.2 linear VOI)", () => {
  it("maps the window to 0..255 and clips outside it", () => {
    // CT-like: rescale -1024, window 40/400 (soft tissue).
    const out = windowToBytes([0, 1024 - 160, 1064, 1024 + 240, 4000], {
      slope: 1,
      intercept: -1024,
      center: 40,
      width: 400,
      invert: false,
    });
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(0);
    expect(out[2]).toBeGreaterThanOrEqual(127);
    expect(out[2]).toBeLessThanOrEqual(128);
    expect(out[3]).toBe(255);
    expect(out[4]).toBe(255);
  });
  it("inverts MONOCHROME1 and falls back to the data range without a window", () => {
    const out = windowToBytes([10, 20, 30], { slope: 1, intercept: 0, invert: true });
    expect(out[0]).toBe(255);
    expect(out[2]).toBe(0);
  });
});

describe("checkZip", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "yilian-zip-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("accepts an ordinary archive and refuses a bomb from its central directory alone", async () => {
    execFileSync(
      "python3",
      [
        "-c",
        "import zipfile;z=zipfile.ZipFile('ok.zip','w',zipfile.ZIP_DEFLATED);z.writestr('a.txt','hello '*100);z.close()",
      ],
      { cwd: dir },
    );
    await expect(checkZip(path.join(dir, "ok.zip"))).resolves.toMatchObject({ entries: 1, uncompressed: 600 });
    execFileSync(
      "python3",
      [
        "-c",
        "import zipfile;z=zipfile.ZipFile('bomb.zip','w',zipfile.ZIP_DEFLATED);z.writestr('z.bin',b'\\0'*(50<<20));z.close()",
      ],
      { cwd: dir },
    );
    await expect(checkZip(path.join(dir, "bomb.zip"))).rejects.toBeInstanceOf(Rejection);
  });
});
