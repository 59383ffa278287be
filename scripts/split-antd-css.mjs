// Splits antd's stylesheet in a console build (dist/console) in two: what the first screen (the shell and the
// orders page) needs stays in the stylesheet index.html loads, and the rules of every other component go to a
// file the console loads after its first render (console/src/lib/laterStyles.ts) and before any other page or
// dialog shows. The browser then parses and matches ~40% of antd's CSS before the first row instead of all of it.
//   node scripts/split-antd-css.mjs DIR
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postcss from 'postcss';

/**
 * The components of the first screen, by the first word of their class (`.ant-table-row` → table): the
 * layout, header and navigation drawer, the filters, the table with its checkboxes, tags and buttons, the
 * pagination, the 更多 menu, the messages and notifications (which must show even when nothing more can be
 * downloaded), the loading and empty states, and the motions these use.
 */
const FIRST = new Set([
  'layout',
  'drawer',
  'btn',
  'wave',
  'select',
  'input',
  'table',
  'checkbox',
  'tag',
  'pagination',
  'alert',
  'flex',
  'space',
  'typography',
  'spin',
  'empty',
  'switch',
  'dropdown',
  'tooltip',
  'message',
  'notification',
  'skeleton',
  'badge',
  'zoom',
  'slide',
  'move',
  'fade',
  'motion',
  'css',
]);

const CLASS = /\.ant-([a-z]+)/g;

/** A rule for the first screen: one of its selectors names a first-screen component, or no antd component. */
function firstScreen(selector) {
  const words = [...selector.matchAll(CLASS)].map((m) => m[1]);
  return words.length === 0 || words.some((w) => FIRST.has(w));
}

/** Moves the rules that are not for the first screen from `root` into a new root (at-rules kept around them). */
function split(root) {
  const later = postcss.root();
  const move = (container, into) => {
    for (const node of [...container.nodes]) {
      if (node.type === 'rule') {
        if (!firstScreen(node.selector)) into.append(node.remove());
      } else if (
        node.type === 'atrule' &&
        node.nodes &&
        /^(media|supports|container|layer)$/.test(node.name)
      ) {
        const copy = node.clone({ nodes: [] });
        move(node, copy);
        if (copy.nodes.length) into.append(copy);
        if (node.nodes.length === 0) node.remove();
      }
      // @keyframes, @font-face and the like stay where they are: cheap, and named from anywhere
    }
  };
  move(root, later);
  return later;
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/split-antd-css.mjs DIR');
const indexPath = join(dir, 'index.html');
let html = readFileSync(indexPath, 'utf8');
const link = [...html.matchAll(/<link rel="stylesheet"[^>]*href="\/(assets\/[^"]+\.css)"[^>]*>/g)].find((m) =>
  readFileSync(join(dir, m[1]), 'utf8').includes('.ant-btn{'),
);
if (!link) throw new Error('split-antd-css: no stylesheet with antd in index.html');
const file = join(dir, link[1]);
const root = postcss.parse(readFileSync(file, 'utf8'));
const later = split(root);
const first = root.toString();
const rest = later.toString();
// The first part keeps its file name: the name stands for the build's input, which decides both parts.
writeFileSync(file, first);
const hash = createHash('sha256').update(rest).digest('base64url').slice(0, 8);
const restName = `assets/antd-later-${hash}.css`;
writeFileSync(join(dir, restName), rest);
// Named where the console finds it; downloaded after the first screen, so that it takes nothing from it, and
// applied right after antd's first part (the same cascade order as one stylesheet).
html = html.replace(link[0], `${link[0]}\n    <meta name="tally-later-styles" content="/${restName}">`);
writeFileSync(indexPath, html);
const kib = (s) => `${(Buffer.byteLength(s) / 1024).toFixed(0)} KiB`;
console.log(
  `console: antd's CSS split, ${kib(first)} for the first screen, ${kib(rest)} after it (${restName})`,
);
