// Serves the built web console (web/dist) at /: hashed assets with a year-long immutable cache, every other
// non-API GET answered with index.html (client-side routes), never cached so a deploy takes effect at once.
import { existsSync } from "node:fs";
import path from "node:path";
import express, { Router, type Request } from "express";

/** Paths that belong to the server, never to the console. */
const SERVER_PATHS = /^\/(api|socket\.io|admin|sdk|metrics|healthz|readyz|openapi\.json)(\/|$)/;

/** web/dist from the repository root (the usual cwd) or from a workspace directory. */
export function consoleDir(): string {
  if (process.env.WEB_DIST_DIR) return path.resolve(process.env.WEB_DIST_DIR);
  const candidates = [path.resolve(process.cwd(), "web/dist"), path.resolve(process.cwd(), "../web/dist")];
  return candidates.find((d) => existsSync(path.join(d, "index.html"))) ?? candidates[0]!;
}

const wantsHtml = (req: Request) =>
  (req.method === "GET" || req.method === "HEAD") &&
  !SERVER_PATHS.test(req.path) &&
  req.accepts(["html", "json"]) === "html";

export function consoleRoutes(dir: string = consoleDir()): Router {
  const router = Router();
  const index = path.join(dir, "index.html");
  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      setHeaders: (res, file) => {
        res.setHeader(
          "cache-control",
          file.includes(`${path.sep}assets${path.sep}`) ? "public, max-age=31536000, immutable" : "no-cache",
        );
      },
    }),
  );
  router.use((req, res, next) => {
    if (!wantsHtml(req) || !existsSync(index)) return next();
    res.setHeader("cache-control", "no-cache");
    res.sendFile(index);
  });
  return router;
}
