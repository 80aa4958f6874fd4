// Vite config of the web console. Dev: `npm run dev -w web` proxies the API and Socket.IO to the server
// (YILIAN_API, default http://127.0.0.1:3000). Build: web/dist, served by the server at /.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const api = process.env.YILIAN_API ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react()],
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
