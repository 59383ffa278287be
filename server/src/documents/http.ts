import type { Lang } from './labels.js';

export const documentLang = (q: string | undefined): Lang => (q === 'en' || q === 'en-US' ? 'en' : 'zh-CN');

/** Content-Disposition for a download (ASCII file names: ids and months). */
export function attachment(filename: string): Record<string, string> {
  return {
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'private, no-store',
  };
}
