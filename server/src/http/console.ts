import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** A file the build names by its content (`assets/index-BQ4Sek3e.js`): it never changes under that name. */
const HASHED = /^assets\/(?:[^/]+\/)*[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The pre-compressed copies the console build writes beside each file (scripts/build-console.mjs). */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
type Encoding = (typeof ENCODINGS)[number]['name'];

/** The built console (dist/console), from the repository root whether run from source or from dist/. */
export function consoleDir(): string {
  let dir = resolve(fileURLToPath(new URL('.', import.meta.url)));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'console');
    dir = resolve(dir, '..');
  }
  return resolve('dist', 'console');
}

/**
 * The encodings an Accept-Encoding header allows (RFC 9110 §12.5.3): listed with a q above 0, or covered by a
 * `*` above 0 and not listed with q=0. Identity is always possible here: every file exists uncompressed.
 */
export function acceptedEncodings(header: string | string[] | undefined): Set<Encoding> {
  const q = new Map<string, number>();
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of text.split(',')) {
    const [token, ...params] = part.split(';');
    const name = token?.trim().toLowerCase();
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) weight = Number(m[1]);
    }
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(weight) ? weight : 0);
  }
  const out = new Set<Encoding>();
  for (const { name } of ENCODINGS) {
    const w = q.get(name) ?? q.get('*') ?? 0;
    if (w > 0) out.add(name);
  }
  return out;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false; // missing, or a name the file system refuses (NUL)
  }
}

/** The best copy of `file` the client accepts: brotli, then gzip, then the file itself. */
async function pickCopy(
  file: string,
  accepted: Set<Encoding>,
): Promise<{ path: string; encoding: Encoding | null }> {
  for (const { name, suffix } of ENCODINGS)
    if (accepted.has(name) && (await isFile(file + suffix))) return { path: file + suffix, encoding: name };
  return { path: file, encoding: null };
}

async function sendFile(
  req: FastifyRequest,
  reply: FastifyReply,
  file: string,
  cacheControl: string,
  withEtag: boolean,
): Promise<FastifyReply> {
  const copy = await pickCopy(file, acceptedEncodings(req.headers['accept-encoding']));
  const body = await readFile(copy.path);
  void reply
    .header('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
    .header('cache-control', cacheControl)
    .header('vary', 'Accept-Encoding');
  if (copy.encoding) void reply.header('content-encoding', copy.encoding);
  if (withEtag) {
    // Per representation: the brotli and the gzip copy of one index.html are different bytes.
    const tag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    void reply.header('etag', tag);
    const match = req.headers['if-none-match'];
    if (match?.split(',').some((t) => t.trim().replace(/^W\//, '') === tag || t.trim() === '*'))
      return reply.status(304).send();
  }
  return reply.header('content-length', body.length).send(body);
}

/**
 * Serves the console's files at / and its index.html for client-side routes; /v1 stays the API.
 * Each file goes out pre-compressed when the build wrote a copy the client accepts (br, else gzip), named
 * files (`/assets/*-<hash>.*`) cached for a year, index.html revalidated on every visit (a deploy shows at
 * once) with an ETag, so an unchanged page costs a 304. A file that is not there is a 404, never index.html:
 * a page still running a previous deploy that asks for a chunk the new one removed fails cleanly and offers
 * to reload.
 */
export function serveConsole(app: FastifyInstance): void {
  serveConsoleFrom(consoleDir())(app);
}

/** serveConsole for the build in `dir` (tests, other layouts). */
export function serveConsoleFrom(dir: string): (app: FastifyInstance) => void {
  const root = resolve(dir);
  const indexPath = join(root, 'index.html');
  const notBuilt =
    '<!doctype html><meta charset="utf-8"><title>Tally</title><p>The console is not built: run <code>npm run build</code>.</p>';
  return (app) => {
    app.get('/*', async (req, reply) => {
      // The router has already decoded the path: decoding again would read `%25E0` as a broken `%E0`.
      const path = (req.params as { '*': string })['*'] ?? '';
      const file = resolve(root, path);
      const inside = file.startsWith(root + sep);
      const ext = extname(path);
      // The compressed copies are served for their file, never on their own.
      const copyName = ext === '.br' || ext === '.gz';
      if (path && ext && inside && !copyName && file !== indexPath && (await isFile(file))) {
        return sendFile(req, reply, file, HASHED.test(path) ? IMMUTABLE : 'no-cache', false);
      }
      // Unknown API paths, files that are not there, and anything outside the build (`..`) are not found.
      if (path.startsWith('v1/') || (path && !inside) || (ext && file !== indexPath)) {
        return reply
          .status(404)
          .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} /${path}` } });
      }
      if (!(await isFile(indexPath)))
        return reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('cache-control', 'no-cache')
          .send(notBuilt);
      return sendFile(req, reply, indexPath, 'no-cache', true);
    });
  };
}
