import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
  /** Replace the data in place (a row updated by a payment), without a reload. */
  setData(update: (prev: T | undefined) => T | undefined): void;
}

/**
 * Loads on mount and whenever deps change; a stale answer (deps changed meanwhile) is dropped. `initial`, when
 * the answer is already at hand (a request made before the page rendered), is shown at once and not asked
 * again on mount: the page draws its content in its first render.
 */
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  initial?: () => T | undefined,
): AsyncState<T> {
  const [first] = useState(() => initial?.());
  const [data, setDataState] = useState<T | undefined>(first);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(first === undefined);
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // The first effect's deps: while they hold, the initial answer is the answer.
  const initialDeps = useRef<DependencyList | undefined>(first === undefined ? undefined : [...deps, 0]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load again
  useEffect(() => {
    const current = [...deps, nonce];
    const kept = initialDeps.current;
    initialDeps.current = undefined;
    if (kept && kept.length === current.length && kept.every((d, i) => Object.is(d, current[i]))) return;
    const ctrl = new AbortController();
    setLoading(true);
    setError(undefined);
    loadRef.current(ctrl.signal).then(
      (d) => {
        if (ctrl.signal.aborted) return;
        setDataState(d);
        setLoading(false);
      },
      (e) => {
        if (ctrl.signal.aborted) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => ctrl.abort();
  }, [...deps, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const setData = useCallback((u: (prev: T | undefined) => T | undefined) => setDataState(u), []);
  return { data, error, loading, reload, setData };
}
