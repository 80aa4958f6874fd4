import { multipartBoundary, readMultipart, MultipartError } from "./multipart";

async function* chunks(buf: Buffer, size: number) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

const body = (boundary: string, parts: { type: string; data: Buffer }[]) =>
  Buffer.concat([
    Buffer.from("preamble\r\n"),
    ...parts.flatMap((p) => [
      Buffer.from(`--${boundary}\r\nContent-Type: ${p.type}\r\n\r\n`),
      p.data,
      Buffer.from("\r\n"),
    ]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);

async function collect(buf: Buffer, boundary: string, size: number) {
  const out: { headers: Record<string, string>; data: Buffer }[] = [];
  await readMultipart(chunks(buf, size), boundary, (headers) => {
    const got: Buffer[] = [];
    return { write: (c) => void got.push(c), end: () => void out.push({ headers, data: Buffer.concat(got) }) };
  });
  return out;
}

it("reads the boundary, quoted or not", () => {
  expect(multipartBoundary('multipart/related; type="application/dicom"; boundary="abc 1"')).toBe("abc 1");
  expect(multipartBoundary("multipart/related; boundary=xyz; type=application/dicom")).toBe("xyz");
  expect(multipartBoundary("application/dicom")).toBeNull();
});

it("splits parts byte-exactly whatever the chunk size, also when data contains CRLF and dashes", async () => {
  const a = Buffer.concat([Buffer.alloc(300, 7), Buffer.from("\r\n--notit\r\n"), Buffer.alloc(5000, 1)]);
  const b = Buffer.from("second\r\n");
  const raw = body("B0UND", [
    { type: "application/dicom", data: a },
    { type: "text/plain", data: b },
  ]);
  for (const size of [1, 7, 64, 4096, raw.length]) {
    const parts = await collect(raw, "B0UND", size);
    expect(parts.map((p) => p.headers["content-type"])).toEqual(["application/dicom", "text/plain"]);
    expect(parts[0]!.data.equals(a)).toBe(true);
    expect(parts[1]!.data.equals(b)).toBe(true);
  }
});

it("refuses a body cut off before its closing delimiter", async () => {
  const raw = body("X", [{ type: "application/dicom", data: Buffer.alloc(100) }]);
  await expect(collect(raw.subarray(0, raw.length - 10), "X", 16)).rejects.toBeInstanceOf(MultipartError);
});
