import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** The page's first script: starts the first API requests from the URL (see the module). */
const EARLY = fileURLToPath(new URL('./src/lib/prefetch.ts', import.meta.url));

/**
 * Builds src/lib/prefetch.ts as an entry of its own and loads it before the app's code, so the first API
 * requests leave as soon as this small file has arrived instead of after the whole bundle has downloaded and
 * run. The app imports the same file (one module instance: its answers are shared).
 */
function earlyRequests(): Plugin {
  return {
    name: 'tally-early-requests',
    apply: 'build',
    buildStart() {
      this.emitFile({ type: 'chunk', id: EARLY, name: 'early', preserveSignature: 'strict' });
    },
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find(
          (c) => c.type === 'chunk' && c.isEntry && c.facadeModuleId === EARLY,
        );
        if (!chunk) throw new Error('the early-requests entry was not built');
        // async: it runs as soon as it has arrived, not after the document and its stylesheets (~1 MB of
        // antd's CSS to parse), as a module script in document order would.
        const tag = `<script type="module" async crossorigin src="/${chunk.fileName}"></script>`;
        return html.replace(/<script type="module"/, `${tag}\n    <script type="module"`);
      },
    },
  };
}

/** The console is built into dist/console, which the API server serves at / (SPA fallback to index.html). */
export default defineConfig(({ command }) => ({
  root,
  base: '/',
  plugins: [react(), earlyRequests()],
  // React's and antd's production code whatever NODE_ENV the caller has (vitest sets it to "test").
  ...(command === 'build' ? { define: { 'process.env.NODE_ENV': JSON.stringify('production') } } : {}),
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
    sourcemap: process.env.CONSOLE_SOURCEMAP === '1',
    rolldownOptions: {
      output: {
        // What the first screen runs (the entry's static imports) in two files instead of ~25 small shared
        // chunks: over HTTP/1.1 a browser opens 6 connections per host, so 25 files queued in rounds. The
        // libraries apart from the app's own code, so a deploy that changes only the app keeps them cached.
        // The pages behind lazy imports stay split as Rolldown splits them; the early-requests entry stays a
        // file of its own.
        codeSplitting: {
          groups: [
            { name: 'vendor', tags: ['$initial'], test: /[\\/]node_modules[\\/]/, priority: 2 },
            {
              name: 'app',
              tags: ['$initial'],
              test: (id) => id !== EARLY,
              // Not the early entry, which the app imports (it has no imports of its own: no cycle).
              includeDependenciesRecursively: false,
              priority: 1,
            },
          ],
        },
      },
    },
  },
  server: {
    // `npx vite --config console/vite.config.ts` proxies the API of a server started with `npm run dev`.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
}));
