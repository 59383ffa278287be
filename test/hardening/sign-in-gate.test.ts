import { describe, expect, it } from 'vitest';
import { HashingBusy, HashingGate } from '../../server/src/identity/sign-in-hashing-gate.js';

/** The per-process bound on concurrent password hashing: a flood waits in a short queue or is refused at once. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('hashing gate', () => {
  it('runs at most `concurrency` tasks, queues `maxQueued` more, and refuses the rest at once', async () => {
    const gate = new HashingGate(2, 1);
    const started: number[] = [];
    const releases = [deferred(), deferred(), deferred()];
    const task = (i: number) => () => {
      started.push(i);
      return releases[i]!.promise.then(() => i);
    };
    const a = gate.run(task(0));
    const b = gate.run(task(1));
    const c = gate.run(task(2));
    expect(gate.hasRoom()).toBe(false);
    await expect(gate.run(async () => 99)).rejects.toBeInstanceOf(HashingBusy);
    await Promise.resolve();
    expect(started).toEqual([0, 1]);

    releases[0]!.resolve();
    expect(await a).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    expect(gate.hasRoom()).toBe(true);

    releases[1]!.resolve();
    releases[2]!.resolve();
    expect(await Promise.all([b, c])).toEqual([1, 2]);
    // Everything released: two run at once again.
    const d = deferred();
    const e = deferred();
    const x = gate.run(() => d.promise.then(() => 'x'));
    const y = gate.run(() => e.promise.then(() => 'y'));
    const z = gate.run(async () => 'z');
    await expect(gate.run(async () => 'refused')).rejects.toBeInstanceOf(HashingBusy);
    d.resolve();
    e.resolve();
    expect(await Promise.all([x, y, z])).toEqual(['x', 'y', 'z']);
  });

  it('frees the slot of a task that throws', async () => {
    const gate = new HashingGate(1, 0);
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'next')).toBe('next');
  });
});
