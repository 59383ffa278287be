import { z } from 'zod';

/**
 * Every enumerated value the API sends or accepts, declared once: the `as const` list (for loops and
 * filters), its zod schema (for validation) and its TypeScript union (for types). Requests (contract/api.ts),
 * responses (contract/responses.ts) and the console read them from here.
 *
 * Each list holds what the server sends today. Values the SPEC names for features not built yet are noted
 * beside the list, not in it, so that a strict check of a response still fails on an unknown value.
 */

/** SPEC §2. Final: paid, cancelled, timed_out. */
export const ORDER_STATUSES = ['unpaid', 'paid', 'cancelled', 'timed_out'] as const;
export const OrderStatus = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof OrderStatus>;

/** SPEC §2: 新购, 升配 and 续订 (SPEC §8.2). */
export const ORDER_TYPES = ['new_purchase', 'upgrade', 'renewal'] as const;
export const OrderType = z.enum(ORDER_TYPES);
export type OrderType = z.infer<typeof OrderType>;

/** What the caller may do to an order now: the console shows exactly these buttons. */
export const ORDER_ACTIONS = ['pay', 'cancel', 'download'] as const;
export const OrderAction = z.enum(ORDER_ACTIONS);
export type OrderAction = z.infer<typeof OrderAction>;

/** Who made a change recorded in an order's history. */
export const ACTOR_TYPES = ['user', 'system', 'operator'] as const;
export const ActorType = z.enum(ACTOR_TYPES);
export type ActorType = z.infer<typeof ActorType>;

/**
 * SPEC §7.2 and the term timeline of SPEC §8.1 (`expiring` 即将过期, `expired` 已过期, `recycled` 回收站,
 * `deleted` 已删除). Final: cancelled, deleted.
 */
export const CLUSTER_STATES = [
  'pending_payment',
  'creating',
  'running',
  'upgrading',
  'expiring',
  'expired',
  'recycled',
  'deleted',
  'cancelled',
] as const;
export const ClusterState = z.enum(CLUSTER_STATES);
export type ClusterState = z.infer<typeof ClusterState>;

/** What the caller may do to a cluster now (SPEC §8): the console shows exactly these buttons. */
export const CLUSTER_ACTIONS = ['upgrade', 'renew'] as const;
export const ClusterAction = z.enum(CLUSTER_ACTIONS);
export type ClusterAction = z.infer<typeof ClusterAction>;

/** Why the system ended an order (SPEC §8.1): an unpaid upgrade at expiry, an unpaid renewal at recycle. */
export const ORDER_END_REASONS = ['cluster_expired', 'cluster_recycled'] as const;
export const OrderEndReason = z.enum(ORDER_END_REASONS);
export type OrderEndReason = z.infer<typeof OrderEndReason>;

/** An auto-renew attempt's outcome (SPEC §8.4). */
export const RENEWAL_OUTCOMES = ['paid', 'failed', 'skipped'] as const;
export const RenewalOutcome = z.enum(RENEWAL_OUTCOMES);
export type RenewalOutcome = z.infer<typeof RenewalOutcome>;

export const TERM_UNITS = ['month', 'year'] as const;
export const TermUnit = z.enum(TERM_UNITS);
export type TermUnit = z.infer<typeof TermUnit>;

/** SPEC §1. */
export const ORG_ROLES = ['org_admin', 'org_billing_admin', 'org_member'] as const;
export const OrgRole = z.enum(ORG_ROLES);
export type OrgRole = z.infer<typeof OrgRole>;

export const PROJECT_ROLES = ['project_admin', 'project_editor', 'project_viewer'] as const;
export const ProjectRole = z.enum(PROJECT_ROLES);
export type ProjectRole = z.infer<typeof ProjectRole>;

/** How the caller of GET /v1/me signed in: an API key (public API) or the console's session cookie. */
export const AUTH_METHODS = ['api_key', 'session'] as const;
export const AuthMethod = z.enum(AUTH_METHODS);
export type AuthMethod = z.infer<typeof AuthMethod>;

/** Currencies an org may bill in (SPEC §3: CNY). */
export const CURRENCIES = ['CNY'] as const;
export const Currency = z.enum(CURRENCIES);
export type Currency = z.infer<typeof Currency>;

/**
 * SPEC §5 and §10.2: `open` is the current month. The confirmation step of §10.2 adds
 * `pending_confirmation` and `disputed` when it is built.
 */
/**
 * SPEC §10.2: `open` (the current month), `pending_confirmation` (issued, nothing charged yet), `disputed`
 * (nothing charged until an operator resolves it), `unpaid` (confirmed, something left to pay), `paid`
 * (confirmed and fully paid), `overdue` (unpaid 14 days after confirmation; the org is frozen).
 */
export const BILL_STATUSES = [
  'open',
  'pending_confirmation',
  'disputed',
  'unpaid',
  'paid',
  'overdue',
] as const;
export const BillStatus = z.enum(BILL_STATUSES);
export type BillStatus = z.infer<typeof BillStatus>;

/** `adjustment`: an operator's credit resolving a dispute (SPEC §10.2), a negative line of its own. */
export const BILL_LINE_KINDS = ['subscription', 'usage', 'adjustment'] as const;
export const BillLineKind = z.enum(BILL_LINE_KINDS);
export type BillLineKind = z.infer<typeof BillLineKind>;

/** Subscription lines were prepaid when their order was paid; usage lines are due on the bill. */
export const SETTLEMENTS = ['prepaid', 'pay_as_you_go'] as const;
export const Settlement = z.enum(SETTLEMENTS);
export type Settlement = z.infer<typeof Settlement>;

/** Pay-as-you-go usage (SPEC §5): storage per GB-hour, backup per GB-day. */
export const USAGE_METRICS = ['storage', 'backup'] as const;
export const UsageMetric = z.enum(USAGE_METRICS);
export type UsageMetric = z.infer<typeof UsageMetric>;

/** What POST /v1/internal/usage did with each event: kept once per id, a repeat is a duplicate. */
export const USAGE_EVENT_OUTCOMES = ['accepted', 'duplicate'] as const;
export const UsageEventOutcome = z.enum(USAGE_EVENT_OUTCOMES);
export type UsageEventOutcome = z.infer<typeof UsageEventOutcome>;

/** The ledger transaction an entry of the cash balance belongs to (SPEC §4). */
export const LEDGER_ENTRY_KINDS = ['topup', 'order_payment', 'bill_payment', 'reversal'] as const;
export const LedgerEntryKind = z.enum(LEDGER_ENTRY_KINDS);
export type LedgerEntryKind = z.infer<typeof LedgerEntryKind>;

/** Seen from the org's cash balance: a credit adds to it, a debit takes from it. */
export const LEDGER_DIRECTIONS = ['credit', 'debit'] as const;
export const LedgerDirection = z.enum(LEDGER_DIRECTIONS);
export type LedgerDirection = z.infer<typeof LedgerDirection>;

/** A top-up is a bank transfer credited to the org (现金充值（对公转账）, SPEC §4). */
export const TOPUP_METHODS = ['bank_transfer'] as const;
export const TopupMethod = z.enum(TOPUP_METHODS);
export type TopupMethod = z.infer<typeof TopupMethod>;

export const TOPUP_STATUSES = ['credited'] as const;
export const TopupStatus = z.enum(TOPUP_STATUSES);
export type TopupStatus = z.infer<typeof TopupStatus>;

/** A reported bank transfer is credited to an org, or kept as unmatched for an operator. */
export const TRANSFER_STATUSES = ['credited', 'unmatched'] as const;
export const TransferStatus = z.enum(TRANSFER_STATUSES);
export type TransferStatus = z.infer<typeof TransferStatus>;

/**
 * Why a reported transfer was kept for an operator instead of credited: no org has its code, its currency is not
 * the org's, crediting it would take the balance past its ceiling, or it is larger than one transfer may be.
 */
export const UNMATCHED_REASONS = [
  'unknown_remittance_code',
  'currency_mismatch',
  'balance_limit_exceeded',
  'amount_above_limit',
] as const;
export const UnmatchedReason = z.enum(UNMATCHED_REASONS);
export type UnmatchedReason = z.infer<typeof UnmatchedReason>;

/** 优惠券 (SPEC §4): `used` once nothing remains, `expired` from its expiry on. */
export const COUPON_STATUSES = ['active', 'used', 'expired'] as const;
export const CouponStatus = z.enum(COUPON_STATUSES);
export type CouponStatus = z.infer<typeof CouponStatus>;

/** Coupons pay pay-as-you-go charges only, never an order. */
export const COUPON_SCOPES = ['pay_as_you_go'] as const;
export const CouponScope = z.enum(COUPON_SCOPES);
export type CouponScope = z.infer<typeof CouponScope>;

/** Languages a document or export is asked for in (`zh` and `en-US` are accepted aliases). */
export const DOCUMENT_LANGS = ['zh-CN', 'zh', 'en', 'en-US'] as const;
export const DocumentLang = z.enum(DOCUMENT_LANGS);
export type DocumentLang = z.infer<typeof DocumentLang>;

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;
