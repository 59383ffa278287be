import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

/**
 * The layers of server/src (docs/ARCHITECTURE.md, "Layers"), lowest first. A unit is a folder of server/src,
 * or a file at its top. A unit may import only units of a lower layer (and contract/): never one of its own
 * layer, never a higher one. So no arrow points up and no two features import each other, directly or in a
 * loop. A new folder or top-level file must be placed here before it can pass.
 */
const LAYERS: string[][] = [
  ['platform'],
  ['db'],
  ['pricing'],
  ['config.ts'],
  ['deps.ts'],
  ['http'],
  ['access', 'documents', 'isolation', 'outbox', 'test-clock'],
  ['identity'],
  ['orgs'],
  ['coupons'],
  ['ledger'],
  ['orders'],
  ['clusters'],
  ['billing'],
  ['topups'],
  ['usage'],
  ['invoices'],
  ['notifications', 'webhooks'],
  ['jobs'],
  ['demo'],
  ['routes.ts'],
  ['server.ts'],
  ['main.ts', 'cli'],
];

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'server/src');
const CONTRACT = join(ROOT, 'contract');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** Relative module specifiers: `… from '…'`, `import '…'`, `import('…')` (after removing comments). */
function relativeImports(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  const re = /\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(re)) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith('.')) specs.push(spec);
  }
  return specs;
}

/** The unit of a path under server/src: its first folder, or the file itself at the top. */
const unitOf = (path: string) => relative(SRC, path).split('/')[0]!;
const rankOf = new Map(LAYERS.flatMap((units, rank) => units.map((u) => [u, rank] as const)));

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
  /** whether the target is in server/src */
  inside: boolean;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const spec of relativeImports(file)) {
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      const from = unitOf(file);
      const inside = target.startsWith(`${SRC}/`);
      const to = inside
        ? unitOf(target)
        : target.startsWith(`${CONTRACT}/`)
          ? 'contract'
          : relative(ROOT, target);
      if (from !== to) out.push({ from, to, file: relative(ROOT, file), spec, inside });
    }
  }
  return out;
}

const show = (e: Edge) => `${e.from} → ${e.to}  (${e.file} imports '${e.spec}')`;

describe('layers of server/src', () => {
  const all = edges();

  test('every folder and top-level file of server/src has its place in the layers', () => {
    const units = [...new Set(sourceFiles(SRC).map(unitOf))];
    const unplaced = units.filter((u) => !rankOf.has(u));
    expect(unplaced, `add these to LAYERS in test/architecture.test.ts: ${unplaced.join(', ')}`).toEqual([]);
  });

  test('server/src imports only server/src and contract/', () => {
    const outside = all.filter((e) => e.to !== 'contract' && !e.inside);
    expect(outside.map(show)).toEqual([]);
  });

  test('every import points down: never to the same layer, never up (so no cycle between features)', () => {
    const wrong = all.filter((e) => {
      if (!e.inside) return false;
      const from = rankOf.get(e.from);
      const to = rankOf.get(e.to);
      return from === undefined || to === undefined || to >= from;
    });
    expect(wrong.map(show), 'imports that point up or sideways').toEqual([]);
  });

  test('contract/ imports nothing of the server', () => {
    const wrong = sourceFiles(CONTRACT).flatMap((file) =>
      relativeImports(file)
        .filter((spec) => !resolve(dirname(file), spec).startsWith(`${CONTRACT}/`))
        .map((spec) => `${relative(ROOT, file)} imports '${spec}'`),
    );
    expect(wrong).toEqual([]);
  });
});
