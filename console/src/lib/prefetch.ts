/**
 * Requests started before React has rendered anything (from the URL alone), so that the first screen does not
 * wait for the bundle to evaluate, render, and only then ask. A page takes its answer once; later loads fetch.
 */
const started = new Map<string, Promise<unknown>>();

export function prefetch<T>(key: string, load: () => Promise<T>): void {
  if (started.has(key)) return;
  const p = load();
  p.catch(() => {}); // the page that takes it handles the error
  started.set(key, p);
}

export function takePrefetched<T>(key: string): Promise<T> | undefined {
  const p = started.get(key) as Promise<T> | undefined;
  started.delete(key);
  return p;
}
