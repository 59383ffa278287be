import { useEffect, useState } from 'react';
import type { Quote } from '../api/types.js';

/** Prices the form as it changes: debounced, and only the answer to the latest input is kept. */
export function useLiveQuote(
  input: unknown,
  price: (() => Promise<Quote>) | undefined,
): { quote?: Quote; loading: boolean; error?: unknown } {
  const [state, setState] = useState<{ quote?: Quote; loading: boolean; error?: unknown }>({
    loading: false,
  });
  const key = JSON.stringify(input);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the serialized input decides when to price again
  useEffect(() => {
    if (!price) {
      setState({ loading: false });
      return;
    }
    let live = true;
    setState((s) => ({ quote: s.quote, loading: true }));
    const timer = setTimeout(() => {
      price().then(
        (quote) => live && setState({ quote, loading: false }),
        (error) => live && setState({ loading: false, error }),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key]);
  return state;
}
