import { defineConfig } from 'vite';

// Served by the server at /ui/; everything is bundled (no CDN, no outside font or script).
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
});
