// Configuration from the environment, parsed and checked once at start by loadConfig(); modules get it through
// Services. getConfig() returns the loaded configuration where no Services reach (media signalling's TURN answers).
import path from "node:path";
import { z } from "zod";
import { loadOrCreateSecrets } from "./platform/secrets";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

export const ConfigSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().default("0.0.0.0"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgresql:// URL")
    .default("postgresql://postgres@127.0.0.1:5432/yilian"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "REDIS_URL must be a redis:// URL")
    .default("redis://127.0.0.1:6379"),
  /** Prefix for every Redis key of this deployment (queues, adapter channels, rate limits). */
  REDIS_PREFIX: z.string().min(1).default("yilian"),
  /** Local state outside the repository: generated secrets (secrets.json, 0600), the development TURN certificate. */
  YILIAN_STATE_DIR: z.string().min(1).default(".state"),
  /** HS256 key of access tokens. Unset outside production: generated once into YILIAN_STATE_DIR. */
  JWT_SECRET: z.string().min(32, "JWT_SECRET must be at least 32 characters").optional(),
  ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 86_400)
    .default(14 * 86_400),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  LOGIN_RATE_WINDOW_S: z.coerce.number().int().min(1).default(300),
  /** Per-account lock-out: failed passwords in a row (from any address) before the account is locked. */
  LOGIN_LOCKOUT_AFTER: z.coerce.number().int().min(1).default(5),
  /** First lock-out length; doubles with each further failure, up to LOGIN_LOCKOUT_MAX_S. Always ends by time. */
  LOGIN_LOCKOUT_BASE_S: z.coerce.number().int().min(1).max(86_400).default(60),
  LOGIN_LOCKOUT_MAX_S: z.coerce.number().int().min(1).max(86_400).default(3600),
  JSON_BODY_LIMIT: z.string().default("256kb"),
  /** Resumable (tus) uploads not finished within this time are refused and their partial bytes removed. */
  UPLOAD_RESUMABLE_EXPIRY_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(86_400),
  TRUST_PROXY: bool.default(false),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Answer every request with a Server-Timing header: queries, database time, phases (benchmarks, profiling). */
  PROFILE_REQUESTS: bool.default(false),
  /**
   * Benchmarks only (`npm run bench -- api` measures what the live-session check costs): accept access tokens
   * without it. Refused in production.
   */
  BENCH_SKIP_SESSION_CHECK: bool.default(false),
  /** Seed the demo province on first start when the database is empty. */
  SEED_DEMO_DATA: bool.default(true),
  /** Run the mediasoup media service inside the server process (default) or use separate media nodes. */
  MEDIA_IN_PROCESS: bool.default(true),
  /** mediasoup workers in this process (one per core when unset). */
  MEDIA_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  /** Address the media WebRtcServers listen on; 0.0.0.0 needs MEDIA_ANNOUNCED_IP. */
  MEDIA_LISTEN_IP: z.union([z.ipv4(), z.ipv6()]).default("127.0.0.1"),
  /** Address browsers are told to send media to (the hospital-reachable address behind NAT). */
  MEDIA_ANNOUNCED_IP: z.string().min(1).optional(),
  /** First WebRTC port: worker i uses UDP and TCP port base + i; 0 = ephemeral ports (tests only). */
  MEDIA_WEBRTC_PORT: z.coerce.number().int().min(0).max(65000).default(40000),
  /** How long a peer whose connection dropped keeps its place (and media) in a live room. */
  MEDIA_PEER_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(15_000),
  /** Video producers: one key-frame request per window (ms); just above libwebrtc's 300 ms gate. 0 = mediasoup default. */
  MEDIA_KEY_FRAME_REQUEST_DELAY_MS: z.coerce.number().int().min(0).max(5000).default(350),
  /** Spatial layer new video consumers start on ("lowest": joiners share key frames; raised after the first frame). */
  MEDIA_CONSUMER_START_LAYER: z.enum(["lowest", "highest"]).default("lowest"),
  /** Media nodes (MEDIA_IN_PROCESS=false): how often a node refreshes its load in Redis (it expires after 3) and the server checks it. */
  MEDIA_NODE_HEARTBEAT_MS: z.coerce.number().int().min(500).max(60_000).default(5_000),
  /** Media nodes: peers of one training session a node takes before the session spans to the next node. */
  MEDIA_SPAN_AFTER_PEERS: z.coerce.number().int().min(1).max(100_000).default(600),
  /** TURN REST API shared secret (coturn `static-auth-secret`): signs per-user TURN credentials. Generated if unset. */
  TURN_SECRET: z.string().min(32, "TURN_SECRET must be at least 32 characters").optional(),
  /** Give clients TURN servers in the media:join answer (off: direct media only). */
  TURN_ENABLED: bool.default(true),
  /** Host name or address browsers reach TURN at (the TLS certificate's name in production). */
  TURN_HOST: z.string().min(1).default("127.0.0.1"),
  /** TURN over UDP and TCP. */
  TURN_PORT: z.coerce.number().int().min(1).max(65535).default(3478),
  /** TURN over TLS: 443, the one port hospital firewalls let out. */
  TURN_TLS_PORT: z.coerce.number().int().min(1).max(65535).default(443),
  /** Explicit TURN URLs for clients (comma-separated turn:/turns: URLs), e.g. an external coturn cluster. */
  TURN_URLS: z.string().optional(),
  /** Lifetime of issued TURN credentials; a rejoin or an ICE restart gets fresh ones. */
  TURN_CREDENTIAL_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .default(4 * 3600),
  /** `npm start`: run coturn next to the server (off when TURN is run elsewhere). */
  TURN_START: bool.default(true),
  /** TLS certificate and key (PEM) of the TURN server; unset: a self-signed one generated in the state directory. */
  TURN_TLS_CERT: z.string().optional(),
  TURN_TLS_KEY: z.string().optional(),
  /** Public address coturn advertises for relays behind NAT (coturn `external-ip`). */
  TURN_EXTERNAL_IP: z.string().optional(),
  /** Address coturn listens on (default: TURN_HOST when it is an address, else all interfaces). */
  TURN_LISTEN_IP: z.union([z.ipv4(), z.ipv6()]).optional(),
  /** Local address coturn opens relays on, towards the media servers (default: MEDIA_LISTEN_IP unless 0.0.0.0). */
  TURN_RELAY_IP: z.union([z.ipv4(), z.ipv6()]).optional(),
  /** Extra media server addresses relays may reach (comma-separated; media nodes on other hosts). */
  TURN_ALLOWED_PEER_IPS: z.string().optional(),
  /** Relay port range on TURN_RELAY_IP. */
  TURN_MIN_PORT: z.coerce.number().int().min(1024).max(65535).default(49160),
  TURN_MAX_PORT: z.coerce.number().int().min(1024).max(65535).default(49999),
  TZ_DISPLAY: z.string().default("Asia/Shanghai"),
  /** AES-256-GCM key for patient identifiers at rest: 32 bytes, base64. Required in production; else generated. */
  PATIENT_DATA_KEY: z
    .string()
    .refine((v) => Buffer.from(v, "base64").length === 32, "PATIENT_DATA_KEY must be 32 bytes, base64-encoded")
    .optional(),
  /** `npm start`: run the demo PACS (Orthanc with DICOMweb, seeded with dcmtk-made studies) on loopback. */
  PACS_DEMO_START: bool.default(true),
  /** HTTP port of the demo PACS (DICOMweb under /dicom-web). */
  PACS_DEMO_PORT: z.coerce.number().int().min(1).max(65535).default(8042),
  /** Basic-auth user and password of the demo PACS (what an institution admin enters when registering it). */
  PACS_DEMO_USER: z.string().min(1).default("yilian"),
  PACS_DEMO_PASSWORD: z.string().min(8).default("yilian-demo-pacs-password"),
  /** The demo PACS's DICOMweb root as the server and worker reach it (default http://127.0.0.1:<PACS_DEMO_PORT>/dicom-web). */
  PACS_DEMO_URL: z.url().optional(),
  /** Let the demo PACS answer clients other than loopback (docker-compose network; it still needs its password). */
  PACS_DEMO_REMOTE_ACCESS: bool.default(false),
  /**
   * Hosts (host or host:port, comma-separated) a registered PACS may be on although they are loopback or private
   * addresses. Hospital PACS normally sit on the hospital network: private addresses are allowed unless
   * PACS_ALLOW_PRIVATE=false; loopback and link-local only when listed here (the demo PACS is added automatically).
   */
  PACS_ALLOWED_HOSTS: z.string().optional(),
  PACS_ALLOW_PRIVATE: bool.default(true),
  /** A study larger than this (sum of its instances, MB) is refused before import. */
  PACS_MAX_STUDY_MB: z.coerce.number().int().min(1).default(1024),
});
export type Config = z.infer<typeof ConfigSchema> & {
  JWT_SECRET: string;
  PATIENT_DATA_KEY: string;
  TURN_SECRET: string;
};

let current: Config | undefined;

const SECRET_HINT = {
  JWT_SECRET: "at least 32 characters, e.g. `openssl rand -base64 48`",
  PATIENT_DATA_KEY: "32 bytes, base64, e.g. `openssl rand -base64 32`; keep it: it decrypts stored patient data",
  TURN_SECRET: "at least 32 characters; the same value as coturn's static-auth-secret",
} as const;

/** Parses the environment; on bad settings prints one line per problem and exits. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      console.error(`config: ${issue.path.join(".")}: ${issue.message}`);
    }
    process.exit(78); // EX_CONFIG
  }
  const cfg = parsed.data;
  const missing = (["JWT_SECRET", "PATIENT_DATA_KEY", "TURN_SECRET"] as const).filter((k) => !cfg[k]);
  if (cfg.NODE_ENV === "production") {
    const required = missing.filter((k) => k !== "TURN_SECRET" || cfg.TURN_ENABLED);
    for (const k of required) console.error(`config: ${k}: required in production (${SECRET_HINT[k]})`);
    if (cfg.BENCH_SKIP_SESSION_CHECK) console.error("config: BENCH_SKIP_SESSION_CHECK: not allowed in production");
    if (required.length || cfg.BENCH_SKIP_SESSION_CHECK) process.exit(78);
  }
  // Never a built-in secret: outside production, missing ones are generated once into the state directory.
  let generated: Partial<Record<(typeof missing)[number], string>> = {};
  if (missing.length && cfg.NODE_ENV !== "production") {
    const { secrets, file, created } = loadOrCreateSecrets(path.resolve(cfg.YILIAN_STATE_DIR));
    if (created)
      console.error(
        `config: generated ${missing.join(", ")} into ${file} (0600); keep it, or set them in the environment`,
      );
    generated = secrets;
  }
  current = {
    ...cfg,
    JWT_SECRET: cfg.JWT_SECRET ?? generated.JWT_SECRET!,
    PATIENT_DATA_KEY: cfg.PATIENT_DATA_KEY ?? generated.PATIENT_DATA_KEY!,
    // Only production with TURN off gets here without one; nothing signs TURN credentials then.
    TURN_SECRET: cfg.TURN_SECRET ?? generated.TURN_SECRET ?? "",
  };
  return current;
}

export function getConfig(): Config {
  return current ?? loadConfig();
}

/** For tests: replace settings without touching process.env. */
export function setConfig(overrides: Partial<Config>): Config {
  current = { ...getConfig(), ...overrides };
  return current;
}
