import { defineConfig } from 'vite';

// Served by the server at /ui/; everything is bundled (no CDN, no outside font or script).
// `vite` (the dev server) sends API calls and the events WebSocket to a running server.
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: {
    proxy: {
      '/api': { target: process.env.KOLEJKA_SERVER ?? 'http://127.0.0.1:8000', ws: true },
    },
  },
});
