import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// In the cluster Traefik routes /api to the api; `npm run dev` proxies it to REFAPP_API instead.
export default defineConfig({
  plugins: [vue()],
  build: { outDir: "dist", sourcemap: false },
  server: {
    proxy: process.env.REFAPP_API ? { "/api": { target: process.env.REFAPP_API, changeOrigin: true } } : undefined,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.js"],
  },
});
