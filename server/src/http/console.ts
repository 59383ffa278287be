import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The built console (dist/console), from the repository root whether run from source or from dist/. */
export function consoleDir(): string {
  let dir = resolve(fileURLToPath(new URL('.', import.meta.url)));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'console');
    dir = resolve(dir, '..');
  }
  return resolve('dist', 'console');
}

/** Serves the console's files at / and its index.html for client-side routes; /v1 stays the API. */
export function serveConsole(app: FastifyInstance): void {
  const root = consoleDir();
  const indexPath = join(root, 'index.html');
  const index = () =>
    existsSync(indexPath)
      ? readFileSync(indexPath)
      : '<!doctype html><meta charset="utf-8"><title>Tally</title><p>The console is not built: run <code>npm run build</code>.</p>';
  app.get('/*', async (req, reply) => {
    // The router has already decoded the path: decoding again would read `%25E0` as a broken `%E0`.
    const path = (req.params as { '*': string })['*'] ?? '';
    const file = normalize(join(root, path));
    if (path && file.startsWith(root) && existsSync(file) && extname(file)) {
      const immutable = path.startsWith('assets/');
      void reply
        .header('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.send(await readFile(file));
    }
    if (path.startsWith('v1/') || extname(path)) {
      return reply
        .status(404)
        .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} /${path}` } });
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(index());
  });
}
