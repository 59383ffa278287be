import cliProgress from 'cli-progress';

/** A progress bar on stderr (a plain line every few seconds when stderr is not a terminal). */
export interface Progress {
  start(total: number): void;
  tick(payload?: object, by?: number): void;
  stop(): void;
}

export function progressBar(label: string): Progress {
  const tty = process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} | ETA {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: !tty,
      notTTYSchedule: 2000,
      hideCursor: tty,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0),
    tick: (_payload, by = 1) => bar.increment(by),
    stop: () => bar.stop(),
  };
}

export const silentProgress: Progress = { start() {}, tick() {}, stop() {} };
