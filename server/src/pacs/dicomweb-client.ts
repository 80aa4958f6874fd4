// The server's DICOMweb client for one registered PACS: requests go to the stored base URL plus fixed paths only,
// redirects are not followed (they could lead anywhere), and failures become zh-CN reasons a doctor can act on.
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { AppError, ErrorCode } from "@yilian/contract";
import type { PacsConnection } from "@prisma/client";
import { decryptCredential } from "./credentials";
import { pinnedLookup, type PacsAddressPolicy } from "./address";

export interface PacsTarget {
  baseUrl: string;
  authorization: string | null;
  /** Connections resolve the host once and only to addresses the registration rules allow. */
  policy: PacsAddressPolicy;
}

export function pacsTarget(
  row: Pick<PacsConnection, "baseUrl" | "usernameEnc" | "passwordEnc">,
  keyB64: string,
  policy: PacsAddressPolicy,
): PacsTarget {
  const user = row.usernameEnc ? decryptCredential(row.usernameEnc, keyB64) : null;
  const pass = row.passwordEnc ? decryptCredential(row.passwordEnc, keyB64) : "";
  return {
    baseUrl: row.baseUrl,
    authorization: user ? `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` : null,
    policy,
  };
}

/** One GET over node:http(s) with the pinned lookup, answered as a fetch Response (streamed body). */
function get(t: PacsTarget, url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const client = u.protocol === "https:" ? https : http;
    const req = client.request(
      u,
      { method: "GET", headers, signal, lookup: pinnedLookup(t.policy) as never },
      (res) => {
        const status = res.statusCode ?? 502;
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
        const empty = status === 204 || status === 304;
        if (empty) res.resume();
        resolve(
          new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers: h }),
        );
      },
    );
    req.once("error", reject);
    req.end();
  });
}

export const pacsError = (reason: string, extra: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.PACS_UNAVAILABLE, reason, { details: { reason, ...extra } });

/**
 * GET <base><path> with the PACS's credentials; throws PACS_UNAVAILABLE with the reason on any failure. `timeoutMs`
 * bounds the whole exchange, body included; `signal` lets the caller give up earlier (e.g. on a stalled body).
 */
export async function pacsGet(
  t: PacsTarget,
  path: string,
  accept: string,
  timeoutMs = 15_000,
  signal?: AbortSignal,
): Promise<Response> {
  let res: Response;
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    // node:http never follows redirects: a 3xx is answered below.
    res = await get(
      t,
      `${t.baseUrl}${path}`,
      { accept, ...(t.authorization ? { authorization: t.authorization } : {}) },
      signal ? AbortSignal.any([timeout, signal]) : timeout,
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EPACSADDRESS") {
      throw pacsError("PACS 主机名现在解析到不允许的地址（本机、链路本地或内网），已拒绝连接；请管理员核对 PACS 登记", {
        cause: "address",
      });
    }
    const timedOut = (e as Error).name === "TimeoutError" || (e as Error).name === "AbortError";
    throw pacsError(timedOut ? "PACS 响应超时，请稍后再试" : "无法连接本机构 PACS（网络不通或服务未启动）", {
      cause: timedOut ? "timeout" : "unreachable",
    });
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    throw pacsError("PACS 拒绝了登录：用户名或密码错误，请联系机构管理员更新 PACS 登记", {
      cause: "auth",
      pacsStatus: res.status,
    });
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw pacsError("PACS 要求跳转到其他地址，出于安全考虑未跟随；请管理员登记最终地址", {
      cause: "redirect",
      pacsStatus: res.status,
    });
  }
  return res;
}

type DicomJson = Record<string, { vr?: string; Value?: unknown[] }>;

const first = (ds: DicomJson, tag: string) => ds[tag]?.Value?.[0];
const text = (ds: DicomJson, tag: string) => {
  const v = first(ds, tag);
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
};
const personName = (ds: DicomJson, tag: string) => {
  const v = first(ds, tag) as { Alphabetic?: string; Ideographic?: string } | undefined;
  const name = v?.Ideographic ?? v?.Alphabetic;
  return name ? name.replace(/\^+/g, " ").trim() : null;
};
const dicomDate = (v: string | null) =>
  v && /^\d{8}$/.test(v) ? `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}` : null;

/** A QIDO-RS study result as the console shows it. */
export function studyFromQido(ds: DicomJson) {
  const mods = ds["00080061"]?.Value ?? [];
  const num = (tag: string) => {
    const v = first(ds, tag);
    return typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null;
  };
  return {
    studyInstanceUid: text(ds, "0020000D") ?? text(ds, "0020000d") ?? "",
    patientId: text(ds, "00100020"),
    patientName: personName(ds, "00100010"),
    studyDate: dicomDate(text(ds, "00080020")),
    modalities: mods.filter((m): m is string => typeof m === "string"),
    description: text(ds, "00081030"),
    accessionNumber: text(ds, "00080050"),
    seriesCount: num("00201206"),
    instanceCount: num("00201208"),
  };
}
