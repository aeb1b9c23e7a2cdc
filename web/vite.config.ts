/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// The API the dev server and `vite preview` forward /graphql (HTTP and websockets) to: a running `streamlens`.
const api = process.env.STREAMLENS_API ?? 'http://127.0.0.1:8080';
const proxy = {
  '/graphql': { target: api, ws: true, changeOrigin: true },
  '/readyz': { target: api, changeOrigin: true },
};

export default defineConfig({
  // The binary serves the built files at /app/ (GraphiQL stays at /).
  base: '/app/',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Hashed names under dist/assets/; no source maps in the committed build (they would double its size).
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: { port: 5173, strictPort: false, proxy },
  preview: { port: 4173, strictPort: false, proxy },
  test: {
    environment: 'happy-dom',
    include: ['test/**/*.test.{ts,tsx}'],
    // The app's base, as in the build (vitest serves from /).
    env: { BASE_URL: '/app/' },
  },
});
