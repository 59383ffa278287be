import { z } from 'zod';
import { DocumentQuery, OrderExportQuery } from '../../../contract/api.js';
import { authorizeProject, listableProjectIds, orgAccess } from '../access/policy.js';
import { attachment, documentLang } from '../documents/http.js';
import { defineRoute, Id } from '../http/route.js';
import { getProject } from '../orgs/orgs.repository.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { AppError } from '../platform/errors.js';
import { orderDocument } from './order-document.js';
import { getOrder } from './orders.repository.js';
import { ordersExport, ordersInBatches } from './orders-export.js';

const OrgParams = z.object({ orgId: Id });
const OrderParams = z.object({ orgId: Id, orderId: Id });

export const orderDocumentRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/orders/export',
    summary: 'The filtered order list as CSV (UTF-8 with BOM) or XLSX, streamed (?format=csv|xlsx)',
    tags: ['orders'],
    auth: 'user',
    params: OrgParams,
    query: OrderExportQuery,
    handler: async ({ deps, principal, params, query, now }) => {
      const projectIds = listableProjectIds(principal, params.orgId, 'order.export', query.projectId);
      const org = await requireOrg(deps.db, params.orgId);
      const { format, lang, ...filters } = query;
      const out = ordersExport(ordersInBatches(deps.db, params.orgId, { ...filters, projectIds }, now), {
        format,
        lang: documentLang(lang),
        timeZone: org.time_zone,
        now,
        catalog: deps.catalog,
      });
      return { body: out.body, contentType: out.contentType, headers: attachment(`orders.${format}`) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/orders/:orderId/document',
    summary: 'The order as a PDF (下载): zh-CN by default, ?lang=en for English',
    tags: ['orders'],
    auth: 'user',
    params: OrderParams,
    query: DocumentQuery,
    handler: async ({ deps, principal, params, query, now }) => {
      orgAccess(principal, params.orgId);
      const order = await getOrder(deps.db, params.orgId, params.orderId);
      if (!order) throw new AppError('NOT_FOUND', 'order not found');
      authorizeProject(principal, params.orgId, order.project_id, 'order.download', 'order');
      const org = await requireOrg(deps.db, params.orgId);
      const project = await getProject(deps.db, params.orgId, order.project_id);
      const pdf = await orderDocument(order, {
        orgName: org.name,
        timeZone: org.time_zone,
        projectName: project?.name ?? null,
        lang: documentLang(query.lang),
        now,
        catalog: deps.catalog,
      });
      return { body: pdf, contentType: 'application/pdf', headers: attachment(`order-${order.id}.pdf`) };
    },
  }),
];
