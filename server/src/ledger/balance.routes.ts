import { z } from 'zod';
import { Currency } from '../../../contract/enums.js';
import type { Balance } from '../../../contract/responses.js';
import { authorizeOrg } from '../access/policy.js';
import { activeCouponTotal } from '../coupons/coupons.service.js';
import { defineRoute, Id } from '../http/route.js';
import { arrearsOf } from './arrears.js';
import { getCash } from './ledger.repository.js';

const OrgParams = z.object({ orgId: Id });
export const balanceRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/balance',
    summary:
      '现金余额 and 优惠券余额 (coupons pay pay-as-you-go charges only); amountDue and frozen (SPEC §10.3)',
    tags: ['money'],
    auth: 'user',
    params: OrgParams,
    handler: async ({ deps, principal, params, now }) => {
      authorizeOrg(principal, params.orgId, 'balance.read');
      const cash = await getCash(deps.db, params.orgId);
      const coupons = await activeCouponTotal(deps.db, params.orgId, now);
      // SPEC §10.3: what confirmed bills still owe, and whether an overdue one freezes the org (exact at read).
      const arrears = await arrearsOf(deps.db, params.orgId, now);
      const balance: Balance = {
        currency: Currency.parse(cash?.currency ?? 'CNY'),
        cash: cash?.cash ?? 0,
        coupons,
        amountDue: arrears.amountDue,
        frozen: arrears.frozen,
      };
      return { body: balance };
    },
  }),
];
