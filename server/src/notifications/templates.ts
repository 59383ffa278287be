import type { NotificationCategory } from '../../../contract/notifications.js';
import { formatMinor } from '../platform/money.js';
import { localDateTime } from '../platform/time.js';

/**
 * The words of every message (SPEC §9), in zh-CN and en: a title and a few lines, from which the 站内信, the
 * mail's subject, plain text and HTML are made. Amounts read ¥1,800.00; instants are shown in the org's time
 * zone, named after them. Each message names what it is about (the order id, the bill month, the cluster
 * name, the amount) and links to the console page.
 */
export type MailLocale = 'zh-CN' | 'en';

/** What a message says, read from the database when it is made. Instants are Dates; money is fen. */
export interface MessageFacts {
  category: NotificationCategory;
  orgName: string;
  timeZone: string;
  currency: string;
  /** the console's path of what it is about (/orgs/{orgId}/...) */
  path: string;
  orderId?: string;
  orderType?: 'new_purchase' | 'upgrade' | 'renewal';
  amount?: number;
  deadline?: Date;
  paidAt?: Date;
  clusterName?: string;
  month?: string;
  amountDue?: number;
  unpaidAmount?: number;
  daysLeft?: number;
  termEndsAt?: Date;
  recycleAt?: Date;
  deleteAt?: Date;
  shortfall?: number;
  cash?: number;
  threshold?: number;
  at?: Date;
}

export interface RenderedMessage {
  /** the 站内信's title and the mail's subject */
  title: string;
  /** the 站内信's text */
  body: string;
  text: string;
  html: string;
}

type Words = (f: Required<MessageFacts>, x: Fmt) => { title: string; lines: string[] };
interface Fmt {
  money: (fen: number) => string;
  time: (at: Date) => string;
  type: string;
}

const ZH_TYPES = { new_purchase: '新购', upgrade: '升配', renewal: '续订' } as const;
const EN_TYPES = { new_purchase: 'new purchase', upgrade: 'upgrade', renewal: 'renewal' } as const;

const ZH: Record<NotificationCategory, Words> = {
  order_created: (f, x) => ({
    title: `订单 ${f.orderId} 待支付 ${x.money(f.amount)}`,
    lines: [
      `${f.orgName} 的${x.type}订单 ${f.orderId}（集群 ${f.clusterName}）已创建，应付 ${x.money(f.amount)}。`,
      `请在 ${x.time(f.deadline)} 前支付，逾期未支付的订单将自动超时。`,
    ],
  }),
  order_unpaid: (f, x) => ({
    title: `订单 ${f.orderId} 将在 24 小时内超时`,
    lines: [
      `${x.type}订单 ${f.orderId}（集群 ${f.clusterName}）应付 ${x.money(f.amount)}，尚未支付。`,
      `支付截止时间：${x.time(f.deadline)}，逾期订单将自动超时。`,
    ],
  }),
  order_paid: (f, x) => ({
    title: `订单 ${f.orderId} 已支付 ${x.money(f.amount)}`,
    lines: [
      `${x.type}订单 ${f.orderId}（集群 ${f.clusterName}）已于 ${x.time(f.paidAt)} 从现金余额支付 ${x.money(f.amount)}。`,
    ],
  }),
  order_timed_out: (f, x) => ({
    title: `订单 ${f.orderId} 已超时`,
    lines: [
      `${x.type}订单 ${f.orderId}（集群 ${f.clusterName}，${x.money(f.amount)}）未在 ${x.time(f.deadline)} 前支付，已超时关闭。`,
      '如仍需要，请重新下单。',
    ],
  }),
  topup_credited: (f, x) => ({
    title: `充值成功：${x.money(f.amount)}`,
    lines: [
      `${f.orgName} 的对公转账 ${x.money(f.amount)} 已于 ${x.time(f.at)} 到账。`,
      `当前现金余额：${x.money(f.cash)}。`,
    ],
  }),
  bill_issued: (f, x) => ({
    title: `${f.month} 账单已出账，应付 ${x.money(f.amountDue)}`,
    lines: [
      `${f.orgName} 的 ${f.month} 账单已出账，应付 ${x.money(f.amountDue)}，未付 ${x.money(f.unpaidAmount)}。`,
    ],
  }),
  bill_unpaid: (f, x) => ({
    title: `${f.month} 账单待支付 ${x.money(f.unpaidAmount)}`,
    lines: [
      `${f.orgName} 的 ${f.month} 账单尚有 ${x.money(f.unpaidAmount)} 未支付，请充值，充值后将自动支付。`,
    ],
  }),
  bill_overdue: (f, x) => ({
    title: `${f.month} 账单已逾期，欠费 ${x.money(f.unpaidAmount)}`,
    lines: [
      `${f.orgName} 的 ${f.month} 账单已逾期，欠费 ${x.money(f.unpaidAmount)}。`,
      '组织已冻结：无法新建、升配或续订集群。支付全部逾期账单后立即解冻。',
    ],
  }),
  cluster_expiring: (f, x) => ({
    title: `集群 ${f.clusterName} 将在 ${f.daysLeft} 天后到期`,
    lines: [
      `集群 ${f.clusterName} 的包年包月有效期至 ${x.time(f.termEndsAt)}。`,
      '到期后集群将停止服务，请及时续订。',
    ],
  }),
  cluster_expiring_soon: (f, x) => ({
    title: `集群 ${f.clusterName} 将在 ${f.daysLeft} 天后到期`,
    lines: [
      `集群 ${f.clusterName} 的包年包月有效期至 ${x.time(f.termEndsAt)}。`,
      '到期后集群将停止服务，请尽快续订。',
    ],
  }),
  cluster_expired: (f, x) => ({
    title: `集群 ${f.clusterName} 已过期`,
    lines: [
      `集群 ${f.clusterName} 已于 ${x.time(f.termEndsAt)} 到期并停止服务，数据保留。`,
      `在 ${x.time(f.recycleAt)} 前续订即可恢复服务，之后集群进入回收站。`,
    ],
  }),
  cluster_recycled: (f, x) => ({
    title: `集群 ${f.clusterName} 已进入回收站`,
    lines: [
      `集群 ${f.clusterName} 已进入回收站，无法再续订。`,
      `数据保留至 ${x.time(f.deleteAt)}，之后将被删除。`,
    ],
  }),
  auto_renew_failed: (f, x) => ({
    title: `集群 ${f.clusterName} 自动续订失败，差额 ${x.money(f.shortfall)}`,
    lines: [
      `自动续订订单 ${f.orderId} 应付 ${x.money(f.amount)}，现金余额不足，差额 ${x.money(f.shortfall)}。`,
      '充值后下一次自动续订将支付该订单，也可以手动支付。',
    ],
  }),
  balance_low: (f, x) => ({
    title: `现金余额低于 ${x.money(f.threshold)}：当前 ${x.money(f.cash)}`,
    lines: [
      `${f.orgName} 的现金余额为 ${x.money(f.cash)}，低于预警阈值 ${x.money(f.threshold)}。`,
      '请及时充值，以免订单无法支付、账单欠费。',
    ],
  }),
  balance_recovered: (f, x) => ({
    title: `现金余额已恢复：${x.money(f.cash)}`,
    lines: [`${f.orgName} 的现金余额已恢复至 ${x.money(f.cash)}，不低于预警阈值 ${x.money(f.threshold)}。`],
  }),
};

const EN: Record<NotificationCategory, Words> = {
  order_created: (f, x) => ({
    title: `Order ${f.orderId}: ${x.money(f.amount)} to pay`,
    lines: [
      `Order ${f.orderId} (${x.type}, cluster ${f.clusterName}) was created in ${f.orgName}: ${x.money(f.amount)} to pay.`,
      `Please pay by ${x.time(f.deadline)}; an unpaid order times out then.`,
    ],
  }),
  order_unpaid: (f, x) => ({
    title: `Order ${f.orderId} times out within 24 hours`,
    lines: [
      `The ${x.type} order ${f.orderId} (cluster ${f.clusterName}) of ${x.money(f.amount)} is still unpaid.`,
      `Pay by ${x.time(f.deadline)}; it times out then.`,
    ],
  }),
  order_paid: (f, x) => ({
    title: `Order ${f.orderId} paid: ${x.money(f.amount)}`,
    lines: [
      `The ${x.type} order ${f.orderId} (cluster ${f.clusterName}) was paid from the cash balance at ${x.time(f.paidAt)}: ${x.money(f.amount)}.`,
    ],
  }),
  order_timed_out: (f, x) => ({
    title: `Order ${f.orderId} timed out`,
    lines: [
      `The ${x.type} order ${f.orderId} (cluster ${f.clusterName}, ${x.money(f.amount)}) was not paid by ${x.time(f.deadline)} and timed out.`,
      'Place a new order if you still need it.',
    ],
  }),
  topup_credited: (f, x) => ({
    title: `Top-up credited: ${x.money(f.amount)}`,
    lines: [
      `A bank transfer of ${x.money(f.amount)} to ${f.orgName} was credited at ${x.time(f.at)}.`,
      `Cash balance: ${x.money(f.cash)}.`,
    ],
  }),
  bill_issued: (f, x) => ({
    title: `Bill ${f.month} issued: ${x.money(f.amountDue)} due`,
    lines: [
      `The ${f.month} bill of ${f.orgName} was issued: ${x.money(f.amountDue)} due, ${x.money(f.unpaidAmount)} unpaid.`,
    ],
  }),
  bill_unpaid: (f, x) => ({
    title: `Bill ${f.month}: ${x.money(f.unpaidAmount)} unpaid`,
    lines: [
      `The ${f.month} bill of ${f.orgName} has ${x.money(f.unpaidAmount)} unpaid. A top-up pays it automatically.`,
    ],
  }),
  bill_overdue: (f, x) => ({
    title: `Bill ${f.month} overdue: ${x.money(f.unpaidAmount)} in arrears`,
    lines: [
      `The ${f.month} bill of ${f.orgName} is overdue with ${x.money(f.unpaidAmount)} unpaid.`,
      'The organization is frozen: it cannot create, upgrade or renew clusters until every overdue bill is paid.',
    ],
  }),
  cluster_expiring: (f, x) => ({
    title: `Cluster ${f.clusterName} expires in ${f.daysLeft} days`,
    lines: [
      `The subscription of cluster ${f.clusterName} ends at ${x.time(f.termEndsAt)}.`,
      'The cluster stops serving then; renew it in time.',
    ],
  }),
  cluster_expiring_soon: (f, x) => ({
    title: `Cluster ${f.clusterName} expires in ${f.daysLeft} ${f.daysLeft === 1 ? 'day' : 'days'}`,
    lines: [
      `The subscription of cluster ${f.clusterName} ends at ${x.time(f.termEndsAt)}.`,
      'The cluster stops serving then; renew it now.',
    ],
  }),
  cluster_expired: (f, x) => ({
    title: `Cluster ${f.clusterName} expired`,
    lines: [
      `The subscription of cluster ${f.clusterName} ended at ${x.time(f.termEndsAt)}; it stopped serving and its data is kept.`,
      `Renew it before ${x.time(f.recycleAt)} to bring it back; after that it moves to the recycle bin.`,
    ],
  }),
  cluster_recycled: (f, x) => ({
    title: `Cluster ${f.clusterName} moved to the recycle bin`,
    lines: [
      `Cluster ${f.clusterName} is in the recycle bin and can no longer be renewed.`,
      `Its data is kept until ${x.time(f.deleteAt)} and deleted after that.`,
    ],
  }),
  auto_renew_failed: (f, x) => ({
    title: `Auto-renew of cluster ${f.clusterName} failed: ${x.money(f.shortfall)} short`,
    lines: [
      `The auto-renew order ${f.orderId} of ${x.money(f.amount)} could not be paid: the cash balance is ${x.money(f.shortfall)} short.`,
      'After a top-up the next attempt pays it; you may also pay it yourself.',
    ],
  }),
  balance_low: (f, x) => ({
    title: `Cash balance below ${x.money(f.threshold)}: ${x.money(f.cash)}`,
    lines: [
      `The cash balance of ${f.orgName} is ${x.money(f.cash)}, below the alert threshold of ${x.money(f.threshold)}.`,
      'Top up in time so that orders can be paid and bills do not fall into arrears.',
    ],
  }),
  balance_recovered: (f, x) => ({
    title: `Cash balance recovered: ${x.money(f.cash)}`,
    lines: [
      `The cash balance of ${f.orgName} is ${x.money(f.cash)} again, no longer below the alert threshold of ${x.money(f.threshold)}.`,
    ],
  }),
};

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export function renderMessage(locale: MailLocale, facts: MessageFacts, publicUrl: string): RenderedMessage {
  const zh = locale === 'zh-CN';
  const x: Fmt = {
    money: (fen) => formatMinor(fen, facts.currency),
    time: (at) => `${localDateTime(at, facts.timeZone)} (${facts.timeZone})`,
    type: facts.orderType ? (zh ? ZH_TYPES : EN_TYPES)[facts.orderType] : '',
  };
  // Each category's words read only the facts its event provides (deliver-events.ts factsOf).
  const { title, lines } = (zh ? ZH : EN)[facts.category](facts as Required<MessageFacts>, x);
  const url = `${publicUrl}${facts.path}`;
  const open = zh ? '在控制台查看' : 'Open in the console';
  const footer = zh
    ? '此邮件由 Tally 费用中心自动发送，请勿回复。可在控制台的通知设置中管理提醒（关键提醒不可关闭）。'
    : 'Sent by the Tally billing center; please do not reply. Manage reminders in the console’s notification settings (critical ones cannot be muted).';
  const text = [title, '', ...lines, '', `${open}: ${url}`, '', '--', footer].join('\n');
  const html = `<!doctype html>
<html lang="${zh ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:-apple-system,'PingFang SC','Microsoft YaHei',Helvetica,Arial,sans-serif;color:#1f1f1f">
<h2 style="font-size:18px">${escapeHtml(title)}</h2>
${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
<p><a href="${escapeHtml(url)}" style="color:#1677ff">${escapeHtml(open)}</a></p>
<hr><p style="color:#8c8c8c;font-size:12px">${escapeHtml(footer)}</p>
</body></html>`;
  return { title, body: lines.join('\n'), text, html };
}
