import { z } from 'zod';
import {
  EmptyBody,
  OrderCountQuery,
  OrderListPageQuery,
  PayBody,
  PayManyBody,
} from '../../../contract/api.js';
import { authorizeProject, listableProjectIds, orgAccess } from '../access/policy.js';
import { defineRoute, Id } from '../http/route.js';
import { AppError } from '../platform/errors.js';
import { decodeTimeCursor, pageOf, timeCursorOf } from '../platform/pagination.js';
import { cancelOrder } from './cancel-order.js';
import { presentHistory, presentOrder } from './orders.presenter.js';
import { countOrders, getHistory, getOrder, listOrders } from './orders.repository.js';
import { payOrder } from './pay-order.js';
import { payOrders } from './pay-orders.js';

const OrgParams = z.object({ orgId: Id });
const OrderParams = z.object({ orgId: Id, orderId: Id });

export const orderRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/orders',
    summary:
      'List orders (费用中心 > 订单), newest first, with filters; the next page by cursor, or a page jumped to by offset',
    tags: ['orders'],
    auth: 'user',
    params: OrgParams,
    query: OrderListPageQuery,
    handler: async ({ deps, principal, params, query, now }) => {
      const projectIds = listableProjectIds(principal, params.orgId, 'order.list', query.projectId);
      const access = orgAccess(principal, params.orgId);
      const rows = await listOrders(deps.db, params.orgId, { ...query, projectIds }, now, {
        limit: query.limit,
        after: decodeTimeCursor(query.cursor),
        offset: query.offset,
      });
      return {
        body: pageOf(rows, query.limit, (r) => presentOrder(r, access, now), timeCursorOf),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/orders/count',
    summary:
      'How many orders the list has with the same filters (共 N 条); asked beside the first page, not before it',
    tags: ['orders'],
    auth: 'user',
    params: OrgParams,
    query: OrderCountQuery,
    handler: async ({ deps, principal, params, query, now }) => {
      const projectIds = listableProjectIds(principal, params.orgId, 'order.list', query.projectId);
      orgAccess(principal, params.orgId);
      return { body: { total: await countOrders(deps.db, params.orgId, { ...query, projectIds }, now) } };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/orders/:orderId',
    summary: 'One order, with its history',
    tags: ['orders'],
    auth: 'user',
    params: OrderParams,
    handler: async ({ deps, principal, params, now }) => {
      orgAccess(principal, params.orgId);
      const order = await getOrder(deps.db, params.orgId, params.orderId);
      if (!order) throw new AppError('NOT_FOUND', 'order not found');
      const access = authorizeProject(principal, params.orgId, order.project_id, 'order.read', 'order');
      const history = await getHistory(deps.db, params.orgId, params.orderId);
      return { body: { ...presentOrder(order, access, now), history: presentHistory(history, order, now) } };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/orders/:orderId/pay',
    summary: '支付: pay the whole amount from the cash balance (coupons never apply)',
    tags: ['orders'],
    auth: 'user',
    params: OrderParams,
    body: PayBody,
    // Without a key: the process's batch of payments (pay-batcher.ts); with one: one statement in the key's
    // transaction (payInOneStatement). A refusal writes nothing.
    oneStatement: true,
    handler: async ({ deps, principal, params, body, now }, tx) => {
      const r = await payOrder(deps, tx, principal, params.orgId, params.orderId, body, now);
      deps.kick('outbox');
      return { body: r };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/orders/pay',
    summary: '合并支付: pay 1–30 unpaid orders at once from the cash balance, all or nothing (SPEC §10.1)',
    tags: ['orders'],
    auth: 'user',
    params: OrgParams,
    body: PayManyBody,
    handler: async ({ deps, principal, params, body, now }, tx) => {
      const r = await payOrders(deps, tx, principal, params.orgId, body.orderIds, now);
      deps.kick('outbox');
      return { body: r };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/orders/:orderId/cancel',
    summary: '取消订单: cancel an unpaid order (irreversible)',
    tags: ['orders'],
    auth: 'user',
    params: OrderParams,
    body: EmptyBody,
    handler: async ({ deps, principal, params, now }, tx) => ({
      body: await cancelOrder(deps, tx, principal, params.orgId, params.orderId, now),
    }),
  }),
];
