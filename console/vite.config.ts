import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The console is built into dist/console, which the API server serves at / (SPA fallback to index.html). */
export default defineConfig(({ command }) => ({
  root,
  base: '/',
  plugins: [react()],
  // React's and antd's production code whatever NODE_ENV the caller has (vitest sets it to "test").
  ...(command === 'build' ? { define: { 'process.env.NODE_ENV': JSON.stringify('production') } } : {}),
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
    sourcemap: process.env.CONSOLE_SOURCEMAP === '1',
  },
  server: {
    // `npx vite --config console/vite.config.ts` proxies the API of a server started with `npm run dev`.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
}));
