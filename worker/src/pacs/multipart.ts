// A streaming reader of multipart/related bodies (WADO-RS answers, RFC 2046): each part's bytes go to a sink as
// they arrive, so an instance of hundreds of MB never sits in memory.

export interface PartSink {
  write(chunk: Buffer): Promise<void> | void;
  end(): Promise<void> | void;
}

/** The boundary parameter of a multipart content type, or null. */
export function multipartBoundary(contentType: string | null): string | null {
  if (!contentType || !/^multipart\//i.test(contentType.trim())) return null;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

export class MultipartError extends Error {}

/**
 * Reads `body` and hands each part to the sink `open` returns for its headers. Returns the number of parts.
 * Throws MultipartError when the body is not well-formed (no closing delimiter, headers too long).
 */
export async function readMultipart(
  body: AsyncIterable<Uint8Array>,
  boundary: string,
  open: (headers: Record<string, string>, index: number) => Promise<PartSink> | PartSink,
): Promise<number> {
  // A leading CRLF lets the first delimiter match like the others ("\r\n--boundary").
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let buf: Buffer = Buffer.from("\r\n");
  type State = "preamble" | "after-delimiter" | "headers" | "body" | "done";
  let state = "preamble" as State;
  let sink: PartSink | null = null;
  let parts = 0;

  const step = async (): Promise<boolean> => {
    switch (state) {
      case "preamble": {
        const i = buf.indexOf(delimiter);
        if (i < 0) {
          buf = buf.subarray(Math.max(0, buf.length - delimiter.length));
          return false;
        }
        buf = buf.subarray(i + delimiter.length);
        state = "after-delimiter";
        return true;
      }
      case "after-delimiter": {
        if (buf.length < 2) return false;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = "done";
          return false;
        }
        const eol = buf.indexOf("\r\n");
        if (eol < 0) return false;
        buf = buf.subarray(eol + 2);
        state = "headers";
        return true;
      }
      case "headers": {
        const end = buf.indexOf("\r\n\r\n");
        // A part with no headers at all starts with the empty line directly.
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          buf = buf.subarray(2);
          sink = await open({}, parts++);
          state = "body";
          return true;
        }
        if (end < 0) {
          if (buf.length > 16 * 1024) throw new MultipartError("part headers too long");
          return false;
        }
        const headers = parseHeaders(buf.subarray(0, end).toString("latin1"));
        buf = buf.subarray(end + 4);
        sink = await open(headers, parts++);
        state = "body";
        return true;
      }
      case "body": {
        const i = buf.indexOf(delimiter);
        if (i < 0) {
          // Keep what could be the start of a delimiter split across chunks.
          const safe = buf.length - (delimiter.length - 1);
          if (safe > 0) {
            // A view, not a copy: `buf` is never written to, only replaced.
            await sink!.write(buf.subarray(0, safe));
            buf = buf.subarray(safe);
          }
          return false;
        }
        if (i > 0) await sink!.write(buf.subarray(0, i));
        await sink!.end();
        sink = null;
        buf = buf.subarray(i + delimiter.length);
        state = "after-delimiter";
        return true;
      }
      case "done":
        return false;
    }
  };

  for await (const chunk of body) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (await step());
    if (state === "done") break;
  }
  while (state !== "done" && (await step()));
  if (state !== "done") throw new MultipartError("multipart body ended without its closing delimiter");
  return parts;
}
