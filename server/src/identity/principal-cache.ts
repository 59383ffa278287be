import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ChannelListener, Subscription } from '../db/failover.js';
import type { Deps } from '../deps.js';
import type { ApiKeyPrincipal } from './authentication.repository.js';

/** The most entries kept; beyond it the oldest are forgotten. */
export const PRINCIPAL_CACHE_MAX = 10_000;
export const PRINCIPALS_CHANNEL = 'tally_principals';
/** How long a change this process makes itself (willChange) keeps its user out of the cache. */
export const CHANGE_HOLD_MS = 10_000;
/**
 * Every this often the channel is proven to carry announcements: a probe sent through the pool must come back
 * on the listening connection before the next one is sent, or nothing is kept until one does.
 */
export const PROBE_EVERY_MS = 5_000;

/**
 * The principals behind recently used API keys, kept by each process so that a request does not read its
 * caller from the database every time (that read was about a fifth of the CPU a payment over HTTP cost).
 *
 * Kept only while the process hears the database's announcements of changes (`tally_principals`, sent by
 * triggers at the commit of any change to a key, a user, a membership or a project role: migration 0015):
 * - a change forgets every entry of its user at once, on whichever instance holds them; a change made through
 *   this process (a key revoked) forgets them before its commit and keeps none for a while (willChange), so the
 *   caller's next request here never depends on the announcement's arrival;
 * - a principal read before a change but answered after it is not kept (every announcement moves the
 *   generation, and an answer is kept only if the generation it was asked under still holds);
 * - while the channel is lost (a dropped connection, a failover) nothing is kept or served from here, and what
 *   was kept is forgotten: announcements may have been missed.
 * So a change is seen by the next request that starts after the announcement reaches the process: what a
 * request that began before the change would have seen anyway.
 */
export class PrincipalCache<T> {
  private readonly entries = new Map<string, T>();
  private generation = 0;
  private listening = false;
  /** users this process is changing (willChange), until when: nothing of theirs is kept meanwhile */
  private readonly changing = new Map<string, number>();

  /** `userOf`: the user whose changes forget an entry */
  constructor(
    private readonly userOf: (v: T) => string,
    private readonly max = PRINCIPAL_CACHE_MAX,
  ) {}

  /** The principal behind the key: kept, or loaded (and kept if nothing changed meanwhile). */
  async get(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (this.listening) {
      const kept = this.entries.get(key);
      if (kept) return kept;
    }
    const asked = this.generation;
    const loaded = await load();
    if (loaded && this.listening && asked === this.generation && !this.isChanging(this.userOf(loaded))) {
      if (this.entries.size >= this.max) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      this.entries.set(key, loaded);
    }
    return loaded;
  }

  /**
   * This process is about to commit a change to the user (a key revoked through the API): their entries are
   * forgotten now, and none is kept for CHANGE_HOLD_MS — so the next request here after the change commits,
   * even one that comes before the change's announcement, reads the user from the database.
   */
  willChange(userId: string): void {
    const now = performance.now();
    for (const [user, until] of this.changing) if (until <= now) this.changing.delete(user);
    this.changing.set(userId, now + CHANGE_HOLD_MS);
    this.forget(userId);
  }

  /** A change to this user's keys, memberships or roles was committed (the database's announcement). */
  changed(userId: string): void {
    this.forget(userId);
  }

  /** The channel is heard (again): whatever was announced meanwhile is unknown, so nothing kept is trusted. */
  listeningStarted(): void {
    this.forgetAll();
    this.listening = true;
  }

  /** The channel is lost: nothing is kept or served until it is heard again. */
  listeningLost(): void {
    this.listening = false;
    this.forgetAll();
  }

  get size(): number {
    return this.entries.size;
  }

  get isListening(): boolean {
    return this.listening;
  }

  private forget(userId: string): void {
    this.generation++;
    for (const [key, v] of this.entries) if (this.userOf(v) === userId) this.entries.delete(key);
  }

  private isChanging(userId: string): boolean {
    const until = this.changing.get(userId);
    if (until === undefined) return false;
    if (performance.now() < until) return true;
    this.changing.delete(userId);
    return false;
  }

  private forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }
}

const caches = new WeakMap<Deps, PrincipalCache<ApiKeyPrincipal>>();

/**
 * The process's principals behind API keys, for these deps (made when first asked). It keeps nothing until
 * the composition root connects it to the database's announcements (server.ts: listeningStarted).
 */
export function principalCache(deps: Deps): PrincipalCache<ApiKeyPrincipal> {
  let c = caches.get(deps);
  if (!c) {
    c = new PrincipalCache<ApiKeyPrincipal>((p) => p.id);
    caches.set(deps, c);
  }
  return c;
}

/**
 * Connects the process's cache to the database's announcements. Listening is not taken on trust: a probe
 * (`NOTIFY tally_principals, 'probe:…'`, sent through the pool as any change would be) must arrive on the
 * listening connection before anything is kept, and again every PROBE_EVERY_MS. A path that silently carries
 * nothing — a pooler in transaction mode, a connection cut without a reset — is found within two rounds, and
 * then nothing is kept until a probe arrives again.
 */
export function listenForPrincipalChanges(
  deps: Deps,
  listen: (channel: string, listener: ChannelListener) => Subscription,
  probeEveryMs = PROBE_EVERY_MS,
): Subscription {
  const cache = principalCache(deps);
  let connected = false;
  let pending: string | undefined;
  const probe = async () => {
    if (!connected) return;
    // the last probe did not come back within a round: announcements may be lost on the way
    if (pending !== undefined) cache.listeningLost();
    const token = `probe:${randomUUID()}`;
    pending = token;
    try {
      await sql`select pg_notify(${PRINCIPALS_CHANNEL}, ${token})`.execute(deps.db);
    } catch {
      // the database is away: this probe will not come back, and the next round says so
    }
  };
  const sub = listen(PRINCIPALS_CHANNEL, {
    listening: () => {
      connected = true;
      pending = undefined;
      void probe();
    },
    message: (payload) => {
      if (!payload.startsWith('probe:')) {
        cache.changed(payload);
        return;
      }
      if (payload !== pending) return;
      pending = undefined;
      if (!cache.isListening) cache.listeningStarted();
    },
    lost: () => {
      connected = false;
      pending = undefined;
      cache.listeningLost();
    },
  });
  const rounds = setInterval(() => void probe(), probeEveryMs);
  rounds.unref();
  return {
    started: sub.started,
    close: async () => {
      clearInterval(rounds);
      await sub.close();
    },
  };
}
