import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/client.js';
import { enUS } from './en-US.js';
import { type MessageKey, zhCN } from './zh-CN.js';

export type Locale = 'zh-CN' | 'en-US';
export type { MessageKey };
export type Vars = Record<string, string | number>;
export type T = (key: MessageKey, vars?: Vars) => string;

const CATALOGS: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, 'en-US': enUS };
const STORAGE_KEY = 'tally.locale';

export function translate(locale: Locale, key: MessageKey, vars?: Vars): string {
  const template = CATALOGS[locale][key] ?? zhCN[key] ?? key;
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function hasMessage(key: string): key is MessageKey {
  return key in zhCN;
}

interface I18n {
  locale: Locale;
  t: T;
  setLocale(l: Locale): void;
  /** An API error as one line: the localized meaning of its code, then the server's own message. */
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
    const errorText = (err: unknown) => {
      if (err instanceof ApiError) {
        const key = `errors.${err.code}`;
        const title = hasMessage(key) ? t(key) : err.code;
        return err.message && err.message !== title ? `${title}: ${err.message}` : title;
      }
      return err instanceof Error ? err.message : String(err);
    };
    return { locale, t, setLocale, errorText };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
