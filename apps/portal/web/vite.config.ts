import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The staff app: built into dist/apps/portal/web and served by the portal at /app. */
export default defineConfig({
  root: here,
  base: '/app/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../../dist/apps/portal/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // The polyfill is for browsers without <link rel=modulepreload>; the CSP allows no inline script.
    modulePreload: { polyfill: false },
    // No data: URLs for small assets: every asset is a file under /app/assets.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
