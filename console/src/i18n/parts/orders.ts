/** The words of the console's orders screens: zh-CN is the source, en mirrors its keys (src/i18n/catalogs.test.ts). */
export const zh = {} as const;

export const en: Record<keyof typeof zh, string> = {};
