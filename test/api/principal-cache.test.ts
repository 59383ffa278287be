import { sql } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../server/src/db/connect.js';
import type { Deps } from '../../server/src/deps.js';
import {
  listenForPrincipalChanges,
  PrincipalCache,
  principalCache,
} from '../../server/src/identity/principal-cache.js';
import { createTally } from '../../server/src/server.js';
import { addMember, api, createOrg, type Member, type OrgFixture } from '../factories.js';
import { closeAfterFile, ENGINE, onPostgres, PG_URL, startTestTally, type TestTally } from '../harness.js';

let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

const balanceOf = (m: Member) => api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: m.auth });
const projectOrders = (m: Member, projectId: string) =>
  api(t, 'GET', `/v1/orgs/${org.id}/orders?projectId=${projectId}`, { auth: m.auth });

/** Asks until the answer has the status (the database's announcement reaches the process asynchronously). */
async function until(ask: () => Promise<{ status: number }>, status: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const r = await ask();
    if (r.status === status) return Date.now() - started;
    if (Date.now() - started > 3_000) throw new Error(`still ${r.status} after 3 s, expected ${status}`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

describe(`the principals behind API keys are kept while nothing changes (${ENGINE})`, () => {
  it('a key used once is kept; changed by plain SQL (not through Tally), it is read again', async () => {
    const m = await addMember(t, org.id, 'org_billing_admin');
    const others = principalCache(t.deps).size;
    // kept once the announcement of the member's own creation is behind (a principal read before an
    // announcement arrives is not kept)
    await expect
      .poll(async () => {
        expect((await balanceOf(m)).status).toBe(200);
        return principalCache(t.deps).size;
      })
      .toBe(others + 1);
    expect((await balanceOf(m)).status).toBe(200);
    expect(principalCache(t.deps).size).toBe(others + 1);
    // Kept: with the announcement switched off, a revocation by SQL goes unseen (the request is not read
    // from the database)…
    await sql`alter table api_keys disable trigger api_keys_principal_changed`.execute(t.deps.db);
    try {
      await sql`update api_keys set revoked_at = now() where user_id = ${m.id}`.execute(t.deps.db);
      expect((await balanceOf(m)).status).toBe(200);
    } finally {
      await sql`alter table api_keys enable trigger api_keys_principal_changed`.execute(t.deps.db);
    }
    // …until the change is announced, as the trigger does for any change, the way an operator's script would
    // make it: then the very next requests read it
    await sql`update api_keys set revoked_at = now() where user_id = ${m.id}`.execute(t.deps.db);
    await until(() => balanceOf(m), 401);
    const r = await balanceOf(m);
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('UNAUTHENTICATED');
  });

  it('a revocation through the API is refused by the very next request, before any announcement', async () => {
    const m = await addMember(t, org.id, 'org_admin');
    expect((await balanceOf(m)).status).toBe(200);
    const keys = await api(t, 'GET', `/v1/orgs/${org.id}/api-keys`, { auth: m.auth });
    const key = keys.json.items[0];
    // the database's announcement held back: the process forgets the user itself, before its commit
    const principals = principalCache(t.deps);
    principals.changed = () => {};
    try {
      const revoked = await api(t, 'POST', `/v1/orgs/${org.id}/api-keys/${key.id}/revoke`, {
        auth: m.auth,
        body: {},
      });
      expect(revoked.status).toBe(200);
      expect((await balanceOf(m)).status).toBe(401);
    } finally {
      delete (principals as { changed?: unknown }).changed;
    }
    expect((await balanceOf(m)).status).toBe(401);
  });

  it('a role taken away and a project role given by SQL are seen without a restart', async () => {
    const m = await addMember(t, org.id, 'org_member');
    const project = org.projects[0]!.id;
    // an org member without a role in the project may not list its orders
    expect((await projectOrders(m, project)).status).toBe(403);
    await sql`insert into project_roles (org_id, project_id, user_id, role)
              values (${org.id}, ${project}, ${m.id}, 'project_admin')`.execute(t.deps.db);
    await until(() => projectOrders(m, project), 200);

    const admin = await addMember(t, org.id, 'org_admin');
    expect((await balanceOf(admin)).status).toBe(200);
    await sql`update memberships set org_role = 'org_member' where org_id = ${org.id} and user_id = ${admin.id}`.execute(
      t.deps.db,
    );
    // an org member may not read the balance
    await until(() => balanceOf(admin), 403);
  });

  it.runIf(onPostgres)(
    'the listening connection killed: nothing is kept meanwhile, every request still answers, and it listens again',
    async () => {
      const m = await addMember(t, org.id, 'org_billing_admin');
      expect((await balanceOf(m)).status).toBe(200);
      expect(principalCache(t.deps).size).toBeGreaterThan(0);
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        // (other files' listeners too: they only read from the database until they listen again)
        const killed = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'tally-listen'`,
        );
        expect(killed.rowCount).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      // lost: what was kept is forgotten
      await expect.poll(() => principalCache(t.deps).size, { timeout: 3_000 }).toBe(0);
      expect((await balanceOf(m)).status).toBe(200);
      // listening again (within the first retry): kept again
      await expect
        .poll(
          async () => {
            await balanceOf(m);
            return principalCache(t.deps).size;
          },
          { timeout: 5_000 },
        )
        .toBeGreaterThan(0);
      await sql`update api_keys set revoked_at = now() where user_id = ${m.id}`.execute(t.deps.db);
      await until(() => balanceOf(m), 401);
    },
  );
});

describe.runIf(onPostgres)('two instances on one database', () => {
  it('a key revoked through one instance is refused by the other, which had kept its caller', async () => {
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.deps.db)).rows[0]!.s;
    const database = await connect({ databaseUrl: PG_URL, schema, poolSize: 2 });
    const other = await createTally({ config: t.config, database, clock: t.clock });
    closeAfterFile(async () => {
      await other.close();
      await database.close();
    });
    const viaOther = (m: Member) =>
      other.app.inject({ method: 'GET', url: `/v1/orgs/${org.id}/balance`, headers: m.auth });
    const m = await addMember(t, org.id, 'org_admin');
    // the other instance keeps the caller (once the announcement of the member's creation is behind it)
    await expect
      .poll(async () => {
        expect((await viaOther(m)).statusCode).toBe(200);
        return principalCache(other.deps).size;
      })
      .toBeGreaterThan(0);
    const keys = await api(t, 'GET', `/v1/orgs/${org.id}/api-keys`, { auth: m.auth });
    const revoked = await api(t, 'POST', `/v1/orgs/${org.id}/api-keys/${keys.json.items[0].id}/revoke`, {
      auth: m.auth,
      body: {},
    });
    expect(revoked.status).toBe(200);
    const ms = await until(async () => ({ status: (await viaOther(m)).statusCode }), 401);
    expect(ms).toBeLessThan(3_000);
  });
});

describe(`listening is proven by probes (${ENGINE})`, () => {
  /** A cache of its own (caches are per deps), connected through `through` to the real channel. */
  const connectThrough = (
    pass: (payload: string) => boolean,
  ): { deps: Deps; sub: ReturnType<typeof listenForPrincipalChanges> } => {
    const deps = { ...t.deps } as Deps;
    const sub = listenForPrincipalChanges(
      deps,
      (channel, l) =>
        t.database.listen(channel, {
          listening: () => l.listening(),
          lost: () => l.lost(),
          message: (payload) => {
            if (pass(payload)) l.message(payload);
          },
        }),
      100,
    );
    return { deps, sub };
  };
  const keeps = async (deps: Deps) => {
    const c = principalCache(deps);
    await c.get(`k-${Math.random()}`, async () => ({ id: 'u' }) as never);
    return c.size > 0;
  };

  it('a channel that carries the probes: kept once the first probe is back', async () => {
    const { deps, sub } = connectThrough(() => true);
    try {
      await expect.poll(() => principalCache(deps).isListening).toBe(true);
      expect(await keeps(deps)).toBe(true);
    } finally {
      await sub.close();
    }
  });

  it('a channel that says it listens but carries nothing (a pooler in transaction mode): nothing is kept', async () => {
    const { deps, sub } = connectThrough(() => false);
    try {
      await sub.started;
      await new Promise((done) => setTimeout(done, 500));
      expect(principalCache(deps).isListening).toBe(false);
      expect(await keeps(deps)).toBe(false);
    } finally {
      await sub.close();
    }
  });

  it('a channel that goes silent: within two rounds nothing is kept, and kept again once probes come back', async () => {
    let open = true;
    const { deps, sub } = connectThrough(() => open);
    try {
      await expect.poll(() => principalCache(deps).isListening).toBe(true);
      expect(await keeps(deps)).toBe(true);
      open = false;
      await expect.poll(() => principalCache(deps).isListening).toBe(false);
      expect(principalCache(deps).size).toBe(0);
      expect(await keeps(deps)).toBe(false);
      open = true;
      await expect.poll(() => principalCache(deps).isListening).toBe(true);
    } finally {
      await sub.close();
    }
  });
});

describe('PrincipalCache', () => {
  const entry = (userId: string, n = 0) => ({ userId, n });
  const cache = () => {
    const c = new PrincipalCache<{ userId: string; n: number }>((v) => v.userId);
    c.listeningStarted();
    return c;
  };

  it('keeps what it loaded and serves it without loading again', async () => {
    const c = cache();
    let loads = 0;
    const load = async () => entry('u1', ++loads);
    expect(await c.get('k1', load)).toEqual(entry('u1', 1));
    expect(await c.get('k1', load)).toEqual(entry('u1', 1));
    expect(loads).toBe(1);
  });

  it('keeps nothing unknown: an unknown key is asked again', async () => {
    const c = cache();
    let loads = 0;
    const load = async () => {
      loads++;
      return undefined;
    };
    await c.get('k', load);
    await c.get('k', load);
    expect(loads).toBe(2);
  });

  it('a change forgets every key of its user and no other', async () => {
    const c = cache();
    await c.get('a1', async () => entry('a'));
    await c.get('a2', async () => entry('a'));
    await c.get('b1', async () => entry('b'));
    c.changed('a');
    expect(c.size).toBe(1);
    expect(await c.get('b1', async () => entry('b', 9))).toEqual(entry('b'));
  });

  it('an answer read before a change and arriving after it is not kept', async () => {
    const c = cache();
    let answer!: (v: { userId: string; n: number }) => void;
    const pending = c.get('k', () => new Promise((r) => (answer = r)));
    c.changed('someone-else');
    answer(entry('u', 1));
    expect(await pending).toEqual(entry('u', 1));
    expect(c.size).toBe(0);
    expect(await c.get('k', async () => entry('u', 2))).toEqual(entry('u', 2));
    expect(c.size).toBe(1);
  });

  it('while not listening nothing is served or kept; listening again starts empty', async () => {
    const c = cache();
    await c.get('k', async () => entry('u', 1));
    c.listeningLost();
    expect(c.size).toBe(0);
    expect(await c.get('k', async () => entry('u', 2))).toEqual(entry('u', 2));
    expect(c.size).toBe(0);
    c.listeningStarted();
    expect(await c.get('k', async () => entry('u', 3))).toEqual(entry('u', 3));
    expect(await c.get('k', async () => entry('u', 4))).toEqual(entry('u', 3));
  });

  it('a user this process is changing is not kept again until the hold ends', async () => {
    const c = cache();
    await c.get('k', async () => entry('u', 1));
    c.willChange('u');
    expect(await c.get('k', async () => entry('u', 2))).toEqual(entry('u', 2));
    expect(await c.get('k', async () => entry('u', 3))).toEqual(entry('u', 3));
    expect(c.size).toBe(0);
    // another user is kept as usual
    await c.get('k2', async () => entry('v'));
    expect(c.size).toBe(1);
  });

  it('holds at most its limit, forgetting the oldest', async () => {
    const c = new PrincipalCache<{ userId: string; n: number }>((v) => v.userId, 2);
    c.listeningStarted();
    await c.get('k1', async () => entry('u1'));
    await c.get('k2', async () => entry('u2'));
    await c.get('k3', async () => entry('u3'));
    expect(c.size).toBe(2);
    expect(await c.get('k1', async () => entry('u1', 7))).toEqual(entry('u1', 7));
  });
});
