import type { Catalog } from '../pricing/catalog.js';

/** Documents speak the console's words: Chinese first (the provider's terms), English on request. */
export type Lang = 'zh-CN' | 'en';

const L = {
  'zh-CN': {
    order: '订单',
    bill: '账单',
    org: '组织',
    orderId: '订单号',
    type: '订单类型',
    project: '项目',
    cluster: '集群',
    config: '购买配置',
    configBefore: '变更前配置',
    term: '购买时长',
    listPrice: '原价',
    discount: '优惠',
    amountDue: '应付金额',
    status: '订单状态',
    createdAt: '创建时间',
    paidAt: '支付时间',
    deadline: '支付截止时间',
    systemCancelAt: '系统取消时间（集群到期或进入回收站）',
    termEndsBefore: '原到期时间',
    termEndsAfter: '新到期时间',
    termEndsAfterUnpaid: '支付后起算',
    cancelledAt: '取消时间',
    timedOutAt: '超时时间',
    timeZoneNote: (tz: string) => `时间均以 ${tz} 时区显示；金额单位为人民币元。`,
    region: '地域',
    cuType: 'CU 类型',
    cuSize: 'CU 规格',
    replicas: '副本数',
    month: '账单月份',
    period: '账期',
    billStatus: '账单状态',
    issuedAt: '出账时间',
    dueAt: '还款截止时间',
    totalAmount: '账单总额',
    prepaidAmount: '包年包月（已预付）',
    usageAmount: '按量付费',
    couponAmount: '优惠券抵扣',
    billAmountDue: '应付金额（按量）',
    paidAmount: '已支付',
    outstanding: '待支付',
    lines: '账单明细',
    lineNo: '序号',
    item: '项目',
    quantity: '用量',
    unitPrice: '单价',
    amount: '金额',
    coupon: '优惠券',
    due: '应付',
    settled: '已预付结清',
    storage: '存储',
    backup: '备份',
    none: '无',
    noLines: '本月暂无账单明细。',
    openNote: '本月尚未出账，金额随用量增长，出账后以账单为准。',
    couponsApplied: '优惠券抵扣明细',
    couponId: '优惠券',
    exportedOrders: '订单导出',
    clusterId: '集群 ID',
    unit: '单位',
  },
  en: {
    order: 'Order',
    bill: 'Bill',
    org: 'Organization',
    orderId: 'Order ID',
    type: 'Type',
    project: 'Project',
    cluster: 'Cluster',
    config: 'Configuration',
    configBefore: 'Configuration before',
    term: 'Term',
    listPrice: 'List price',
    discount: 'Discount',
    amountDue: 'Amount due',
    status: 'Status',
    createdAt: 'Created',
    paidAt: 'Paid',
    deadline: 'Payment deadline',
    systemCancelAt: 'Cancelled by the system at (cluster expiry or recycle)',
    termEndsBefore: 'Term end before',
    termEndsAfter: 'Term end after',
    termEndsAfterUnpaid: 'a term from payment',
    cancelledAt: 'Cancelled',
    timedOutAt: 'Timed out',
    timeZoneNote: (tz: string) => `Times are shown in ${tz}; amounts in CNY.`,
    region: 'Region',
    cuType: 'CU type',
    cuSize: 'CU size',
    replicas: 'Replicas',
    month: 'Bill month',
    period: 'Period',
    billStatus: 'Bill status',
    issuedAt: 'Issued',
    dueAt: 'Due',
    totalAmount: 'Total',
    prepaidAmount: 'Subscription (prepaid)',
    usageAmount: 'Pay-as-you-go',
    couponAmount: 'Coupons applied',
    billAmountDue: 'Amount due (pay-as-you-go)',
    paidAmount: 'Paid',
    outstanding: 'Outstanding',
    lines: 'Lines',
    lineNo: '#',
    item: 'Item',
    quantity: 'Quantity',
    unitPrice: 'Unit price',
    amount: 'Amount',
    coupon: 'Coupon',
    due: 'Due',
    settled: 'prepaid, settled',
    storage: 'Storage',
    backup: 'Backup',
    none: 'none',
    noLines: 'No charges this month.',
    openNote: 'This month is open (not yet billed): it grows with usage until the bill is issued.',
    couponsApplied: 'Coupons applied',
    couponId: 'Coupon',
    exportedOrders: 'Orders',
    clusterId: 'Cluster ID',
    unit: 'Unit',
  },
} as const;

export type Labels = (typeof L)[Lang];
export const labels = (lang: Lang): Labels => L[lang] as Labels;

const ORDER_TYPE = {
  'zh-CN': { new_purchase: '新购', upgrade: '升配', renewal: '续订' },
  en: { new_purchase: 'New purchase', upgrade: 'Upgrade', renewal: 'Renewal' },
} as const;
const ORDER_STATUS = {
  'zh-CN': { unpaid: '未支付', paid: '已支付', cancelled: '已取消', timed_out: '已超时' },
  en: { unpaid: 'Unpaid', paid: 'Paid', cancelled: 'Cancelled', timed_out: 'Timed out' },
} as const;
const BILL_STATUS = {
  'zh-CN': {
    open: '未出账',
    pending_confirmation: '待确认',
    disputed: '质疑中',
    unpaid: '待支付',
    paid: '已结清',
    overdue: '已逾期',
  },
  en: {
    open: 'Open (not yet billed)',
    pending_confirmation: 'Pending confirmation',
    disputed: 'Disputed',
    unpaid: 'Unpaid',
    paid: 'Paid',
    overdue: 'Overdue',
  },
} as const;

const pick = <T extends Record<string, string>>(m: T, k: string | null | undefined) =>
  (k && (m as Record<string, string>)[k]) ?? k ?? '';

export const orderTypeLabel = (lang: Lang, t: string | null) => pick(ORDER_TYPE[lang], t);
export const orderStatusLabel = (lang: Lang, s: string) => pick(ORDER_STATUS[lang], s);
export const billStatusLabel = (lang: Lang, s: string) => pick(BILL_STATUS[lang], s);

export function termLabel(lang: Lang, term: { unit: string; count: number } | undefined): string {
  if (!term) return '';
  if (lang === 'en') return `${term.count} ${term.unit}${term.count === 1 ? '' : 's'}`;
  return `${term.count} ${term.unit === 'year' ? '年' : '个月'}`;
}

export function regionLabel(catalog: Catalog, lang: Lang, id: string | null | undefined): string {
  const r = catalog.regions.find((x) => x.id === id);
  return r ? r.name[lang === 'en' ? 'en-US' : 'zh-CN'] : (id ?? '');
}

export function cuTypeLabel(
  catalog: Catalog,
  lang: Lang,
  region: string | undefined,
  id: string | undefined,
) {
  const r = catalog.regions.find((x) => x.id === region) ?? catalog.regions[0];
  const t =
    r?.cuTypes.find((x) => x.id === id) ?? catalog.regions.flatMap((x) => x.cuTypes).find((x) => x.id === id);
  return t ? t.name[lang === 'en' ? 'en-US' : 'zh-CN'] : (id ?? '');
}

export interface ClusterConfig {
  region?: string;
  cuType?: string;
  cuSize?: number;
  replicas?: number;
  term?: { unit: string; count: number };
}

export function configLabel(catalog: Catalog, lang: Lang, c: ClusterConfig | null): string {
  if (!c) return labels(lang).none;
  const l = labels(lang);
  return [
    regionLabel(catalog, lang, c.region),
    `${l.cuType} ${cuTypeLabel(catalog, lang, c.region, c.cuType)}`,
    `${l.cuSize} ${c.cuSize ?? ''} CU`,
    `${l.replicas} ${c.replicas ?? ''}`,
  ].join(' · ');
}

/** "¥1,234.56" — amounts in documents; the data stays integer fen. */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

/** Micro-fen per unit as yuan with enough decimals: 417 µfen/GB-hour → "¥0.00000417". */
export function unitPriceLabel(micros: number | null, unit: string | null): string {
  if (micros === null) return '';
  const s = String(micros).padStart(9, '0');
  const y = `${s.slice(0, -8)}.${s.slice(-8)}`.replace(/^0+(?=\d)/, '').replace(/\.?0+$/, '');
  return `¥${y}/${unit ?? ''}`;
}
