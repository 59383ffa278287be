import { useEffect, useState } from 'react';
import { get } from '../api/client.js';
import type { Catalog } from '../api/types.js';

let catalogOnce: Promise<Catalog> | undefined;
/** The catalog only names regions and CU types here; one fetch per page load is enough. */
export function loadCatalog(): Promise<Catalog> {
  catalogOnce ??= get<Catalog>('/v1/catalog').catch((e) => {
    catalogOnce = undefined;
    throw e;
  });
  return catalogOnce;
}

export function useCatalog(): Catalog | undefined {
  const [c, setC] = useState<Catalog | undefined>();
  useEffect(() => {
    let live = true;
    loadCatalog().then(
      (x) => live && setC(x),
      () => {},
    );
    return () => {
      live = false;
    };
  }, []);
  return c;
}

export function catalogNames(catalog: Catalog | undefined, locale: 'zh-CN' | 'en-US') {
  return {
    region: (id: string) => catalog?.regions.find((r) => r.id === id)?.name[locale] ?? id,
    cuType: (region: string, id: string) =>
      catalog?.regions.find((r) => r.id === region)?.cuTypes.find((c) => c.id === id)?.name[locale] ?? id,
  };
}
