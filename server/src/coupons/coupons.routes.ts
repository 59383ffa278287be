import { z } from 'zod';
import { GrantCouponBody, ListQuery } from '../../../contract/api.js';
import { authorizeOrg } from '../access/policy.js';
import { defineRoute, Id } from '../http/route.js';
import { decodeTimeCursor, pageOf, timeCursorOf } from '../platform/pagination.js';
import { grantCoupon, listCoupons, presentCoupon } from './coupons.service.js';

const OrgParams = z.object({ orgId: Id });

export const couponRoutes = [
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
  defineRoute({
    method: 'POST',
    url: '/v1/internal/orgs/:orgId/coupons',
    summary: 'Grant a coupon (pays pay-as-you-go charges only)',
    tags: ['internal'],
    auth: 'operator',
    params: OrgParams,
    body: GrantCouponBody,
    successStatus: 201,
    handler: async ({ params, body, now }, tx) => ({
      status: 201,
      body: await grantCoupon(tx, params.orgId, body, now),
    }),
  }),
];
