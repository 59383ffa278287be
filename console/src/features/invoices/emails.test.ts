import { describe, expect, test } from 'vitest';
import { emailsProblem, parseEmails, remarkLength } from './emails.js';

describe('invoice receiving addresses', () => {
  test('split on commas, semicolons, full-width commas and new lines; blanks dropped', () => {
    expect(parseEmails(' a@x.cn, b@y.com\n\nc@z.org\uff0cd@w.io;e@v.net ')).toEqual([
      'a@x.cn',
      'b@y.com',
      'c@z.org',
      'd@w.io',
      'e@v.net',
    ]);
    expect(parseEmails('  \n ')).toEqual([]);
  });

  test('1 to 5 valid addresses, each once (case-insensitive)', () => {
    expect(emailsProblem([])).toEqual({ key: 'invoices.emailsRequired' });
    expect(emailsProblem([], 0)).toBeNull();
    expect(emailsProblem(['a@x.cn'])).toBeNull();
    expect(emailsProblem(['a@x.cn', 'b@x.cn', 'c@x.cn', 'd@x.cn', 'e@x.cn'])).toBeNull();
    expect(emailsProblem(['a@x.cn', 'b@x.cn', 'c@x.cn', 'd@x.cn', 'e@x.cn', 'f@x.cn'])).toEqual({
      key: 'invoices.emailsTooMany',
      vars: { max: 5 },
    });
    expect(emailsProblem(['a@x.cn', 'nobody'])).toEqual({
      key: 'invoices.emailInvalid',
      vars: { email: 'nobody' },
    });
    expect(emailsProblem(['a@localhost'])?.key).toBe('invoices.emailInvalid');
    expect(emailsProblem(['A@x.cn', 'a@X.cn'])).toEqual({
      key: 'invoices.emailDuplicate',
      vars: { email: 'a@X.cn' },
    });
  });

  test('a remark counts characters, not UTF-16 units', () => {
    expect(remarkLength('\u{1F600}'.repeat(50))).toBe(50);
    expect(remarkLength('  abc  ')).toBe(3);
  });
});
