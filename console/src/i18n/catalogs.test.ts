import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { enUS } from './en-US.js';
import { translate } from './i18n.js';
import { zhCN } from './zh-CN.js';

const SRC = join(import.meta.dirname, '..');
const CJK = /[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.ts$/.test(name) ? [p] : [];
  });
}

describe('message catalogs', () => {
  test('en-US has every key of zh-CN and the same placeholders', () => {
    expect(Object.keys(enUS).sort()).toEqual(Object.keys(zhCN).sort());
    for (const [key, zh] of Object.entries(zhCN)) {
      const en = enUS[key as keyof typeof zhCN];
      const vars = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      // a catalog may use fewer variables than offered (7折 vs 30% off), never unknown ones
      if (key !== 'discount.zhe') expect(vars(en), key).toEqual(vars(zh));
      if (key !== 'header.switchLanguage') expect(CJK.test(en), `${key} is English`).toBe(false);
    }
  });

  test('interpolates variables', () => {
    expect(translate('zh-CN', 'orders.timeLeft', { time: '1天' })).toBe('剩余 1天');
    expect(translate('en-US', 'discount.zhe', { zhe: 7, off: 30 })).toBe('30% off');
    expect(translate('zh-CN', 'discount.zhe', { zhe: 7, off: 30 })).toBe('7折');
  });

  test('no Chinese string is hard-coded in a component: every one lives in the catalogs', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const rel = relative(SRC, file);
      // the catalogs (src/i18n/) are the one place for the console's words
      if (rel.startsWith('i18n/')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '').replace(/\/\*.*?\*\//g, '');
          if (CJK.test(code) && !/^\s*\*/.test(code)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
