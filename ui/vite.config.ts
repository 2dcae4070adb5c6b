/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Tauri v2 loads this app in the system webview: WebKitGTK on Linux, WKWebView on macOS,
// WebView2 on Windows. See https://v2.tauri.app/start/frontend/vite/
const host = process.env.TAURI_DEV_HOST;

export default defineConfig({
  plugins: [react()],
  // Keep Rust's compiler output visible in the same terminal as `tauri dev`.
  clearScreen: false,
  server: {
    // Tauri's devUrl expects exactly this port; fail rather than move to another.
    port: 1420,
    strictPort: true,
    host: host || false,
    hmr: host ? { protocol: "ws", host, port: 1421 } : undefined,
    watch: { ignored: ["**/src-tauri/**"] },
  },
  // Variables visible to the app: VITE_* and the TAURI_* ones the Tauri CLI sets.
  envPrefix: ["VITE_", "TAURI_"],
  build: {
    // WebKitGTK on Debian 12 and Safari 13+ on older macOS; Chromium (WebView2) on Windows.
    target: process.env.TAURI_ENV_PLATFORM === "windows" ? "chrome105" : ["es2021", "safari13"],
    minify: !process.env.TAURI_ENV_DEBUG,
    sourcemap: !!process.env.TAURI_ENV_DEBUG,
    outDir: "dist",
    emptyOutDir: true,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
