// Which DICOMweb base URLs an admin may register. Requests only ever go to a stored base URL (plus fixed DICOMweb
// paths), so the server is no open proxy; this check also keeps the server's own neighbours (loopback: Redis,
// PostgreSQL, Orthanc's admin API; link-local: cloud metadata) out of reach unless the operator listed them.
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { AppError, ErrorCode } from "@yilian/contract";
import type { Config } from "../config";

const never = new BlockList();
never.addSubnet("127.0.0.0", 8);
never.addSubnet("169.254.0.0", 16);
never.addSubnet("0.0.0.0", 8);
never.addSubnet("224.0.0.0", 4);
never.addAddress("::1", "ipv6");
never.addSubnet("fe80::", 10, "ipv6");

const privateNets = new BlockList();
privateNets.addSubnet("10.0.0.0", 8);
privateNets.addSubnet("172.16.0.0", 12);
privateNets.addSubnet("192.168.0.0", 16);
privateNets.addSubnet("100.64.0.0", 10);
privateNets.addSubnet("fc00::", 7, "ipv6");

const invalid = (message: string) =>
  new AppError(ErrorCode.VALIDATION_FAILED, message, { details: { field: "baseUrl" } });

/** Host and host:port entries the operator allows even on loopback (the demo PACS is always one). */
export function allowedHosts(config: Config): Set<string> {
  const demo = new URL(config.PACS_DEMO_URL ?? `http://127.0.0.1:${config.PACS_DEMO_PORT}/dicom-web`);
  const listed =
    config.PACS_ALLOWED_HOSTS?.split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean) ?? [];
  return new Set([demo.host.toLowerCase(), ...listed]);
}

/** Normalises and checks a DICOMweb base URL; returns it without a trailing slash. */
export async function checkPacsUrl(raw: string, config: Config): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid("PACS 地址格式不正确");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid("PACS 地址须以 http:// 或 https:// 开头");
  if (url.username || url.password) throw invalid("请勿把用户名和密码写在地址里，请填写在对应的输入框中");
  if (url.search || url.hash) throw invalid("PACS 地址不能包含查询参数（?）或锚点（#）");
  const allowed = allowedHosts(config);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!allowed.has(url.host.toLowerCase()) && !allowed.has(host.toLowerCase())) {
    let addresses: { address: string; family: number }[];
    try {
      addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
    } catch {
      throw invalid(`无法解析 PACS 主机名 ${host}`);
    }
    for (const a of addresses) {
      const refused = addressRefusal(a.address, a.family, config.PACS_ALLOW_PRIVATE);
      if (refused) throw invalid(`不允许登记${refused}（${a.address}）作为 PACS`);
    }
  }
  return url.toString().replace(/\/+$/, "");
}

/** Why an address may not be a PACS ("本机或链路本地地址", "内网地址"), or null when it may. */
function addressRefusal(address: string, family: number, allowPrivate: boolean): string | null {
  const type = family === 6 ? "ipv6" : "ipv4";
  if (never.check(address, type)) return "本机或链路本地地址";
  if (!allowPrivate && privateNets.check(address, type)) return "内网地址";
  return null;
}

export interface PacsAddressPolicy {
  allowed: Set<string>;
  allowPrivate: boolean;
}

export const pacsAddressPolicy = (config: Config): PacsAddressPolicy => ({
  allowed: allowedHosts(config),
  allowPrivate: config.PACS_ALLOW_PRIVATE,
});

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/**
 * The DNS lookup of every connection to a PACS: the name is resolved once and the connection goes to an address
 * that passed the registration rules — a name that re-resolves to 127.0.0.1 after registration (DNS rebinding)
 * is refused instead of reaching the server's neighbours.
 */
export function pinnedLookup(policy: PacsAddressPolicy) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    const host = hostname.toLowerCase();
    const listed = policy.allowed.has(host) || [...policy.allowed].some((h) => h.startsWith(`${host}:`));
    lookup(hostname, { all: true })
      .then((addresses) => {
        const ok = listed
          ? addresses
          : addresses.filter((a) => !addressRefusal(a.address, a.family, policy.allowPrivate));
        if (!ok.length) {
          const err = Object.assign(new Error(`PACS host ${hostname} resolves to refused addresses`), {
            code: "EPACSADDRESS",
          });
          return callback(err, "");
        }
        if (options.all)
          return callback(
            null,
            ok.map((a) => ({ address: a.address, family: a.family })),
          );
        callback(null, ok[0]!.address, ok[0]!.family);
      })
      .catch((e: NodeJS.ErrnoException) => callback(e, ""));
  };
}
