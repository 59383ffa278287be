import type { Locale } from '../../i18n/i18n.js';

/** The 账单 page's words (Chinese first, the provider's terms), kept beside the page. */
const zh = {
  title: '账单',
  month: '账单月份',
  status: '账单状态',
  total: '账单总额',
  prepaid: '包年包月（已预付）',
  usage: '按量付费',
  coupons: '优惠券抵扣',
  amountDue: '应付金额',
  outstanding: '待支付',
  dueAt: '还款截止',
  actions: '操作',
  pdf: '下载 PDF',
  csv: '导出 CSV',
  xlsx: '导出 Excel',
  more: '加载更多',
  empty: '暂无账单',
  lines: '账单明细',
  item: '计费项',
  quantity: '用量',
  unitPrice: '单价',
  amount: '金额',
  coupon: '优惠券',
  due: '应付',
  cluster: '集群',
  order: '订单',
  settled: '已预付结清',
  storage: '存储',
  backup: '备份',
  new_purchase: '新购',
  upgrade: '升配',
  noLines: '本月暂无账单明细',
  couponsApplied: '优惠券抵扣明细',
  couponId: '优惠券',
  lineNo: '明细序号',
  openNote:
    '本月尚未出账（未出账），金额随用量增长；每月 1 日出账，现金余额自动支付，不足时将在下次充值后自动支付。',
  overdueNote: '账单已逾期，请充值；充值到账后将自动支付。',
  downloaded: '已下载 {name}',
  downloadFailed: '下载失败',
  'status.open': '未出账',
  'status.unpaid': '待支付',
  'status.paid': '已结清',
  'status.overdue': '已逾期',
};

const en: typeof zh = {
  title: 'Bills',
  month: 'Month',
  status: 'Status',
  total: 'Total',
  prepaid: 'Subscription (prepaid)',
  usage: 'Pay-as-you-go',
  coupons: 'Coupons',
  amountDue: 'Amount due',
  outstanding: 'Outstanding',
  dueAt: 'Due',
  actions: 'Actions',
  pdf: 'PDF',
  csv: 'CSV',
  xlsx: 'Excel',
  more: 'Load more',
  empty: 'No bills yet',
  lines: 'Lines',
  item: 'Item',
  quantity: 'Quantity',
  unitPrice: 'Unit price',
  amount: 'Amount',
  coupon: 'Coupon',
  due: 'Due',
  cluster: 'Cluster',
  order: 'Order',
  settled: 'prepaid, settled',
  storage: 'Storage',
  backup: 'Backup',
  new_purchase: 'New purchase',
  upgrade: 'Upgrade',
  noLines: 'No charges this month',
  couponsApplied: 'Coupons applied',
  couponId: 'Coupon',
  lineNo: 'Line',
  openNote:
    'This month is open (not yet billed) and grows with usage. Bills are issued on the 1st and paid from the cash balance; if it is short, the next top-up pays them.',
  overdueNote: 'This bill is overdue: top up, and it is paid automatically when the transfer arrives.',
  downloaded: 'Downloaded {name}',
  downloadFailed: 'Download failed',
  'status.open': 'Open',
  'status.unpaid': 'Unpaid',
  'status.paid': 'Paid',
  'status.overdue': 'Overdue',
};

export type BillsKey = keyof typeof zh;

export function billsText(locale: Locale) {
  const c = locale === 'en-US' ? en : zh;
  return (key: BillsKey, vars?: Record<string, string>) =>
    vars ? c[key].replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m) : c[key];
}

/** 417 millionths of a fen per GB-hour → "¥0.00000417/GB-hour" (exact, from integers). */
export function unitPrice(micros: number | null, unit: string | null): string {
  if (micros === null) return '';
  const s = String(micros).padStart(9, '0');
  const y = `${s.slice(0, -8)}.${s.slice(-8)}`.replace(/^0+(?=\d)/, '').replace(/\.?0+$/, '');
  return `¥${y}/${unit ?? ''}`;
}
