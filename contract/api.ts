import { z } from 'zod';
import {
  ClusterState,
  DocumentLang,
  ExportFormat,
  LedgerEntryKind,
  ORDER_STATUSES,
  OrderType,
  OrgRole,
  ProjectRole,
  TermUnit,
  UsageMetric,
} from './enums.js';

/**
 * Request schemas of the public and internal API: they validate requests on the server, generate the
 * OpenAPI document, and type the console's calls.
 */

const Money = z
  .number()
  .int('must be an integer count of minor units (fen)')
  .min(1)
  .max(1_000_000_000_000_00);
const Name = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');
const IdRef = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a valid id');
const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const Term = z.strictObject({
  unit: TermUnit,
  count: z.number().int().min(1).max(36),
});

const Shape = {
  region: z.string().min(1).max(64),
  cuType: z.string().min(1).max(32),
  cuSize: z.number().int().min(1).max(1024),
  replicas: z.number().int().min(1).max(100),
  term: Term,
};

export const QuoteBody = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('new_purchase'), ...Shape }),
  z.strictObject({
    type: z.literal('upgrade'),
    clusterId: IdRef,
    cuSize: z.number().int().min(1).max(1024).optional(),
    replicas: z.number().int().min(1).max(100).optional(),
    /** upgrade and extend (SPEC §8.3): the new term, from the payment */
    term: Term.optional(),
  }),
  z.strictObject({ type: z.literal('renewal'), clusterId: IdRef, term: Term }),
]);

export const CreateClusterBody = z.strictObject({ projectId: IdRef, name: Name, ...Shape });

export const UpgradeBody = z
  .strictObject({
    cuSize: z.number().int().min(1).max(1024).optional(),
    replicas: z.number().int().min(1).max(100).optional(),
    /** upgrade and extend (SPEC §8.3): the new term, from the payment */
    term: Term.optional(),
  })
  .refine((b) => b.cuSize !== undefined || b.replicas !== undefined, {
    message: 'name cuSize, replicas or both',
    path: ['cuSize'],
  });

/** 续订 (SPEC §8.2): the term to add to the cluster's current term end. */
export const RenewBody = z.strictObject({ term: Term });

/** 自动续订 (SPEC §8.4): the org's switch. */
export const AutoRenewBody = z.strictObject({ enabled: z.boolean() });

/** 合并支付 (SPEC §10.1): 1–30 distinct orders. */
export const PayManyBody = z.strictObject({
  orderIds: z
    .array(IdRef)
    .min(1)
    .max(30)
    .refine((ids) => new Set(ids).size === ids.length, 'each order at most once'),
});

export const PayBody = z.strictObject({ couponId: z.string().max(64).optional() });
export const EmptyBody = z.strictObject({});

export const ORDER_STATUS_VALUES = ORDER_STATUSES;

export const OrderListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  status: z
    .string()
    .max(64)
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(ORDER_STATUS_VALUES)).max(4))
    .optional(),
  type: OrderType.optional(),
  projectId: IdRef.optional(),
  clusterId: IdRef.optional(),
  createdFrom: Instant.optional(),
  createdTo: Instant.optional(),
  q: z.string().trim().min(1).max(64).optional(),
});

/**
 * The deepest row a page of orders may start at (跳至第 N 页): OFFSET reads and drops the rows before it, so it
 * is bounded; past it a client pages on with the cursor.
 */
export const ORDER_LIST_MAX_OFFSET = 10_000;

/** GET …/orders: the filters, and either a cursor (next page) or an offset (a page jumped to), never both. */
export const OrderListPageQuery = OrderListQuery.extend({
  offset: z.coerce.number().int().min(0).max(ORDER_LIST_MAX_OFFSET).optional(),
}).refine((q) => !(q.offset !== undefined && q.cursor !== undefined), {
  message: 'cursor and offset exclude each other',
  path: ['offset'],
});

/** GET …/orders/count: the list's filters, without its paging. */
export const OrderCountQuery = OrderListQuery.omit({ limit: true, cursor: true });

export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const ClusterListQuery = ListQuery.extend({
  projectId: IdRef.optional(),
  state: ClusterState.optional(),
});

/** GET /v1/orgs/{orgId}/ledger: the cash entries of one kind, created in [from, to) (instants, half-open). */
export const LedgerQuery = ListQuery.extend({
  kind: LedgerEntryKind.optional(),
  from: Instant.optional(),
  to: Instant.optional(),
});
/** GET /v1/orgs/{orgId}/ledger/export: the same filters, every matching entry, as CSV or XLSX. */
export const LedgerExportQuery = LedgerQuery.omit({ limit: true, cursor: true }).extend({
  format: ExportFormat.default('csv'),
  lang: DocumentLang.default('zh-CN'),
});

export const LoginBody = z.strictObject({
  email: z.string().trim().max(254),
  password: z.string().min(1).max(200),
});
export const CreateApiKeyBody = z.strictObject({ name: z.string().trim().min(1).max(64) });
export const AcceptInvitationBody = z.strictObject({ password: z.string().min(8).max(200) });

// Internal API
export const CreateOrgBody = z.strictObject({
  name: Name.max(128),
  currency: z.literal('CNY').default('CNY'),
  timeZone: z.string().min(1).max(64).default('Asia/Shanghai'),
  certified: z.boolean().default(false),
});
const CertText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');
/**
 * POST /v1/internal/orgs/{orgId}/certification: whether the org is certified (may buy subscription
 * clusters) and, optionally, its certification data, the buyer of its invoices (SPEC §10.4): an enterprise
 * needs a title and a tax id; a person a title (their name). Sent without data, the data kept before stays.
 */
export const CertifyBody = z
  .strictObject({
    certified: z.boolean(),
    kind: z.enum(['enterprise', 'personal']).optional(),
    title: CertText(100).optional(),
    taxId: z
      .string()
      .trim()
      .regex(/^[0-9A-Z]{15,20}$/, '15 to 20 digits or capital letters')
      .optional(),
    address: CertText(200).optional(),
    phone: z
      .string()
      .trim()
      .regex(/^[0-9+() -]{3,32}$/, 'digits, spaces, +, -, ( and )')
      .optional(),
    bank: CertText(100).optional(),
    bankAccount: z
      .string()
      .trim()
      .regex(/^[0-9 -]{4,40}$/, 'digits, spaces and hyphens')
      .optional(),
  })
  .superRefine((b, ctx) => {
    const data = b.title ?? b.taxId ?? b.address ?? b.phone ?? b.bank ?? b.bankAccount;
    if (data !== undefined && !b.kind) {
      ctx.addIssue({ code: 'custom', path: ['kind'], message: 'required with certification data' });
    }
    if (b.kind && !b.title) {
      ctx.addIssue({ code: 'custom', path: ['title'], message: 'required with kind' });
    }
    if (b.kind === 'enterprise' && !b.taxId) {
      ctx.addIssue({ code: 'custom', path: ['taxId'], message: 'an enterprise needs its tax id' });
    }
  });
export const CreateProjectBody = z.strictObject({ name: Name });
export const CreateMemberBody = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(8).max(200).optional(),
  orgRole: OrgRole,
  projectRoles: z
    .array(
      z.strictObject({
        projectId: IdRef,
        role: ProjectRole,
      }),
    )
    .max(100)
    .optional(),
});
/**
 * A reported transfer's amount: any exact positive integer of fen. One above the per-transfer ceiling
 * (MAX_TRANSFER_FEN in server/src/topups) is valid input: it is held for an operator, not refused as invalid.
 */
const TransferAmount = z
  .number()
  .int('must be an integer count of minor units (fen)')
  .min(1)
  .max(Number.MAX_SAFE_INTEGER);
export const BankTransferBody = z.strictObject({
  remittanceCode: z.string().regex(/^\d{9}$/, 'must be the 9-digit remittance code'),
  amount: TransferAmount,
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  bankReference: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
});
export const AssignTransferBody = z.strictObject({ orgId: IdRef });
export const GrantCouponBody = z.strictObject({ amount: Money, expiresAt: Instant });
export const ClockBody = z.union([
  z.strictObject({
    advanceSeconds: z
      .number()
      .int()
      .min(0)
      .max(10 * 366 * 86_400),
  }),
  z.strictObject({ now: Instant }),
]);

// Pay-as-you-go usage (internal) and bills
export const UsageEvent = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  orgId: IdRef,
  clusterId: IdRef,
  metric: UsageMetric,
  /** GB, at most 3 decimals */
  quantity: z.number().min(0).max(1_000_000_000),
  start: Instant,
  end: Instant,
});
export const UsageBody = z.strictObject({ events: z.array(UsageEvent).min(1).max(1000) });
/** POST /v1/orgs/{orgId}/bills/{month}/dispute (SPEC §10.2) */
export const DisputeBillBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
/** POST /v1/internal/orgs/{orgId}/bills/{month}/resolve: a credit of 0..the bill's total */
export const ResolveBillBody = z.strictObject({
  adjustment: z
    .number()
    .int('must be an integer count of minor units (fen)')
    .min(0)
    .max(1_000_000_000_000_00),
});
export const BillMonthParam = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'not a month (YYYY-MM)');
export const ExportQuery = z.strictObject({ format: ExportFormat.default('csv') });
export const DocumentQuery = z.strictObject({
  format: z.literal('pdf').default('pdf'),
  lang: DocumentLang.default('zh-CN'),
});
export const OrderExportQuery = OrderListQuery.omit({ limit: true, cursor: true }).extend({
  format: ExportFormat.default('csv'),
  lang: DocumentLang.default('zh-CN'),
});
