import { sql } from 'kysely';
import { createCluster } from '../clusters/create-cluster.js';
import { completeProvisioning, processOutbox } from '../clusters/provisioning.js';
import { renewCluster } from '../clusters/renew-cluster.js';
import { upgradeCluster } from '../clusters/upgrade-cluster.js';
import { grantCoupon } from '../coupons/coupons.service.js';
import type { Deps } from '../deps.js';
import type { UserPrincipal } from '../http/principal.js';
import { loadOrgAccess } from '../identity/authentication.repository.js';
import { cancelOrder } from '../orders/cancel-order.js';
import { sweepOrderTimeouts } from '../orders/order-timeouts.js';
import { payOrder } from '../orders/pay-order.js';
import { addMember, createOrg, createProject } from '../orgs/orgs.service.js';
import { randomToken } from '../platform/ids.js';
import { reportBankTransfer } from '../topups/topups.service.js';

export interface DemoLogin {
  orgId: string;
  email: string;
  password: string;
  apiKey: string;
  others: { email: string; password: string; role: string }[];
}

const DAY = 86_400_000;
/** The advisory lock that lets one instance seed the demo (an arbitrary constant of Tally's). */
const DEMO_SEED_LOCK = 7_411_001;

/**
 * Demo data on an empty database: a certified org, its Org Admin, two projects each with a Project Admin,
 * a funded balance, and orders in every status (paid, unpaid, cancelled, timed out, and an upgrade).
 * It goes through the same use cases as the API, with "now" set in the past where history needs it.
 */
export async function seedDemo(deps: Deps): Promise<DemoLogin | null> {
  const existing = await deps.db.selectFrom('orgs').select('id').limit(1).executeTakeFirst();
  if (existing) return null;
  const now = deps.clock.now();
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY);
  const password = `demo-${randomToken(6)}`;
  const db = deps.db;

  const first = await db.transaction().execute(async (tx) => {
    // Instances started together on one empty database: the first seeds, the others wait here and find its org.
    await sql`select pg_advisory_xact_lock(${DEMO_SEED_LOCK})`.execute(tx);
    if (await tx.selectFrom('orgs').select('id').limit(1).executeTakeFirst()) return null;
    const org = await createOrg(
      tx,
      { name: '示例科技有限公司', currency: 'CNY', timeZone: 'Asia/Shanghai', certified: true },
      at(20),
    );
    const p1 = await createProject(tx, org.id, '智能检索', at(20));
    const p2 = await createProject(tx, org.id, '推荐系统', at(20));
    const admin = await addMember(
      tx,
      org.id,
      { email: 'admin@demo.tally', password, orgRole: 'org_admin' },
      at(20),
    );
    const pa1 = await addMember(
      tx,
      org.id,
      {
        email: 'search-admin@demo.tally',
        password,
        orgRole: 'org_member',
        projectRoles: [{ projectId: p1.id, role: 'project_admin' }],
      },
      at(20),
    );
    const pa2 = await addMember(
      tx,
      org.id,
      {
        email: 'reco-admin@demo.tally',
        password,
        orgRole: 'org_member',
        projectRoles: [{ projectId: p2.id, role: 'project_admin' }],
      },
      at(20),
    );
    await addMember(
      tx,
      org.id,
      { email: 'finance@demo.tally', password, orgRole: 'org_billing_admin' },
      at(20),
    );
    await reportBankTransfer(
      tx,
      {
        remittanceCode: org.remittanceCode,
        amount: 5_000_000_00,
        currency: 'CNY',
        bankReference: 'DEMO-CMB-20261101-0001',
      },
      at(35),
    );
    await grantCoupon(tx, org.id, { amount: 500_00, expiresAt: new Date(now.getTime() + 90 * DAY) }, at(19));
    return { org, admin, p1, p2, pa1, pa2 };
  });
  if (!first) return null;
  const { org, admin, p1, p2, pa1, pa2 } = first;

  const principal: UserPrincipal = {
    kind: 'user',
    id: admin.user.id,
    email: admin.user.email,
    via: 'api_key',
    orgs: await loadOrgAccess(db, admin.user.id),
  };
  const buy = (
    projectId: string,
    name: string,
    cuSize: number,
    replicas: number,
    term: { unit: 'month' | 'year'; count: number },
    when: Date,
  ) =>
    db
      .transaction()
      .execute((tx) =>
        createCluster(
          deps,
          tx,
          principal,
          org.id,
          { projectId, name, region: 'aliyun-cn-hangzhou', cuType: 'performance', cuSize, replicas, term },
          when,
        ),
      );
  const pay = (orderId: string, when: Date) =>
    db.transaction().execute((tx) => payOrder(deps, tx, principal, org.id, orderId, {}, when));

  // Paid and running: bought and paid 18 days ago, then an upgrade paid 3 days ago.
  const prod = await buy(p1.id, 'search-prod', 8, 2, { unit: 'year', count: 1 }, at(18));
  await pay(prod.order.id, at(18));
  await processOutbox(db, at(18), 0);
  await completeProvisioning(db, at(18));
  const up = await db
    .transaction()
    .execute((tx) => upgradeCluster(deps, tx, principal, org.id, prod.cluster.id, { cuSize: 12 }, at(3)));
  await pay(up.order.id, at(3));
  await processOutbox(db, at(3), 0);
  await completeProvisioning(db, at(3));
  // Paid in the other project.
  const reco = await buy(p2.id, 'reco-online', 4, 1, { unit: 'month', count: 3 }, at(10));
  await pay(reco.order.id, at(10));
  await processOutbox(db, at(10), 0);
  await completeProvisioning(db, at(10));
  // The term (SPEC §8): a 1-month cluster with 4 days left (即将过期, 续订 offered), and one that expired 2 days
  // ago (已过期, 5 days before 回收站) with an unpaid renewal waiting.
  const dev = await buy(p1.id, 'search-dev', 2, 1, { unit: 'month', count: 1 }, at(26));
  await pay(dev.order.id, at(26));
  const archive = await buy(p2.id, 'reco-archive', 1, 1, { unit: 'month', count: 1 }, at(32));
  await pay(archive.order.id, at(32));
  await processOutbox(db, at(26), 0);
  await completeProvisioning(db, at(26));
  await db
    .transaction()
    .execute((tx) =>
      renewCluster(
        deps,
        tx,
        principal,
        org.id,
        archive.cluster.id,
        { term: { unit: 'month', count: 1 } },
        now,
      ),
    );
  // Cancelled by the user.
  const test = await buy(p1.id, 'search-staging', 2, 1, { unit: 'month', count: 1 }, at(9));
  await db.transaction().execute((tx) => cancelOrder(deps, tx, principal, org.id, test.order.id, at(8)));
  // Timed out: created 8 days ago and never paid.
  await buy(p2.id, 'reco-experiment', 4, 2, { unit: 'month', count: 6 }, at(8));
  await sweepOrderTimeouts(db, now);
  // Unpaid: waiting for payment now, in both projects; one of them costs more than the balance.
  await buy(p1.id, 'search-analytics', 16, 2, { unit: 'year', count: 3 }, at(1));
  await buy(
    p2.id,
    'reco-offline',
    4,
    1,
    { unit: 'month', count: 1 },
    new Date(now.getTime() - 2 * 3_600_000),
  );
  // Another upgrade waiting for payment.
  await db
    .transaction()
    .execute((tx) => upgradeCluster(deps, tx, principal, org.id, reco.cluster.id, { replicas: 2 }, now));

  return {
    orgId: org.id,
    email: admin.user.email,
    password,
    apiKey: admin.apiKey,
    others: [
      { email: pa1.user.email, password, role: `project_admin of ${p1.name}` },
      { email: pa2.user.email, password, role: `project_admin of ${p2.name}` },
      { email: 'finance@demo.tally', password, role: 'org_billing_admin' },
    ],
  };
}
