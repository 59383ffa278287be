import { z } from 'zod';
import { AssignTransferBody, BankTransferBody, ListQuery } from '../../../contract/api.js';
import { authorizeOrg } from '../access/policy.js';
import { errorBody } from '../http/errors.js';
import { defineRoute, Id } from '../http/route.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { decodeTimeCursor, pageOf, timeCursorOf } from '../platform/pagination.js';
import {
  assignUnmatchedTransfer,
  listTopups,
  listUnmatchedTransfers,
  presentTopup,
  reportBankTransfer,
} from './topups.service.js';

const OrgParams = z.object({ orgId: Id });

export const topupRoutes = [
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
    method: 'POST',
    url: '/v1/internal/bank-transfers',
    summary:
      'Report an incoming bank transfer: credited once per bank reference; unknown codes kept as unmatched',
    tags: ['internal'],
    auth: 'operator',
    body: BankTransferBody,
    successStatus: 201,
    handler: async ({ body, now }, tx) => {
      const r = await reportBankTransfer(tx, body, now);
      if (r.kind === 'credited') return { status: r.first ? 201 : 200, body: r.topup };
      // Committed as unmatched (kept for an operator), and answered as an error.
      return {
        status: 422,
        body: errorBody(r.code, `the transfer was kept as unmatched: ${r.reason.replaceAll('_', ' ')}`, {
          bankReference: r.bankReference,
          status: 'unmatched',
          reason: r.reason,
        }),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/bank-transfers/:bankReference/assign',
    summary: 'Credit an unmatched bank transfer to the org it belongs to (once)',
    tags: ['internal'],
    auth: 'operator',
    params: z.object({
      bankReference: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[\x21-\x7e]+$/),
    }),
    body: AssignTransferBody,
    successStatus: 201,
    handler: async ({ params, body, now }, tx) => {
      const r = await assignUnmatchedTransfer(tx, params.bankReference, body.orgId, now);
      return { status: r.first ? 201 : 200, body: r.topup };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/internal/bank-transfers/unmatched',
    summary: 'Bank transfers that matched no org, oldest first, for an operator',
    tags: ['internal'],
    auth: 'operator',
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(100) }),
    handler: async ({ deps, query }) => ({
      body: {
        items: (await listUnmatchedTransfers(deps.db, query.limit)).map((t) => ({
          bankReference: t.bank_reference,
          remittanceCode: t.remittance_code,
          amount: t.amount,
          currency: t.currency,
          reason: t.reason,
          reportCount: t.report_count,
          firstReportedAt: t.first_reported_at,
        })),
        nextCursor: null,
      },
    }),
  }),
];
