import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ERROR_STATUS, type ErrorCode } from '../../../contract/errors.js';
import { ApiError } from '../api/client.js';
import { enUS, enUSErrors } from './en-US.js';
import { describeError, translate } from './i18n.js';
import { zhCN, zhCNErrors } from './zh-CN.js';

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

describe('error messages', () => {
  const codes = Object.keys(ERROR_STATUS) as ErrorCode[];
  const apiError = (code: string, status: number, message = 'server text the user should not see in zh-CN') =>
    new ApiError(status, code, message);

  test('every error code of the contract is worded in both languages, and no other', () => {
    expect(Object.keys(zhCNErrors).sort()).toEqual([...codes].sort());
    expect(Object.keys(enUSErrors).sort()).toEqual([...codes].sort());
    for (const code of codes) {
      expect(CJK.test(zhCNErrors[code]), `${code} is Chinese`).toBe(true);
      expect(CJK.test(enUSErrors[code]), `${code} is English`).toBe(false);
    }
  });

  test('zh-CN shows the meaning of the code, never the server text', () => {
    for (const code of codes) {
      const text = describeError('zh-CN', apiError(code, ERROR_STATUS[code]));
      expect(text).toBe(zhCNErrors[code]);
    }
    expect(describeError('zh-CN', apiError('INSUFFICIENT_BALANCE', 402))).toBe('现金余额不足');
  });

  test('en-US adds the server text after the meaning of a 4xx, not of a 5xx', () => {
    expect(describeError('en-US', apiError('VALIDATION_FAILED', 400, 'month: not a month (YYYY-MM)'))).toBe(
      'Invalid input: month: not a month (YYYY-MM)',
    );
    expect(describeError('en-US', apiError('NOT_FOUND', 404, 'Not found'))).toBe('Not found');
    expect(describeError('en-US', apiError('INTERNAL', 500, 'boom at line 3'))).toBe(
      'Server error: try again later',
    );
  });

  test('an unknown code or a proxy answer falls back to the meaning of its status', () => {
    expect(describeError('zh-CN', apiError('HTTP_502', 502, 'Bad Gateway'))).toBe('服务暂不可用，请稍后重试');
    expect(describeError('zh-CN', apiError('SOME_NEW_CODE', 409, 'the cluster has a pending order'))).toBe(
      '操作与当前状态冲突，请刷新后重试',
    );
    expect(describeError('zh-CN', apiError('HTTP_418', 418, "I'm a teapot"))).toBe('请求未能完成');
    expect(describeError('zh-CN', apiError('HTTP_507', 507, 'Insufficient Storage'))).toBe(
      '服务器错误，请稍后重试',
    );
    expect(describeError('en-US', apiError('SOME_NEW_CODE', 409, 'the cluster has a pending order'))).toBe(
      'This conflicts with the current state: refresh and retry: the cluster has a pending order',
    );
  });

  test('a network failure and a page error are worded too', () => {
    expect(describeError('zh-CN', new ApiError(0, 'NETWORK', 'Failed to fetch'))).toBe(
      '网络连接失败，请检查网络后重试',
    );
    expect(describeError('zh-CN', new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(
      '页面出错了，请重试',
    );
    expect(describeError('en-US', new TypeError('x is undefined'))).toBe(
      'Something went wrong on this page: retry (x is undefined)',
    );
    expect(describeError('zh-CN', 'a thrown string')).toBe('页面出错了，请重试');
  });
});
