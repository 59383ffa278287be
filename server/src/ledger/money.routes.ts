import { z } from 'zod';
import { ListQuery } from '../../../contract/api.js';
import { authorizeOrg } from '../access/policy.js';
import { activeCouponTotal, listCoupons, presentCoupon } from '../coupons/coupons.service.js';
import { defineRoute, Id } from '../http/route.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { decodeCursor, decodeTimeCursor, pageOf, timeCursorOf } from '../platform/pagination.js';
import { listTopups, presentTopup } from '../topups/topups.service.js';
import { entryCursorOf, presentEntry } from './ledger.presenter.js';
import { getCash, listEntries } from './ledger.repository.js';

const OrgParams = z.object({ orgId: Id });
export const moneyRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/balance',
    summary: '现金余额 and 优惠券余额 (coupons pay pay-as-you-go charges only)',
    tags: ['money'],
    auth: 'user',
    params: OrgParams,
    handler: async ({ deps, principal, params, now }) => {
      authorizeOrg(principal, params.orgId, 'balance.read');
      const cash = await getCash(deps.db, params.orgId);
      const coupons = await activeCouponTotal(deps.db, params.orgId, now);
      return { body: { currency: cash?.currency ?? 'CNY', cash: cash?.cash ?? 0, coupons } };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/ledger',
    summary: 'Cash balance entries, newest first (append-only)',
    tags: ['money'],
    auth: 'user',
    params: OrgParams,
    query: ListQuery,
    handler: async ({ deps, principal, params, query }) => {
      authorizeOrg(principal, params.orgId, 'ledger.read');
      const before = query.cursor ? decodeCursor<[string]>(query.cursor, ['string'])[0] : undefined;
      const rows = await listEntries(deps.db, params.orgId, { before, limit: query.limit });
      return { body: pageOf(rows, query.limit, presentEntry, entryCursorOf) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/remittance-account',
    summary: '现金充值（对公转账）: where to wire money, with the org’s 9-digit code',
    tags: ['money'],
    auth: 'user',
    params: OrgParams,
    handler: async ({ deps, principal, params }) => {
      authorizeOrg(principal, params.orgId, 'remittance.read');
      const org = await requireOrg(deps.db, params.orgId);
      const { bank } = deps.config;
      return {
        body: {
          bankName: bank.name,
          accountName: bank.accountName,
          accountNumber: `${bank.accountPrefix}${org.remittance_code}`,
          remittanceCode: org.remittance_code,
          currency: org.currency,
          note: 'A top-up only adds to the cash balance; pay unpaid orders on the 订单 page afterwards.',
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/topups',
    summary: 'Top-ups (bank transfers credited), newest first',
    tags: ['money'],
    auth: 'user',
    params: OrgParams,
    query: ListQuery,
    handler: async ({ deps, principal, params, query }) => {
      authorizeOrg(principal, params.orgId, 'topup.read');
      const rows = await listTopups(deps.db, params.orgId, {
        limit: query.limit,
        after: decodeTimeCursor(query.cursor),
      });
      return { body: pageOf(rows, query.limit, presentTopup, timeCursorOf) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/coupons',
    summary: 'Coupons (优惠券), newest first',
    tags: ['money'],
    auth: 'user',
    params: OrgParams,
    query: ListQuery,
    handler: async ({ deps, principal, params, query, now }) => {
      authorizeOrg(principal, params.orgId, 'coupon.read');
      const rows = await listCoupons(deps.db, params.orgId, {
        limit: query.limit,
        after: decodeTimeCursor(query.cursor),
      });
      return {
        body: pageOf(rows, query.limit, (c) => presentCoupon(c, now), timeCursorOf),
      };
    },
  }),
];
