// Raw tus 1.0 requests (to test what the server refuses) and a TCP proxy that cuts the line once, like a township
// link dropping mid-upload, counting every byte the client sent (to see what was sent twice).
import net from "node:net";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

export async function tusCreate(
  baseUrl: string,
  token: string,
  o: {
    consultationId?: string;
    filename?: string;
    filetype?: string;
    length?: number;
    headers?: Record<string, string>;
  },
) {
  const meta = Object.entries({ consultationId: o.consultationId, filename: o.filename, filetype: o.filetype })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${b64(v!)}`)
    .join(",");
  const res = await fetch(`${baseUrl}/api/uploads/tus`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "tus-resumable": "1.0.0",
      ...(o.length !== undefined ? { "upload-length": String(o.length) } : {}),
      "upload-metadata": meta,
      ...o.headers,
    },
  });
  const text = await res.text();
  const location = res.headers.get("location");
  return {
    status: res.status,
    body: text ? JSON.parse(text) : undefined,
    url: location ? new URL(location, baseUrl).toString() : null,
    headers: res.headers,
  };
}

export async function tusPatch(url: string, token: string, offset: number, bytes: Buffer) {
  const res = await fetch(url, {
    method: "PATCH",
    headers: {
      authorization: `Bearer ${token}`,
      "tus-resumable": "1.0.0",
      "upload-offset": String(offset),
      "content-type": "application/offset+octet-stream",
    },
    body: new Uint8Array(bytes),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export async function tusHead(url: string, token: string) {
  const res = await fetch(url, {
    method: "HEAD",
    headers: { authorization: `Bearer ${token}`, "tus-resumable": "1.0.0" },
  });
  return { status: res.status, offset: Number(res.headers.get("upload-offset") ?? NaN), headers: res.headers };
}

export interface CuttingProxy {
  url: string;
  /** Bytes the client sent through the proxy (requests and their bodies). */
  sentBytes(): number;
  /** Whether the cut has happened. */
  cut(): boolean;
  close(): Promise<void>;
}

/**
 * Forwards TCP to `target`; once the client has sent `cutAfterBytes`, every open connection is destroyed (both
 * ends) once. New connections are accepted afterwards, as when a line comes back.
 */
export async function startCuttingProxy(
  target: { host: string; port: number },
  cutAfterBytes: number,
): Promise<CuttingProxy> {
  let sent = 0;
  let cutDone = false;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("data", (chunk: Buffer) => {
      sent += chunk.length;
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once("drain", () => client.resume());
      }
      if (!cutDone && sent >= cutAfterBytes) {
        cutDone = true;
        for (const s of [...open]) s.destroy();
        open.clear();
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!client.write(chunk)) {
        upstream.pause();
        client.once("drain", () => upstream.resume());
      }
    });
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    sentBytes: () => sent,
    cut: () => cutDone,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}
