import { availableParallelism } from 'node:os';

/**
 * A bound on concurrent password hashing in this process. Each argon2id check takes ~19 MiB and tens of
 * milliseconds of a libuv thread, which other requests (file reads, DNS, crypto) share: without a bound a
 * flood of sign-ins would queue ahead of everything else. At most `concurrency` hashes run at once and at
 * most `maxQueued` wait; beyond that `run` refuses at once (`HashingBusy`), and the caller answers 503.
 */
export class HashingBusy extends Error {
  constructor() {
    super('too many password checks in progress');
    this.name = 'HashingBusy';
  }
}

export class HashingGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueued: number,
  ) {}

  /** Whether a new task would run or wait rather than be refused. */
  hasRoom(): boolean {
    return this.running < this.concurrency || this.waiting.length < this.maxQueued;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued) throw new HashingBusy();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` never drops below what is running.
      if (next) next();
      else this.running--;
    }
  }
}

const cores = Math.max(1, availableParallelism());
/** Per process: hashes run on libuv's pool of 4 threads; leave room for its other users. */
export const hashingGate = new HashingGate(Math.min(cores, 3), 16 * Math.min(cores, 3));
