import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ErrorCode } from '../../../contract/errors.js';
import { ApiError } from '../api/client.js';
import { enUS, enUSErrors } from './en-US.js';
import { type MessageKey, zhCN, zhCNErrors } from './zh-CN.js';

export type Locale = 'zh-CN' | 'en-US';
export type { MessageKey };
export type Vars = Record<string, string | number>;
export type T = (key: MessageKey, vars?: Vars) => string;

const CATALOGS: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, 'en-US': enUS };
const ERRORS: Record<Locale, Record<ErrorCode, string>> = { 'zh-CN': zhCNErrors, 'en-US': enUSErrors };
const STORAGE_KEY = 'tally.locale';

export function translate(locale: Locale, key: MessageKey, vars?: Vars): string {
  const template = CATALOGS[locale][key] ?? zhCN[key] ?? key;
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(zhCN, key);
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(zhCNErrors, code);
}

/** The generic meaning of an HTTP status, for an answer without a known error code (a proxy's 502, a new code). */
function statusText(locale: Locale, status: number): string {
  const key = `error.status.${status}`;
  if (hasMessage(key)) return translate(locale, key);
  if (status >= 400 && status < 500) return translate(locale, 'error.status.4xx');
  return translate(locale, 'error.status.5xx');
}

/**
 * An error as one line for the user: an API error by its code (the contract's codes, worded in the catalogs),
 * else by its HTTP status. zh-CN never shows the server's own text (it is English); en-US adds it after the
 * meaning of a 4xx, where it names the field or value at fault. Any other error (a bug in a page) is generic in
 * zh-CN and carries its message in en-US.
 */
export function describeError(locale: Locale, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return translate(locale, 'error.network');
    const meaning = isErrorCode(err.code) ? ERRORS[locale][err.code] : statusText(locale, err.status);
    const detail = locale === 'en-US' && err.status < 500 ? err.message.trim() : '';
    return detail && detail !== meaning ? `${meaning}: ${detail}` : meaning;
  }
  const generic = translate(locale, 'error.unexpected');
  const detail = locale === 'en-US' && err instanceof Error ? err.message.trim() : '';
  return detail ? `${generic} (${detail})` : generic;
}

interface I18n {
  locale: Locale;
  t: T;
  setLocale(l: Locale): void;
  /** An error as one line in the current language (describeError). */
  errorText(err: unknown): string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'zh-CN' || saved === 'en-US') return saved;
  } catch {
    // storage blocked: Chinese first
  }
  return 'zh-CN';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((l: Locale) => {
    setLocaleState(l);
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      // not persisted: fine
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo<I18n>(() => {
    const t: T = (key, vars) => translate(locale, key, vars);
    const errorText = (err: unknown) => describeError(locale, err);
    return { locale, t, setLocale, errorText };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
