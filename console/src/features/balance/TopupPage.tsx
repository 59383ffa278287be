import { ArrowLeftOutlined, CopyOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Descriptions, Empty, Flex, Skeleton, Statistic, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { Balance, TopUp } from '../../api/types.js';
import { can } from '../../app/access.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { ErrorState, PageLoading } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { isOrderPath, safeReturnTo } from './returnTo.js';

/** The clipboard API needs a secure context; plain HTTP on a LAN host falls back to execCommand. */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('copy refused');
}

/**
 * The account number in groups of four (spacing only: a copy or a selection is the plain number), the org's
 * remittance code at its end marked.
 */
function AccountNumber({ number, code }: { number: string; code: string }) {
  const start = number.length - code.length;
  const groups = [];
  for (let i = 0; i < number.length; i += 4) {
    const g = number.slice(i, i + 4);
    const plain = g.slice(0, Math.max(0, start - i));
    const marked = g.slice(plain.length);
    groups.push(
      <span key={i} className="tally-account-group">
        {plain}
        {marked && <mark>{marked}</mark>}
      </span>,
    );
  }
  return (
    <span className="tally-account-number" data-testid="account-number">
      {groups}
    </span>
  );
}

function History() {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const topups = useAsync(() => api.topups(org.id, cursor), [org.id, cursor]);
  if (topups.error instanceof ApiError && topups.error.status === 403)
    return <Alert type="info" showIcon title={t('topup.historyForbidden')} />;
  if (topups.error)
    return (
      <Alert
        type="error"
        showIcon
        title={errorText(topups.error)}
        action={
          <Button size="small" onClick={topups.reload} data-testid="retry">
            {t('common.retry')}
          </Button>
        }
      />
    );
  return (
    <>
      <CardTable<TopUp>
        rowKey="id"
        size="small"
        loading={topups.loading}
        pagination={false}
        dataSource={topups.data?.items ?? []}
        locale={{ emptyText: <Empty description={t('topup.empty')} /> }}
        data-testid="topup-history"
        columns={[
          {
            title: t('topup.col.time'),
            dataIndex: 'createdAt',
            render: (v: string) => formatInstant(v, org.timeZone),
          },
          {
            title: t('topup.col.amount'),
            dataIndex: 'amount',
            align: 'right',
            render: (v: number, r) => formatMoney(v, r.currency),
          },
          { title: t('topup.col.reference'), dataIndex: 'bankReference' },
        ]}
      />
      {(cursors.length > 1 || topups.data?.nextCursor) && (
        <Flex justify="flex-end" gap={8} style={{ marginTop: 12 }}>
          <Button disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            {t('common.prev')}
          </Button>
          <Button
            disabled={!topups.data?.nextCursor}
            onClick={() => setCursors((c) => [...c, topups.data?.nextCursor ?? undefined])}
          >
            {t('common.next')}
          </Button>
        </Flex>
      )}
    </>
  );
}

/** The cash balance now (and what confirmed bills still owe, when the server says), to decide how much to send. */
function CurrentBalance() {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const balance = useAsync(() => api.balance(org.id), [org.id]);
  if (balance.error)
    return (
      <Alert
        type="error"
        showIcon
        title={`${t('topup.balanceFailed')}: ${errorText(balance.error)}`}
        action={
          <Button size="small" onClick={balance.reload}>
            {t('common.retry')}
          </Button>
        }
      />
    );
  if (!balance.data) return <Skeleton active paragraph={false} />;
  const b: Balance & { amountDue?: number } = balance.data;
  return (
    <Flex gap={48} wrap>
      <Statistic
        title={t('topup.balance')}
        value={formatMoney(b.cash, b.currency)}
        data-testid="topup-balance"
      />
      {b.amountDue !== undefined && b.amountDue > 0 && (
        <Statistic
          title={t('topup.amountDue')}
          value={formatMoney(b.amountDue, b.currency)}
          valueStyle={{ color: '#a8071a' }}
          data-testid="topup-amount-due"
        />
      )}
    </Flex>
  );
}

/** 返回订单 / 返回: the page that sent the user here to top up (a same-org path only). */
function BackLink() {
  const { t } = useI18n();
  const { org } = useOrg();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const back = safeReturnTo(params.get('returnTo'), org.id);
  if (!back) return null;
  return (
    <Button icon={<ArrowLeftOutlined />} onClick={() => navigate(back)} data-testid="topup-back">
      {t(isOrderPath(back, org.id) ? 'topup.backToOrder' : 'topup.back')}
    </Button>
  );
}

/**
 * 充值: the balance now, the org's own remittance account, the rule that a top-up pays no order, the history,
 * and the way back to the order that sent the user here.
 */
export function TopupPage() {
  const { t } = useI18n();
  const message = useToast();
  const { org } = useOrg();
  const account = useAsync(() => api.remittance(org.id), [org.id]);
  if (account.error) return <ErrorState error={account.error} onRetry={account.reload} />;
  if (!account.data) return <PageLoading />;
  const a = account.data;
  const copy = async () => {
    try {
      await copyText(a.accountNumber);
      message.success(t('common.copied'));
    } catch {
      message.error(t('common.copyFailed'));
    }
  };
  return (
    <Flex vertical gap={16} data-testid="topup-page">
      <Card title={t('topup.title')} extra={<BackLink />}>
        <CurrentBalance />
      </Card>
      <Card title={t('topup.method')}>
        <Typography.Paragraph>{t('topup.hint')}</Typography.Paragraph>
        <Descriptions
          bordered
          column={1}
          size="middle"
          items={[
            { key: 'bank', label: t('topup.bank'), children: a.bankName },
            { key: 'name', label: t('topup.accountName'), children: a.accountName },
            {
              key: 'number',
              label: t('topup.accountNumber'),
              children: (
                <Flex align="center" gap={8} wrap>
                  <AccountNumber number={a.accountNumber} code={a.remittanceCode} />
                  <Button icon={<CopyOutlined />} size="small" onClick={copy} data-testid="copy-account">
                    {t('topup.copy')}
                  </Button>
                </Flex>
              ),
            },
            { key: 'code', label: t('topup.code'), children: a.remittanceCode },
            { key: 'currency', label: t('topup.currency'), children: a.currency },
          ]}
        />
        <Alert
          type="warning"
          showIcon
          title={t('topup.note')}
          style={{ marginTop: 16 }}
          data-testid="topup-note"
        />
      </Card>
      {/* the history is the org's (Org Admin, Billing Admin); a Project Admin sees the account to pay into */}
      {can(org, 'topup.read') && (
        <Card title={t('topup.history')}>
          <History />
        </Card>
      )}
    </Flex>
  );
}
