import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';
import type {
  ActorType,
  BillLineKind,
  BillStatus,
  ClusterState,
  LedgerEntryKind,
  OrderEndReason,
  OrderStatus,
  OrderType,
  OrgRole,
  ProjectRole,
  RenewalOutcome,
  TermUnit,
  TransferStatus,
  UnmatchedReason,
  UsageMetric,
} from '../../../contract/enums.js';

/**
 * Row types of the tables, as the driver returns them (int8 parsed to a safe number, timestamptz to Date).
 * Enumerated columns are the unions of contract/enums.ts (the tables' CHECK constraints hold the same values).
 */
type Json = ColumnType<unknown, string, string>;

export interface OrgsTable {
  id: string;
  name: string;
  currency: string;
  time_zone: string;
  certified: boolean;
  remittance_code: string;
  created_at: Date;
  /** 自动续订 (SPEC §8.4) */
  auto_renew: Generated<boolean>;
  auto_renew_updated_at: Generated<Date | null>;
  auto_renew_updated_by: Generated<string | null>;
  /** SPEC §9: cash strictly below this (fen) is low (migration 0009) */
  low_balance_threshold: Generated<number>;
  /** the certification data, the buyer of the org's invoices (SPEC §10.4; migration 0011) */
  cert_kind: Generated<'enterprise' | 'personal' | null>;
  cert_title: Generated<string | null>;
  cert_tax_id: Generated<string | null>;
  cert_address: Generated<string | null>;
  cert_phone: Generated<string | null>;
  cert_bank: Generated<string | null>;
  cert_bank_account: Generated<string | null>;
}
export interface UsersTable {
  id: string;
  email: string;
  password_hash: string | null;
  created_at: Date;
  /** the language of the user's mail (SPEC §9; migration 0009) */
  locale: Generated<'zh-CN' | 'en'>;
}
export interface ApiKeysTable {
  key_hash: string;
  id: string;
  org_id: string;
  user_id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}
export interface InvitationsTable {
  token_hash: string;
  org_id: string;
  user_id: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}
export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Date;
  expires_at: Date;
}
export interface MembershipsTable {
  org_id: string;
  user_id: string;
  org_role: OrgRole;
  created_at: Date;
}
export interface ProjectsTable {
  org_id: string;
  id: string;
  name: string;
  created_at: Date;
}
export interface ProjectRolesTable {
  org_id: string;
  project_id: string;
  user_id: string;
  role: ProjectRole;
}
export interface ClustersTable {
  org_id: string;
  id: string;
  project_id: string;
  name: string;
  region: string;
  cu_type: string;
  cu_size: number;
  replicas: number;
  term_unit: TermUnit;
  term_count: number;
  state: ClusterState;
  payment_deadline: Date | null;
  term_ends_at: Date | null;
  target_cu_size: number | null;
  target_replicas: number | null;
  ready_at: Date | null;
  created_at: Date;
  updated_at: Date;
}
export interface OrdersTable {
  org_id: string;
  id: string;
  project_id: string;
  cluster_id: string;
  cluster_name: string;
  type: OrderType;
  status: OrderStatus;
  currency: string;
  amount: number;
  list_amount: number;
  discount_amount: number;
  config: Json;
  config_before: Json | null;
  pricing: Json;
  created_at: Date;
  expires_at: Date;
  /** SPEC §8.1: when the system cancels it if unpaid (an upgrade at expiry, a renewal at recycle) */
  cancel_at: Generated<Date | null>;
  paid_at: Date | null;
  cancelled_at: Date | null;
  timed_out_at: Date | null;
  /** null: made by the system (auto-renew) */
  created_by: string | null;
  paid_by: string | null;
  cancelled_by: string | null;
  bill_month: string | null;
}
export interface OrderHistoryTable {
  org_id: string;
  order_id: string;
  seq: number;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  actor_type: ActorType;
  actor_id: string | null;
  at: Date;
  recorded_at: Date;
  reason: Generated<OrderEndReason | null>;
}
export interface BalancesTable {
  org_id: string;
  currency: string;
  cash: number;
  updated_at: Date;
}
export interface LedgerTransactionsTable {
  org_id: string;
  id: string;
  kind: LedgerEntryKind;
  ref_id: string;
  memo: string | null;
  created_at: Date;
}
export interface LedgerEntriesTable {
  org_id: string;
  id: Generated<number>;
  /** what the API shows: random, unique per org (the identity above is a platform-wide counter) */
  public_id: Generated<string>;
  txn_id: string;
  account: string;
  amount: number;
  currency: string;
  order_id: string | null;
  created_at: Date;
}
export interface BankTransfersTable {
  bank_reference: string;
  /** the reference trimmed and lower-cased: unique (migration 0003) */
  reference_key: string;
  remittance_code: string;
  amount: number;
  currency: string;
  status: TransferStatus;
  reason: UnmatchedReason | null;
  org_id: string | null;
  topup_id: string | null;
  report_count: Generated<number>;
  first_reported_at: Date;
  last_reported_at: Date;
}
/** An org whose work failed in a background job, retried with backoff (migration 0003). */
export interface JobFailuresTable {
  job: string;
  org_id: string;
  key: Generated<string>;
  attempts: number;
  first_failed_at: Date;
  last_failed_at: Date;
  last_error: string;
  next_attempt_at: Date;
}
export interface TopupsTable {
  org_id: string;
  id: string;
  bank_reference: string;
  amount: number;
  currency: string;
  ledger_txn_id: string;
  created_at: Date;
}
export interface CouponsTable {
  org_id: string;
  id: string;
  currency: string;
  amount: number;
  remaining: number;
  expires_at: Date;
  granted_by: string;
  created_at: Date;
}
export interface OutboxEventsTable {
  org_id: string;
  id: Generated<number>;
  type: string;
  aggregate_id: string;
  payload: Json;
  created_at: Date;
  /** the consumers' progress (outbox/consumers.ts): provisioning's, the notification job's (migration 0009), the
   * webhook job's (0010) */
  processed_at: Date | null;
  notified_at: Date | null;
  webhooked_at: Date | null;
}
/** What an order's search matches (migration 0014): written with the order, never updated. */
export interface OrderSearchTable {
  org_id: string;
  order_id: string;
  /** the org's three-character pieces of the lowercased cluster name, hashed (order_search_grams) */
  grams: number[];
}
export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number;
  /** the first answer's JSON, byte for byte */
  response: string | null;
  created_at: Date;
}
export interface TestClockTable {
  id: number;
  offset_ms: number;
}
/** Sign-in throttling per account and per address (migration 0005). */
export interface SignInThrottleTable {
  scope: 'account' | 'address';
  subject: string;
  /** epoch milliseconds of the failed or running attempts of the last 15 minutes */
  failures: ColumnType<number[], string | undefined, string>;
  locked_until: Date | null;
  lockouts: ColumnType<number, number | undefined, number>;
  updated_at: Date;
  expires_at: Date;
}

export interface UsageEventsTable {
  org_id: string;
  id: string;
  cluster_id: string;
  metric: UsageMetric;
  quantity_milli: number;
  start_at: Date;
  end_at: Date;
  units: number;
  micros_per_unit: number;
  bill_month: string;
  received_at: Date;
}
export interface BillsTable {
  org_id: string;
  month: string;
  currency: string;
  status: BillStatus;
  total_amount: number;
  prepaid_amount: number;
  usage_amount: number;
  coupon_amount: number;
  amount_due: number;
  paid_amount: Generated<number>;
  period_start: Date;
  period_end: Date;
  issued_at: Date;
  due_at: Date;
  paid_at: Date | null;
  overdue_at: Date | null;
  ledger_txn_id: string | null;
  // the lifecycle after issue (migration 0012, SPEC §10.2)
  confirms_at: Date | null;
  confirmed_at: Date | null;
  disputed_at: Date | null;
  dispute_reason: string | null;
  adjustment_amount: Generated<number>;
  /** cash payments made towards the bill (each its own ledger transaction: bill:<month>, bill:<month>#2, …) */
  payments: Generated<number>;
  /** bill.unpaid reminders sent after confirmation (0–14) */
  reminders_sent: Generated<number>;
}
export interface BillLinesTable {
  org_id: string;
  month: string;
  line_no: number;
  kind: BillLineKind;
  order_id: string | null;
  order_type: OrderType | null;
  cluster_id: string;
  cluster_name: string;
  region: string | null;
  metric: UsageMetric | null;
  quantity_milli: number | null;
  unit: string | null;
  micros_per_unit: number | null;
  at: Date | null;
  amount: number;
  coupon_amount: number;
  due_amount: number;
}
export interface BillCouponApplicationsTable {
  org_id: string;
  month: string;
  coupon_id: string;
  line_no: number;
  amount: number;
}

export interface RenewalAttemptsTable {
  org_id: string;
  cluster_id: string;
  term_ends_at: Date;
  k: number;
  at: Date;
  outcome: RenewalOutcome;
  order_id: string | null;
  amount: number | null;
  shortfall: number | null;
  currency: string;
  reason: string | null;
  recorded_at: Date;
}
/** Webhooks (SPEC §9, migration 0010). */
export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';
export interface WebhookEndpointsTable {
  org_id: string;
  id: string;
  url: string;
  events: string[];
  secret: string;
  created_by: string | null;
  created_at: Date;
  secret_rotated_at: Date | null;
}
export interface WebhookDeliveriesTable {
  org_id: string;
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  outbox_id: number;
  body: string;
  status: WebhookDeliveryStatus;
  attempt_count: Generated<number>;
  first_attempt_at: Date | null;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
}
export interface WebhookAttemptsTable {
  org_id: string;
  delivery_id: string;
  n: number;
  at: Date;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}
/** Notifications (SPEC §9, migration 0009). */
export interface NotificationAlertsTable {
  org_id: string;
  key: string;
  created_at: Date;
}
export interface BalanceLowEpisodesTable {
  org_id: string;
  episode: number;
  threshold: number;
  started_at: Date;
  recovered_at: Date | null;
}
export interface NotificationsTable {
  org_id: string;
  id: string;
  user_id: string;
  event_key: string;
  category: string;
  title: string;
  body: string;
  link: string;
  created_at: Date;
  read_at: Date | null;
}
export interface MailsTable {
  org_id: string;
  id: string;
  user_id: string;
  event_key: string;
  to_address: string;
  locale: string;
  category: string;
  subject: string;
  text_body: string;
  html_body: string;
  status: 'pending' | 'sent' | 'failed' | 'kept';
  attempts: Generated<number>;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}
export interface NotificationSettingsTable {
  user_id: string;
  muted: Json;
  updated_at: Date;
}
/** Invoices (发票, SPEC §10.4; migration 0011). */
export interface InvoicesTable {
  org_id: string;
  id: string;
  type: 'normal' | 'special';
  status: 'requested' | 'issued' | 'failed';
  currency: string;
  total_amount: number;
  /** null only for an automatic request refused for want of certification data (failed) */
  buyer_kind: 'enterprise' | 'personal' | null;
  buyer_title: string | null;
  buyer_tax_id: string | null;
  buyer_address: string | null;
  buyer_phone: string | null;
  buyer_bank: string | null;
  buyer_bank_account: string | null;
  remark: string | null;
  /** the receiving addresses, a JSON array */
  emails: ColumnType<string[], string, string>;
  /** the bill an automatic request was made for (once per bill) */
  auto_bill_month: string | null;
  /** null: an automatic request */
  requested_by: string | null;
  requested_at: Date;
  number: string | null;
  issued_at: Date | null;
  failed_at: Date | null;
  failure_reason: string | null;
  updated_at: Date;
}
export interface InvoiceItemsTable {
  org_id: string;
  invoice_id: string;
  kind: 'bill' | 'order';
  /** the bill's month or the order's id */
  item_id: string;
  amount: number;
  /** false once the request failed: the item may be invoiced again */
  active: boolean;
}
export interface InvoiceDocumentsTable {
  org_id: string;
  invoice_id: string;
  pdf: ColumnType<Uint8Array, Uint8Array, Uint8Array>;
  uploaded_at: Date;
}
export interface InvoiceSettingsTable {
  org_id: string;
  enabled: boolean;
  emails: ColumnType<string[], string, string>;
  /** when it was last turned on: bills due from then are requested automatically */
  enabled_at: Date | null;
  updated_at: Date;
  updated_by: string;
}
export interface Database {
  orgs: OrgsTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  invitations: InvitationsTable;
  sessions: SessionsTable;
  memberships: MembershipsTable;
  projects: ProjectsTable;
  project_roles: ProjectRolesTable;
  clusters: ClustersTable;
  orders: OrdersTable;
  order_history: OrderHistoryTable;
  balances: BalancesTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  bank_transfers: BankTransfersTable;
  topups: TopupsTable;
  coupons: CouponsTable;
  outbox_events: OutboxEventsTable;
  order_search: OrderSearchTable;
  idempotency_keys: IdempotencyKeysTable;
  test_clock: TestClockTable;
  sign_in_throttle: SignInThrottleTable;
  usage_events: UsageEventsTable;
  bills: BillsTable;
  bill_lines: BillLinesTable;
  bill_coupon_applications: BillCouponApplicationsTable;
  job_failures: JobFailuresTable;
  renewal_attempts: RenewalAttemptsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  invoices: InvoicesTable;
  invoice_items: InvoiceItemsTable;
  invoice_documents: InvoiceDocumentsTable;
  invoice_settings: InvoiceSettingsTable;
  notification_alerts: NotificationAlertsTable;
  balance_low_episodes: BalanceLowEpisodesTable;
  notifications: NotificationsTable;
  mails: MailsTable;
  notification_settings: NotificationSettingsTable;
}

export type Db = Kysely<Database>;
/** Functions that must run inside a transaction say so in their signature. */
export type Tx = Transaction<Database>;
/** Either: reads that may run inside or outside a transaction. */
export type Queryable = Kysely<Database> | Transaction<Database>;
