import { z } from 'zod';
import {
  ActorType,
  AuthMethod,
  BillLineKind,
  BillStatus,
  ClusterAction,
  ClusterState,
  CouponScope,
  CouponStatus,
  Currency,
  LedgerDirection,
  LedgerEntryKind,
  OrderAction,
  OrderEndReason,
  OrderStatus,
  OrderType,
  OrgRole,
  ProjectRole,
  RenewalOutcome,
  Settlement,
  TermUnit,
  TopupMethod,
  TopupStatus,
  UnmatchedReason,
  UsageMetric,
} from './enums.js';
import { invoiceDocuments, invoiceResponses } from './invoices.js';
import { notificationResponses } from './notifications.js';
import { webhookResponses } from './webhooks.js';

/**
 * Response schemas of the public and internal API: the success answer of every route, as the server sends
 * it. Objects are strict, so a field added, dropped or renamed on either side is a failure of
 * test/contract/responses.test.ts, not a silent drift; the console infers its types from here.
 *
 * Conventions (SPEC §7.1): money is an integer count of the currency's minor unit (fen for CNY); instants
 * are RFC 3339 strings in UTC; a field the server may leave without a value is `null` (nullable), never
 * missing, unless it says otherwise (optional); lists are `{items, nextCursor}`.
 */

/** Minor units (fen); never a float. */
const Money = z.number().int().nonnegative();
/** Minor units with a sign: a ledger entry's effect on the cash balance. */
const SignedMoney = z.number().int();
const Count = z.number().int().nonnegative();
const Instant = z.iso.datetime();
const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);
const Id = z.string().min(1);

/** `{items, nextCursor}`: nextCursor is null on the last page. */
export function Page<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
}
export type Page<T> = { items: T[]; nextCursor: string | null };

// ——— Access ———

export const UserRef = z.strictObject({ id: Id, email: z.string() });
export type UserRef = z.infer<typeof UserRef>;

export const MeProject = z.strictObject({ id: Id, name: z.string(), role: ProjectRole });
export type MeProject = z.infer<typeof MeProject>;

export const MeOrg = z.strictObject({
  id: Id,
  name: z.string(),
  currency: Currency,
  timeZone: z.string(),
  certified: z.boolean(),
  orgRole: OrgRole,
  /** the projects in which the caller holds a role (an org-wide role holds none) */
  projects: z.array(MeProject),
});
export type MeOrg = z.infer<typeof MeOrg>;

/** GET /v1/me */
export const Me = z.strictObject({
  user: UserRef,
  authenticatedBy: AuthMethod,
  /** only for a console session: the token every change must carry */
  csrfToken: z.string().optional(),
  orgs: z.array(MeOrg),
});
export type Me = z.infer<typeof Me>;

/** A project of the org as the caller sees it, with the caller's role in it (null: seen by an org-wide role). */
export const Project = z.strictObject({ id: Id, name: z.string(), role: ProjectRole.nullable() });
export type Project = z.infer<typeof Project>;
export const ProjectList = Page(Project);
export type ProjectList = z.infer<typeof ProjectList>;

/** An API key of the caller's, never its secret. */
export const ApiKey = z.strictObject({
  id: Id,
  name: z.string(),
  /** the secret's first characters, to tell keys apart */
  prefix: z.string(),
  createdAt: Instant,
  lastUsedAt: Instant.nullable(),
  revokedAt: Instant.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;
export const ApiKeyList = Page(ApiKey);
export type ApiKeyList = z.infer<typeof ApiKeyList>;
/** POST /v1/orgs/{orgId}/api-keys (201): the secret is answered this once. */
export const CreatedApiKey = ApiKey.extend({ secret: z.string().min(1) });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

/** GET /v1/invitations/{token}: whom an open invitation link is for, and until when it works. */
export const Invitation = z.strictObject({ email: z.string(), expiresAt: Instant });
export type Invitation = z.infer<typeof Invitation>;
/** POST /v1/invitations/{token}/accept */
export const InvitationAccepted = z.strictObject({ user: UserRef, passwordSet: z.literal(true) });
export type InvitationAccepted = z.infer<typeof InvitationAccepted>;

export const Login = z.strictObject({ user: UserRef, csrfToken: z.string() });
export type Login = z.infer<typeof Login>;
export const Logout = z.strictObject({ signedOut: z.literal(true) });
export type Logout = z.infer<typeof Logout>;

// ——— Catalog and quotes ———

export const LocalizedName = z.strictObject({ 'zh-CN': z.string(), 'en-US': z.string() });
export type LocalizedName = z.infer<typeof LocalizedName>;

const UsagePrice = z.strictObject({
  unit: z.string(),
  /** millionths of a minor unit per unit of usage (storage GB-hour, backup GB-day) */
  microsPerUnit: Count,
});

/** GET /v1/catalog: prices in minor units. */
export const Catalog = z.strictObject({
  currency: Currency,
  daysPerMonth: z.number().int().positive(),
  regions: z.array(
    z.strictObject({
      id: z.string(),
      name: LocalizedName,
      cuTypes: z.array(z.strictObject({ id: z.string(), name: LocalizedName, pricePerCuHour: Money })),
      usagePrices: z.strictObject({ storage: UsagePrice, backup: UsagePrice }),
    }),
  ),
  cuSizes: z.array(z.number().int().positive()),
  replicas: z.strictObject({ min: z.number().int().positive(), max: z.number().int().positive() }),
  terms: z.array(
    z.strictObject({
      unit: TermUnit,
      count: z.number().int().positive(),
      /** the share of list price paid: 70 means 7折 */
      discountPercent: z.number().int().min(0).max(100),
    }),
  ),
  upgradeDiscounts: z.array(
    z.strictObject({ minRemainingDays: Count, discountPercent: z.number().int().min(0).max(100) }),
  ),
});
export type Catalog = z.infer<typeof Catalog>;

const QuoteAmounts = {
  currency: Currency,
  amount: Money,
  listAmount: Money,
  discountAmount: Money,
  pricePerCuHour: Money,
  hours: Count,
  discountPercent: z.number().int().min(0).max(100),
  cuHours: Count,
};

/** How a new purchase was priced (also an order's `pricing`). */
export const PurchasePricing = z.strictObject({
  type: z.literal('new_purchase'),
  ...QuoteAmounts,
  months: z.number().int().positive(),
});
/** How a renewal (续订) was priced: the new-purchase formula for the cluster's configuration (SPEC §8.2). */
export const RenewalPricing = z.strictObject({
  type: z.literal('renewal'),
  ...QuoteAmounts,
  months: z.number().int().positive(),
});
/**
 * How an upgrade was priced. Without a new term: the added CU over the remaining days (SPEC §3). With one
 * (升配并延长有效期, SPEC §8.3): `listAmount`, `hours`, `cuHours` and `discountPercent` are the new term's,
 * and `newTerm.amount` − `credit.amount` = `amount`.
 */
export const UpgradePricing = z.strictObject({
  type: z.literal('upgrade'),
  ...QuoteAmounts,
  remainingDays: z.number().int().positive(),
  addedCu: z.number().int().positive(),
  newTerm: z
    .strictObject({
      unit: TermUnit,
      count: z.number().int().positive(),
      months: z.number().int().positive(),
      hours: Count,
      cuHours: Count,
      listAmount: Money,
      discountPercent: z.number().int().min(0).max(100),
      amount: Money,
    })
    .optional(),
  credit: z
    .strictObject({
      remainingDays: z.number().int().positive(),
      hours: Count,
      cuHours: Count,
      listAmount: Money,
      discountPercent: z.number().int().min(0).max(100),
      value: Money,
      amount: Money,
    })
    .optional(),
});
export const OrderPricing = z.discriminatedUnion('type', [PurchasePricing, UpgradePricing, RenewalPricing]);
export type OrderPricing = z.infer<typeof OrderPricing>;

/** POST /v1/orgs/{orgId}/quotes: the price now, nothing created. */
export const Quote = z.discriminatedUnion('type', [
  PurchasePricing.extend({ quotedAt: Instant }),
  UpgradePricing.extend({ clusterId: Id, quotedAt: Instant }),
  RenewalPricing.extend({ clusterId: Id, quotedAt: Instant }),
]);
export type Quote = z.infer<typeof Quote>;

// ——— Clusters ———

export const Term = z.strictObject({ unit: TermUnit, count: z.number().int().positive() });
export type Term = z.infer<typeof Term>;

export const Cluster = z.strictObject({
  id: Id,
  orgId: Id,
  projectId: Id,
  name: z.string(),
  region: z.string(),
  cuType: z.string(),
  cuSize: z.number().int().positive(),
  replicas: z.number().int().positive(),
  term: Term,
  state: ClusterState,
  /** the end of the paid term; null until the first payment */
  termEndsAt: Instant.nullable(),
  /** while pending_payment: when the new purchase's order times out */
  paymentDeadline: Instant.nullable(),
  /** while upgrading: the configuration being applied */
  upgradingTo: z
    .strictObject({ cuSize: z.number().int().positive(), replicas: z.number().int().positive() })
    .nullable(),
  /** SPEC §8.1: termEndsAt + 7 days (回收站) and + 37 days (deleted); null until the first payment */
  recycleAt: Instant.nullable(),
  deleteAt: Instant.nullable(),
  /** the cluster's unpaid upgrade or renewal order (SPEC §2: at most one), as the caller may see it */
  pendingOrder: z.strictObject({ id: Id, type: OrderType, expiresAt: Instant }).nullable(),
  /** what the caller may do to the cluster now */
  availableActions: z.array(ClusterAction),
  createdAt: Instant,
  updatedAt: Instant,
});
export type Cluster = z.infer<typeof Cluster>;
export const ClusterList = Page(Cluster);
export type ClusterList = z.infer<typeof ClusterList>;

// ——— Orders ———

/**
 * The configuration an order bought (frozen at creation). Upgrades and renewals also name the term end:
 * before, the cluster's when the order was made; after, the end once paid (a renewal: the old end + its
 * term; an upgrade without a term keeps it; an upgrade with a term ends a term after its payment, so null
 * until then).
 */
export const OrderConfig = z.strictObject({
  region: z.string(),
  cuType: z.string(),
  cuSize: z.number().int().positive(),
  replicas: z.number().int().positive(),
  term: Term,
  termEndsAt: Instant.nullable().optional(),
});
export type OrderConfig = z.infer<typeof OrderConfig>;

export const Order = z.strictObject({
  id: Id,
  orgId: Id,
  projectId: Id,
  clusterId: Id,
  clusterName: z.string(),
  type: OrderType,
  status: OrderStatus,
  currency: Currency,
  /** due, minor units */
  amount: Money,
  listAmount: Money,
  discountAmount: Money,
  config: OrderConfig,
  /** upgrades and renewals: the configuration before; null for a new purchase */
  configBefore: OrderConfig.nullable(),
  pricing: OrderPricing,
  createdAt: Instant,
  /** the payment deadline */
  expiresAt: Instant,
  /**
   * SPEC §8.1: when the system cancels the order if it is still unpaid — an upgrade at its cluster's expiry,
   * a renewal at its cluster's recycle — when that comes before `expiresAt`; else null
   */
  cancelsAt: Instant.nullable(),
  paidAt: Instant.nullable(),
  cancelledAt: Instant.nullable(),
  timedOutAt: Instant.nullable(),
  /** user ids; null where the system did it (an auto-renew order, a cancellation at expiry) */
  createdBy: Id.nullable(),
  paidBy: Id.nullable(),
  cancelledBy: Id.nullable(),
  /** the bill the order belongs to, once paid */
  billMonth: Month.nullable(),
  availableActions: z.array(OrderAction),
});
export type Order = z.infer<typeof Order>;
export const OrderList = Page(Order);
export type OrderList = z.infer<typeof OrderList>;
/** GET /v1/orgs/{orgId}/orders/count: how many orders the list has with the same filters (共 N 条). */
export const OrderCount = z.strictObject({ total: z.number().int().nonnegative() });
export type OrderCount = z.infer<typeof OrderCount>;

export const OrderHistoryEntry = z.strictObject({
  from: OrderStatus.nullable(),
  to: OrderStatus,
  at: Instant,
  /** who made the change: a user (by session or by API key) with their email; the system and the operator have none */
  by: z.strictObject({ type: ActorType, id: Id.nullable(), email: z.string().nullable() }),
  /** why the system made the change (SPEC §8.1); null otherwise */
  reason: OrderEndReason.nullable(),
});
export type OrderHistoryEntry = z.infer<typeof OrderHistoryEntry>;

/** GET /v1/orgs/{orgId}/orders/{orderId}: the order with its history, oldest first. */
export const OrderDetail = Order.extend({ history: z.array(OrderHistoryEntry) });
export type OrderDetail = z.infer<typeof OrderDetail>;

/** POST …/clusters: 201 with the cluster and its unpaid new-purchase order. */
export const ClusterPurchase = z.strictObject({ cluster: Cluster, order: Order });
export type ClusterPurchase = z.infer<typeof ClusterPurchase>;

/** POST …/upgrade, …/renew and …/cancel: the order as it is now. */
export const OrderResult = z.strictObject({ order: Order });
export type OrderResult = z.infer<typeof OrderResult>;

/** POST …/pay: the paid order and the cash balance after it. */
export const Payment = z.strictObject({
  order: Order,
  balance: z.strictObject({ cash: Money, currency: Currency }),
});
export type Payment = z.infer<typeof Payment>;

/** POST …/orders/pay (合并支付, SPEC §10.1): the paid orders, their total and the cash balance after them. */
export const MergedPayment = z.strictObject({
  orders: z.array(Order),
  total: Money,
  balance: z.strictObject({ cash: Money, currency: Currency }),
});
export type MergedPayment = z.infer<typeof MergedPayment>;

// ——— The term (SPEC §8) ———

/** GET/PUT …/settings/auto-renew: the org's 自动续订 switch. */
export const AutoRenewSetting = z.strictObject({
  enabled: z.boolean(),
  /** when and by whom it was last changed; null if never */
  updatedAt: Instant.nullable(),
  updatedBy: Id.nullable(),
});
export type AutoRenewSetting = z.infer<typeof AutoRenewSetting>;

/** One auto-renew attempt (SPEC §8.4), at termEndsAt − 7 days + k × 24 h. */
export const RenewalAttempt = z.strictObject({
  clusterId: Id,
  /** the scheduled instant of the attempt */
  at: Instant,
  /** 0…13 */
  k: z.number().int().min(0).max(13),
  /** the term end the attempt meant to renew */
  termEndsAt: Instant,
  outcome: RenewalOutcome,
  /** the renewal order used or created (null when skipped) */
  orderId: Id.nullable(),
  amount: Money.nullable(),
  /** failed: what the cash balance lacked */
  shortfall: Money.nullable(),
  currency: Currency,
  /** skipped: why (the cluster's unpaid upgrade) */
  reason: z.string().nullable(),
  recordedAt: Instant,
});
export type RenewalAttempt = z.infer<typeof RenewalAttempt>;
export const RenewalAttemptList = Page(RenewalAttempt);
export type RenewalAttemptList = z.infer<typeof RenewalAttemptList>;

// ——— Money ———

/** 现金余额 and 优惠券余额 (what unexpired coupons still hold). */
export const Balance = z.strictObject({
  currency: Currency,
  cash: Money,
  coupons: Money,
  /** what confirmed bills (unpaid or overdue) still owe (SPEC §10.3) */
  amountDue: Money,
  /** an overdue bill is unpaid: creating, upgrading and renewing clusters is refused with ORG_FROZEN */
  frozen: z.boolean(),
});
export type Balance = z.infer<typeof Balance>;

/** One entry of the cash balance's append-only ledger. */
export const LedgerEntry = z.strictObject({
  /** opaque; newest first */
  id: Id,
  transactionId: Id,
  kind: LedgerEntryKind,
  /** what the transaction is unique for: the bank reference, the order id, `bill:<month>` */
  reference: z.string(),
  memo: z.string().nullable(),
  direction: LedgerDirection,
  /** signed: positive credits the cash balance, negative debits it */
  amount: SignedMoney,
  currency: Currency,
  orderId: Id.nullable(),
  createdAt: Instant,
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;
export const LedgerList = Page(LedgerEntry);
export type LedgerList = z.infer<typeof LedgerList>;

/** 现金充值（对公转账）: where to wire money; the account number ends with the org's 9-digit code. */
export const RemittanceAccount = z.strictObject({
  bankName: z.string(),
  accountName: z.string(),
  accountNumber: z.string(),
  remittanceCode: z.string().regex(/^\d{9}$/),
  currency: Currency,
  note: z.string(),
});
export type RemittanceAccount = z.infer<typeof RemittanceAccount>;

export const TopUp = z.strictObject({
  id: Id,
  orgId: Id,
  bankReference: z.string(),
  amount: Money,
  currency: Currency,
  method: TopupMethod,
  status: TopupStatus,
  createdAt: Instant,
});
export type TopUp = z.infer<typeof TopUp>;
export const TopUpList = Page(TopUp);
export type TopUpList = z.infer<typeof TopUpList>;

export const Coupon = z.strictObject({
  id: Id,
  orgId: Id,
  currency: Currency,
  amount: Money,
  remaining: Money,
  expiresAt: Instant,
  status: CouponStatus,
  appliesTo: CouponScope,
  createdAt: Instant,
});
export type Coupon = z.infer<typeof Coupon>;
export const CouponList = Page(Coupon);
export type CouponList = z.infer<typeof CouponList>;

// ——— Bills ———

export const BillSummary = z.strictObject({
  orgId: Id,
  month: Month,
  currency: Currency,
  status: BillStatus,
  periodStart: Instant,
  periodEnd: Instant,
  /** null while the month is open */
  issuedAt: Instant.nullable(),
  dueAt: Instant.nullable(),
  paidAt: Instant.nullable(),
  overdueAt: Instant.nullable(),
  totalAmount: Money,
  prepaidAmount: Money,
  usageAmount: Money,
  couponAmount: Money,
  amountDue: Money,
  paidAmount: Money,
  outstandingAmount: Money,
  /** while pending_confirmation: when it confirms by itself (issue + 3 business days, billing zone) */
  confirmsAt: Instant.nullable(),
  confirmedAt: Instant.nullable(),
  disputedAt: Instant.nullable(),
  disputeReason: z.string().nullable(),
  /** the credit of the operator's resolution of a dispute (its own line, kind adjustment); 0 if none */
  adjustmentAmount: Money,
});
export type BillSummary = z.infer<typeof BillSummary>;
export const BillList = Page(BillSummary);
export type BillList = z.infer<typeof BillList>;

export const BillLine = z.strictObject({
  lineNo: z.number().int().positive(),
  kind: BillLineKind,
  settlement: Settlement,
  /** subscription lines: the order */
  orderId: Id.nullable(),
  orderType: OrderType.nullable(),
  /** null on an adjustment line, which concerns the whole bill */
  clusterId: Id.nullable(),
  clusterName: z.string().nullable(),
  region: z.string().nullable(),
  /** usage lines: the metric, its quantity (a 3-decimal string, never a float) and unit price */
  metric: UsageMetric.nullable(),
  quantity: z
    .string()
    .regex(/^\d+\.\d{3}$/)
    .nullable(),
  unit: z.string().nullable(),
  /** millionths of a minor unit per unit */
  unitPriceMicros: Count.nullable(),
  /** subscription lines: when the order was paid */
  paidAt: Instant.nullable(),
  /** negative on an adjustment line (a credit) */
  amount: SignedMoney,
  couponAmount: Money,
  dueAmount: Money,
});
export type BillLine = z.infer<typeof BillLine>;

export const CouponApplication = z.strictObject({
  couponId: Id,
  lineNo: z.number().int().positive(),
  amount: Money,
});
export type CouponApplication = z.infer<typeof CouponApplication>;

/** GET /v1/orgs/{orgId}/bills/{month}: the bill with its lines and the coupons applied to them. */
export const Bill = BillSummary.extend({
  lines: z.array(BillLine),
  couponApplications: z.array(CouponApplication),
});
export type Bill = z.infer<typeof Bill>;

// ——— Internal API ———

/** POST /v1/internal/orgs (201) and …/certification. */
export const Org = z.strictObject({
  id: Id,
  name: z.string(),
  currency: Currency,
  timeZone: z.string(),
  certified: z.boolean(),
  /** the certification data, the buyer of the org's invoices (SPEC §10.4); null when none was given */
  certification: z
    .strictObject({
      kind: z.enum(['enterprise', 'personal']),
      title: z.string(),
      taxId: z.string().nullable(),
      address: z.string().nullable(),
      phone: z.string().nullable(),
      bank: z.string().nullable(),
      bankAccount: z.string().nullable(),
    })
    .nullable(),
  remittanceCode: z.string().regex(/^\d{9}$/),
  createdAt: Instant,
});
export type Org = z.infer<typeof Org>;

/** POST /v1/internal/orgs/{orgId}/projects (201). */
export const CreatedProject = z.strictObject({ id: Id, orgId: Id, name: z.string(), createdAt: Instant });
export type CreatedProject = z.infer<typeof CreatedProject>;

/** POST /v1/internal/orgs/{orgId}/members (201): the member and their API key, shown this once. */
export const Member = z.strictObject({
  user: z.strictObject({
    id: Id,
    email: z.string(),
    orgId: Id,
    orgRole: OrgRole,
    projectRoles: z.array(z.strictObject({ projectId: Id, role: ProjectRole })),
    /** false when the email already belonged to a user (of another org): nothing of theirs changed */
    created: z.boolean(),
    hasPassword: z.boolean(),
  }),
  /** the secret of an API key for this org only */
  apiKey: z.string().min(1),
  /** only for a user without a password: the one-time link to set one */
  invitation: z.strictObject({ url: z.string(), expiresAt: Instant }).optional(),
});
export type Member = z.infer<typeof Member>;

/** A reported bank transfer that matched no org, kept for an operator. */
export const UnmatchedTransfer = z.strictObject({
  bankReference: z.string(),
  remittanceCode: z.string(),
  amount: Money,
  currency: z.string(),
  reason: UnmatchedReason,
  reportCount: z.number().int().positive(),
  firstReportedAt: Instant,
});
export type UnmatchedTransfer = z.infer<typeof UnmatchedTransfer>;
export const UnmatchedTransferList = Page(UnmatchedTransfer);
export type UnmatchedTransferList = z.infer<typeof UnmatchedTransferList>;

/** GET and POST /v1/internal/clock. */
export const Clock = z.strictObject({ now: Instant });
export type Clock = z.infer<typeof Clock>;

/** POST /v1/internal/usage: what happened to each event, in the order sent. */
export const UsageIngest = z.strictObject({
  accepted: Count,
  duplicates: Count,
  events: z.array(
    z.discriminatedUnion('status', [
      z.strictObject({ id: z.string(), status: z.literal('accepted'), billMonth: Month }),
      z.strictObject({ id: z.string(), status: z.literal('duplicate') }),
    ]),
  ),
});
export type UsageIngest = z.infer<typeof UsageIngest>;

/** What each background job answers for one run. */
const jobResults = {
  sweeper: z.strictObject({ timedOut: Count, worstLatenessMs: z.number().nonnegative(), failed: Count }),
  /** outbox events processed */
  outbox: Count,
  /** clusters whose provisioning completed */
  provisioning: Count,
  /** expired idempotency keys, sessions and sign-in throttles purged */
  housekeeping: z.strictObject({ idempotencyKeys: Count, sessions: Count, throttles: Count }),
  /** `failed`: orgs whose work failed this run (recorded and retried apart, SPEC §11) */
  bills: z.strictObject({ issued: Count, paid: Count, unpaid: Count, skipped: Count, failed: Count }),
  /** SPEC §10.3: bills that became overdue; `reminded`: daily bill.unpaid reminders written */
  'bills-overdue': z.strictObject({ overdue: Count, reminded: Count, failed: Count }),
  /** SPEC §10.2: pending bills confirmed after 3 business days, and how their charge ended */
  'bills-confirm': z.strictObject({ confirmed: Count, paid: Count, unpaid: Count, failed: Count }),
  /** SPEC §8.1: clusters moved along the term timeline (expiring, expired, recycled, deleted) */
  term: z.strictObject({ moved: Count, failed: Count }),
  /** SPEC §8.4: auto-renew attempts made, by outcome */
  'auto-renew': z.strictObject({ paid: Count, failed: Count, skipped: Count, errors: Count }),
  /** SPEC §9: messages made (per event and recipient), mails sent, mails that failed this run */
  notifications: z.strictObject({ messages: Count, mailed: Count, failed: Count }),
  /** SPEC §9: deliveries that succeeded, were retried, failed for good this run */
  webhooks: z.strictObject({ delivered: Count, retried: Count, failed: Count }),
  /** SPEC §10.4: automatic invoice requests made, refused (failed for want of certification), skipped, errors */
  'auto-invoice': z.strictObject({ requested: Count, refused: Count, skipped: Count, errors: Count }),
};
export type JobName = keyof typeof jobResults;

/** POST /v1/internal/jobs/run: each job's result; a job that failed this run (it runs again) is left out. */
export const JobsRun = z.strictObject({
  sweeper: jobResults.sweeper.optional(),
  outbox: jobResults.outbox.optional(),
  provisioning: jobResults.provisioning.optional(),
  housekeeping: jobResults.housekeeping.optional(),
  bills: jobResults.bills.optional(),
  'bills-overdue': jobResults['bills-overdue'].optional(),
  'bills-confirm': jobResults['bills-confirm'].optional(),
  term: jobResults.term.optional(),
  'auto-renew': jobResults['auto-renew'].optional(),
  notifications: jobResults.notifications.optional(),
  webhooks: jobResults.webhooks.optional(),
  'auto-invoice': jobResults['auto-invoice'].optional(),
});
export type JobsRun = z.infer<typeof JobsRun>;

/** One job as this instance last ran it; its last result has that job's shape. */
function jobStatus<N extends JobName>(name: N) {
  return z.strictObject({
    name: z.literal(name),
    intervalMs: z.number().int().positive(),
    runs: Count,
    errors: Count,
    lastStartedAt: Instant.nullable(),
    lastFinishedAt: Instant.nullable(),
    lastOutcome: z.enum(['ok', 'error']).nullable(),
    lastError: z.string().nullable(),
    lastResult: jobResults[name].nullable(),
    /** orgs whose work in this job is failing now (all instances) */
    failingOrgs: Count,
  });
}
export const JobStatus = z.discriminatedUnion('name', [
  jobStatus('sweeper'),
  jobStatus('outbox'),
  jobStatus('provisioning'),
  jobStatus('housekeeping'),
  jobStatus('bills'),
  jobStatus('bills-overdue'),
  jobStatus('bills-confirm'),
  jobStatus('term'),
  jobStatus('auto-renew'),
  jobStatus('notifications'),
  jobStatus('webhooks'),
  jobStatus('auto-invoice'),
]);
export type JobStatus = z.infer<typeof JobStatus>;

/** An org whose work in a job failed: recorded, retried apart with a growing delay, shown to the operator. */
export const JobFailure = z.strictObject({
  job: z.string(),
  orgId: Id,
  /** what failed within the job (an event, a month) */
  key: z.string(),
  attempts: z.number().int().positive(),
  firstFailedAt: Instant,
  lastFailedAt: Instant,
  nextAttemptAt: Instant,
  lastError: z.string(),
});
export type JobFailure = z.infer<typeof JobFailure>;

/** GET /v1/internal/jobs */
export const Jobs = z.strictObject({ jobs: z.array(JobStatus), failingOrgs: z.array(JobFailure) });
export type Jobs = z.infer<typeof Jobs>;

// ——— Every route ———

/**
 * The success answer of every JSON route of server/src/routes.ts, by "METHOD url" (fastify's path syntax).
 * A route that answers a document instead is in `documentOf`.
 */
export const responseOf = {
  'GET /v1/me': Me,
  'GET /v1/orgs/:orgId/projects': ProjectList,
  'POST /v1/auth/login': Login,
  'POST /v1/auth/logout': Logout,
  'GET /v1/orgs/:orgId/api-keys': ApiKeyList,
  'POST /v1/orgs/:orgId/api-keys': CreatedApiKey,
  'POST /v1/orgs/:orgId/api-keys/:keyId/revoke': ApiKey,
  'GET /v1/invitations/:token': Invitation,
  'POST /v1/invitations/:token/accept': InvitationAccepted,
  'GET /v1/catalog': Catalog,
  'POST /v1/orgs/:orgId/quotes': Quote,
  'POST /v1/orgs/:orgId/clusters': ClusterPurchase,
  'GET /v1/orgs/:orgId/clusters': ClusterList,
  'GET /v1/orgs/:orgId/clusters/:clusterId': Cluster,
  'POST /v1/orgs/:orgId/clusters/:clusterId/upgrade': OrderResult,
  'POST /v1/orgs/:orgId/clusters/:clusterId/renew': OrderResult,
  'GET /v1/orgs/:orgId/clusters/:clusterId/renewal-attempts': RenewalAttemptList,
  'GET /v1/orgs/:orgId/settings/auto-renew': AutoRenewSetting,
  'PUT /v1/orgs/:orgId/settings/auto-renew': AutoRenewSetting,
  'GET /v1/orgs/:orgId/orders': OrderList,
  'GET /v1/orgs/:orgId/orders/count': OrderCount,
  'GET /v1/orgs/:orgId/orders/:orderId': OrderDetail,
  'POST /v1/orgs/:orgId/orders/:orderId/pay': Payment,
  'POST /v1/orgs/:orgId/orders/pay': MergedPayment,
  'POST /v1/orgs/:orgId/orders/:orderId/cancel': OrderResult,
  'GET /v1/orgs/:orgId/balance': Balance,
  'GET /v1/orgs/:orgId/ledger': LedgerList,
  'GET /v1/orgs/:orgId/remittance-account': RemittanceAccount,
  'GET /v1/orgs/:orgId/topups': TopUpList,
  'GET /v1/orgs/:orgId/coupons': CouponList,
  'GET /v1/orgs/:orgId/bills': BillList,
  'GET /v1/orgs/:orgId/bills/:month': Bill,
  'POST /v1/orgs/:orgId/bills/:month/confirm': BillSummary,
  'POST /v1/orgs/:orgId/bills/:month/dispute': BillSummary,
  'POST /v1/internal/orgs/:orgId/bills/:month/resolve': BillSummary,
  'POST /v1/internal/orgs': Org,
  'POST /v1/internal/orgs/:orgId/certification': Org,
  'POST /v1/internal/orgs/:orgId/projects': CreatedProject,
  'POST /v1/internal/orgs/:orgId/members': Member,
  'POST /v1/internal/bank-transfers': TopUp,
  'POST /v1/internal/bank-transfers/:bankReference/assign': TopUp,
  'GET /v1/internal/bank-transfers/unmatched': UnmatchedTransferList,
  'POST /v1/internal/orgs/:orgId/coupons': Coupon,
  'GET /v1/internal/clock': Clock,
  'POST /v1/internal/clock': Clock,
  'POST /v1/internal/jobs/run': JobsRun,
  'GET /v1/internal/jobs': Jobs,
  'POST /v1/internal/usage': UsageIngest,
  ...notificationResponses,
  ...webhookResponses,
  ...invoiceResponses,
} satisfies Record<string, z.ZodType>;
export type RouteKey = keyof typeof responseOf;

/** The media types a document or export route may answer with; these have no JSON schema. */
export const MEDIA_TYPES = {
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;
export type MediaType = (typeof MEDIA_TYPES)[keyof typeof MEDIA_TYPES];

export const documentOf = {
  'GET /v1/orgs/:orgId/orders/export': [MEDIA_TYPES.csv, MEDIA_TYPES.xlsx],
  'GET /v1/orgs/:orgId/orders/:orderId/document': [MEDIA_TYPES.pdf],
  'GET /v1/orgs/:orgId/bills/:month/document': [MEDIA_TYPES.pdf],
  'GET /v1/orgs/:orgId/bills/:month/export': [MEDIA_TYPES.csv, MEDIA_TYPES.xlsx],
  'GET /v1/orgs/:orgId/ledger/export': [MEDIA_TYPES.csv, MEDIA_TYPES.xlsx],
  ...invoiceDocuments,
} satisfies Record<string, readonly MediaType[]>;
