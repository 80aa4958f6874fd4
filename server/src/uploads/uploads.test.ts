import { parseRange } from "./uploads";
import { cleanFileName } from "./receive";
import { refusedTypeReason } from "./kinds";

describe("parseRange", () => {
  it("reads single byte ranges (inclusive), suffixes and open ends", () => {
    expect(parseRange("bytes=0-99", 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=900-", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=-100", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=990-2000", 1000)).toEqual({ start: 990, end: 999 });
  });
  it("answers unsatisfiable ranges and ignores what it does not support", () => {
    expect(parseRange("bytes=1000-", 1000)).toBe("unsatisfiable");
    expect(parseRange("bytes=5-2", 1000)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,5-6", 1000)).toBeNull();
    expect(parseRange("items=0-1", 1000)).toBeNull();
    expect(parseRange(undefined, 1000)).toBeNull();
  });
});

describe("file names and reasons", () => {
  it("keeps only a display name", () => {
    expect(cleanFileName("C:\\\\患者\\\\..\\\\胸片.jpg")).toBe("胸片.jpg");
    expect(cleanFileName("../../etc/passwd")).toBe("passwd");
    expect(cleanFileName("\u0000")).toBe("未命名文件");
  });
  it("says what the refused content really is", () => {
    expect(refusedTypeReason("exe", "application/x-msdownload")).toMatch(/Windows 可执行程序/);
    expect(refusedTypeReason(undefined, undefined)).toMatch(/无法识别/);
  });
});
