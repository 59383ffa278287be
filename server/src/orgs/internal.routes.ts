import { sql } from 'kysely';
import { z } from 'zod';
import {
  AssignTransferBody,
  BankTransferBody,
  CertifyBody,
  ClockBody,
  CreateMemberBody,
  CreateOrgBody,
  CreateProjectBody,
  EmptyBody,
  GrantCouponBody,
} from '../../../contract/api.js';
import { grantCoupon } from '../coupons/coupons.service.js';
import { errorBody } from '../http/errors.js';
import { defineRoute, Id } from '../http/route.js';
import { AppError } from '../platform/errors.js';
import { isValidTimeZone } from '../platform/time.js';
import {
  assignUnmatchedTransfer,
  listUnmatchedTransfers,
  reportBankTransfer,
} from '../topups/topups.service.js';
import { addMember, certifyOrg, createOrg, createProject } from './orgs.service.js';

const OrgParams = z.object({ orgId: Id });

export const internalRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/internal/orgs',
    summary: 'Create an org (with its remittance code and an empty balance)',
    tags: ['internal'],
    auth: 'operator',
    body: CreateOrgBody,
    successStatus: 201,
    handler: async ({ body, now }, tx) => {
      if (!isValidTimeZone(body.timeZone)) {
        throw new AppError('VALIDATION_FAILED', 'timeZone: not an IANA time zone', {
          in: 'body',
          issues: [{ field: 'timeZone', message: 'not an IANA time zone' }],
        });
      }
      return { status: 201, body: await createOrg(tx, body, now) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/orgs/:orgId/certification',
    summary: 'Set whether the org is certified (may buy subscription clusters)',
    tags: ['internal'],
    auth: 'operator',
    params: OrgParams,
    body: CertifyBody,
    handler: async ({ params, body }, tx) => ({ body: await certifyOrg(tx, params.orgId, body.certified) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/orgs/:orgId/projects',
    summary: 'Create a project',
    tags: ['internal'],
    auth: 'operator',
    params: OrgParams,
    body: CreateProjectBody,
    successStatus: 201,
    handler: async ({ params, body, now }, tx) => ({
      status: 201,
      body: await createProject(tx, params.orgId, body.name, now),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/orgs/:orgId/members',
    summary: 'Add a member with roles; answers their API key (shown once)',
    tags: ['internal'],
    // The API key and invitation link are never stored for a replay: 409 IDEMPOTENT_REPLAY_UNAVAILABLE.
    secretAnswer: true,
    auth: 'operator',
    params: OrgParams,
    body: CreateMemberBody,
    successStatus: 201,
    handler: async ({ params, body, now }, tx) => ({
      status: 201,
      body: await addMember(tx, params.orgId, body, now),
    }),
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
  defineRoute({
    method: 'GET',
    url: '/v1/internal/clock',
    summary: 'The test clock (only with TALLY_TEST_CLOCK=1)',
    tags: ['internal'],
    auth: 'operator',
    handler: async ({ deps, now }) => {
      if (!deps.config.testClock) throw new AppError('NOT_FOUND', 'no route GET /v1/internal/clock');
      return { body: { now } };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/clock',
    summary: 'Move the test clock forward: {advanceSeconds} or {now}',
    tags: ['internal'],
    auth: 'operator',
    body: ClockBody,
    handler: async ({ deps, body, now }, tx) => {
      if (!deps.config.testClock) throw new AppError('NOT_FOUND', 'no route POST /v1/internal/clock');
      const target = 'now' in body ? body.now.getTime() : now.getTime() + body.advanceSeconds * 1000;
      if (target < now.getTime()) {
        throw new AppError('CLOCK_BACKWARDS', 'the test clock only moves forward', {
          now,
          requested: new Date(target),
        });
      }
      const delta = target - now.getTime();
      // Relative to the stored offset, so that concurrent advances add up and never go back.
      await sql`insert into test_clock (id, offset_ms) values (1, ${delta})
        on conflict (id) do update set offset_ms = test_clock.offset_ms + ${delta}`.execute(tx);
      return { body: { now: new Date(target) } };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/jobs/run',
    summary: 'Run every background job once now (timeouts, provisioning, housekeeping)',
    tags: ['internal'],
    auth: 'operator',
    body: EmptyBody,
    noTransaction: true,
    handler: async ({ deps }) => ({ body: await deps.runJobsOnce() }),
  }),
];
