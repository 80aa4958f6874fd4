// Vite config of the web console. Dev: `npm run dev -w web` proxies the API and Socket.IO to the server
// (YILIAN_API, default http://127.0.0.1:3000). Build: web/dist, served by the server at /.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

/**
 * dwv (the stack viewer) decodes JPEG / JPEG 2000 / RLE pixel data in module workers it loads from
 * <base>/assets/workers/*.worker.min.js; the build ships them there.
 */
function dwvWorkers(): Plugin {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve("dwv")), "assets", "workers");
  return {
    name: "yilian-dwv-workers",
    apply: "build",
    generateBundle() {
      for (const f of readdirSync(dir).filter((n) => n.endsWith(".worker.min.js"))) {
        this.emitFile({ type: "asset", fileName: `assets/workers/${f}`, source: readFileSync(path.join(dir, f)) });
      }
    },
  };
}

const api = process.env.YILIAN_API ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react(), dwvWorkers()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: api, changeOrigin: true },
      "/socket.io": { target: api, ws: true, changeOrigin: true },
      "/admin/queues": { target: api, changeOrigin: true },
    },
  },
});
