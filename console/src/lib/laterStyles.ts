/**
 * The part of antd's stylesheet the first screen does not use (scripts/split-antd-css.mjs writes it and names it
 * in index.html, `<meta name="tally-later-styles">`, right after antd's first part): downloaded and applied once
 * the first screen is drawn, and awaited by every page and dialog loaded later, so that none shows before its
 * styles. Without the name (the dev server, an unsplit build) there is nothing to wait for.
 */
let applied: Promise<void> | undefined;

export function loadLaterStyles(): Promise<void> {
  if (applied) return applied;
  const meta =
    typeof document === 'undefined'
      ? null
      : document.querySelector<HTMLMetaElement>('meta[name="tally-later-styles"]');
  if (!meta?.content) {
    applied = Promise.resolve();
    return applied;
  }
  applied = new Promise<void>((resolve) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = meta.content;
    // A stylesheet that cannot be downloaded leaves some parts unstyled, never a page that waits for ever.
    link.onload = () => resolve();
    link.onerror = () => {
      applied = undefined; // the next page asks again
      link.remove();
      resolve();
    };
    // Right after antd's first part, before the console's own rules: the cascade of the unsplit stylesheet.
    meta.after(link);
  });
  return applied;
}

/**
 * Runs `fn` once the frame being drawn is on screen (a task after the next animation frame); the answer cancels
 * it. Work the first screen does not need goes here, so that it never delays that screen's first paint.
 */
export function afterPaint(fn: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const frame = requestAnimationFrame(() => {
    timer = setTimeout(fn, 0);
  });
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}

/** The later styles once the frame being drawn is on screen (the first screen's content, not before it). */
export function loadLaterStylesAfterPaint(): void {
  afterPaint(() => void loadLaterStyles());
}

/** `load()`'s module once the later styles are applied too. */
export function withLaterStyles<T>(load: Promise<T>): Promise<T> {
  return Promise.all([load, loadLaterStyles()]).then(([m]) => m);
}
