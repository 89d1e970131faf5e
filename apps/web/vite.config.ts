import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** In development Vite serves the app and forwards the API to the server on :3000 (`pnpm dev`). */
const api = process.env.CHATPLATFORM_API ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      '/trpc': { target: api, changeOrigin: false },
      '/api': { target: api, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
    // The server's CSP allows only same-origin scripts: no inline module preload polyfill.
    modulePreload: { polyfill: false },
    // wagmi + viem are most of the 650 kB; one chunk keeps the first load to two requests.
    chunkSizeWarningLimit: 700,
  },
});
