import { type ComponentType, createElement, type ReactElement } from 'react';
import { withLaterStyles } from '../lib/laterStyles.js';

/**
 * A page's code that could not be downloaded (the network dropped, or a new deploy removed the old chunks). It
 * carries `retry`, which downloads the code again; the error view offers it as 重新加载.
 */
export class ChunkLoadError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly retry: () => Promise<void>,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'ChunkLoadError';
  }
}

/**
 * Like React.lazy, except that a failed download is not remembered for ever: React.lazy keeps the rejected
 * promise, so the page would stay broken after the network is back until a reload. Here the failure reaches
 * the nearest error boundary as a ChunkLoadError, and its retry downloads the code again.
 */
// biome-ignore lint/suspicious/noExplicitAny: any page's props
export function lazyPage<P extends Record<string, any>>(
  load: () => Promise<ComponentType<P>>,
): (props: P) => ReactElement {
  let component: ComponentType<P> | undefined;
  let pending: Promise<void> | undefined;
  let failed: ChunkLoadError | undefined;
  const start = (): Promise<void> => {
    // The page's styles too: the part of antd's stylesheet the first screen did not need (lib/laterStyles.ts).
    pending ??= withLaterStyles(load()).then(
      (c) => {
        component = c;
        failed = undefined;
      },
      (e: unknown) => {
        pending = undefined;
        failed = new ChunkLoadError(e, async () => {
          failed = undefined;
          await start();
          if (failed) throw failed;
        });
        throw failed;
      },
    );
    return pending;
  };
  // biome-ignore lint/correctness/noComponentHookFactories: made once per page at module level, like React.lazy
  return function LazyPage(props: P) {
    if (component) return createElement(component, props);
    if (failed) throw failed;
    throw start().catch(() => {});
  };
}

/** A dynamic import that failed to download (Chrome, Firefox and Safari word it differently). */
export function isChunkLoadError(e: unknown): boolean {
  if (e instanceof ChunkLoadError) return true;
  const m = e instanceof Error ? e.message : '';
  return /dynamically imported module|Importing a module script failed|Unable to preload CSS/i.test(m);
}
