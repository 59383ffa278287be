/** The shapes the console reads from the API (see contract/api.ts for requests, GET /v1/openapi.json). */

export type OrderStatus = 'unpaid' | 'paid' | 'cancelled' | 'timed_out';
export type OrderType = 'new_purchase' | 'upgrade';
export type OrderAction = 'pay' | 'cancel' | 'download';
export type OrgRole = 'org_admin' | 'org_billing_admin' | 'org_member';
export type ProjectRole = 'project_admin' | 'project_editor' | 'project_viewer';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TermRef {
  unit: 'month' | 'year';
  count: number;
}

export interface ClusterConfig {
  region: string;
  cuType: string;
  cuSize: number;
  replicas: number;
  term?: TermRef;
}

export interface Order {
  id: string;
  orgId: string;
  projectId: string;
  clusterId: string;
  clusterName: string;
  type: OrderType;
  status: OrderStatus;
  currency: string;
  /** fen */
  amount: number;
  listAmount: number;
  discountAmount: number;
  config: ClusterConfig;
  configBefore: ClusterConfig | null;
  pricing: Record<string, unknown> & { discountPercent?: number; remainingDays?: number; months?: number };
  createdAt: string;
  expiresAt: string;
  paidAt: string | null;
  cancelledAt: string | null;
  timedOutAt: string | null;
  billMonth: string | null;
  availableActions: OrderAction[];
}

export interface OrderHistoryEntry {
  from: OrderStatus | null;
  to: OrderStatus;
  at: string;
  by: { type: 'user' | 'system' | 'operator'; id: string | null };
}

export interface OrderDetail extends Order {
  history: OrderHistoryEntry[];
}

export interface MeOrg {
  id: string;
  name: string;
  currency: string;
  timeZone: string;
  certified: boolean;
  orgRole: OrgRole;
  projects: { id: string; name: string; role: ProjectRole }[];
}

export interface Me {
  user: { id: string; email: string };
  csrfToken?: string;
  orgs: MeOrg[];
}

export interface Project {
  id: string;
  name: string;
  role: ProjectRole | null;
}

export interface LocalizedName {
  'zh-CN': string;
  'en-US': string;
}

export interface Catalog {
  currency: string;
  regions: {
    id: string;
    name: LocalizedName;
    cuTypes: { id: string; name: LocalizedName; pricePerCuHour: number }[];
  }[];
  cuSizes: number[];
  replicas: { min: number; max: number };
  terms: { unit: 'month' | 'year'; count: number; discountPercent: number }[];
}

export interface Quote {
  type: OrderType;
  currency: string;
  amount: number;
  listAmount: number;
  discountAmount: number;
  pricePerCuHour: number;
  discountPercent: number;
  hours: number;
  months?: number;
  remainingDays?: number;
  addedCu?: number;
}

export type ClusterState = 'pending_payment' | 'creating' | 'running' | 'upgrading' | 'cancelled';

export interface Cluster {
  id: string;
  projectId: string;
  name: string;
  region: string;
  cuType: string;
  cuSize: number;
  replicas: number;
  term: TermRef;
  state: ClusterState;
  termEndsAt: string | null;
  paymentDeadline: string | null;
  upgradingTo: { cuSize: number; replicas: number } | null;
  createdAt: string;
}

export interface Balance {
  currency: string;
  cash: number;
  coupons: number;
}

export interface RemittanceAccount {
  bankName: string;
  accountName: string;
  accountNumber: string;
  remittanceCode: string;
  currency: string;
  note: string;
}

export interface Topup {
  id: string;
  bankReference: string;
  amount: number;
  currency: string;
  createdAt: string;
}

export interface Coupon {
  id: string;
  amount: number;
  remaining: number;
  currency: string;
  expiresAt: string;
  createdAt: string;
  status?: string;
}

export interface Bill {
  month: string;
  status: 'open' | 'unpaid' | 'paid' | 'overdue';
  currency: string;
  total: number;
  amountDue: number;
}
