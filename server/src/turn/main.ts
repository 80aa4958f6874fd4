// The TURN service of `npm start` and of docker-compose's `turn` service: coturn configured from the TURN_*
// settings (see server/src/config.ts and the README's production notes), stopped with this process.
import { isIP } from "node:net";
import path from "node:path";
import { loadConfig } from "../config";
import { startCoturn } from "./coturn";

const config = loadConfig();
// coturn's files (and the development TLS certificate) beside the generated secrets it shares with the server.
const stateDir = path.join(path.resolve(config.YILIAN_STATE_DIR), "turn");
const listenIp = config.TURN_LISTEN_IP ?? (isIP(config.TURN_HOST) ? config.TURN_HOST : "0.0.0.0");
const mediaIp =
  config.MEDIA_ANNOUNCED_IP && isIP(config.MEDIA_ANNOUNCED_IP) ? config.MEDIA_ANNOUNCED_IP : config.MEDIA_LISTEN_IP;
const relayIp =
  config.TURN_RELAY_IP ??
  (config.MEDIA_LISTEN_IP === "0.0.0.0" || config.MEDIA_LISTEN_IP === "::" ? undefined : config.MEDIA_LISTEN_IP);

if (config.TURN_TLS_PORT < 1024 && process.getuid?.() !== 0) {
  console.error(
    `turn: TLS on port ${config.TURN_TLS_PORT} needs root or CAP_NET_BIND_SERVICE ` +
      "(setcap cap_net_bind_service=+ep /usr/bin/turnserver); for development set TURN_TLS_PORT=5349",
  );
  process.exit(78);
}

const turn = await startCoturn(
  {
    stateDir,
    secret: config.TURN_SECRET,
    listenIps: [listenIp],
    relayIp,
    externalIp: config.TURN_EXTERNAL_IP,
    port: config.TURN_PORT,
    tlsPort: config.TURN_TLS_PORT,
    minPort: config.TURN_MIN_PORT,
    maxPort: config.TURN_MAX_PORT,
    allowedPeerIps: [
      mediaIp,
      ...(config.TURN_ALLOWED_PEER_IPS?.split(",")
        .map((ip) => ip.trim())
        .filter(Boolean) ?? []),
    ],
    certFile: config.TURN_TLS_CERT,
    keyFile: config.TURN_TLS_KEY,
  },
  { onLine: (line) => /ERROR|error|cannot|Cannot/.test(line) && console.error(`coturn: ${line}`) },
).catch((err: Error) => {
  console.error(`turn: ${err.message}`);
  process.exit(1);
});
console.log(
  `turn: coturn listening on ${listenIp}, UDP/TCP ${config.TURN_PORT}, TLS ${config.TURN_TLS_PORT}${config.TURN_TLS_CERT ? "" : " (self-signed development certificate)"}`,
);
turn.child.once("exit", (code, signal) => {
  console.error(`turn: coturn exited (${signal ?? code})`);
  process.exit(1);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    turn.child.removeAllListeners("exit");
    void turn.stop().then(() => process.exit(0));
  });
}
