import { Alert, Button, Card, Col, Empty, Flex, Row, Statistic, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { api } from '../../api/endpoints.js';
import type { Coupon } from '../../api/types.js';
import { can } from '../../app/access.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { ErrorState, PageLoading } from '../../components/states.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';

function Coupons() {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const coupons = useAsync(() => api.coupons(org.id), [org.id]);
  if (coupons.error) {
    return (
      <Alert
        type="error"
        showIcon
        title={errorText(coupons.error)}
        action={
          <Button size="small" onClick={coupons.reload} data-testid="retry">
            {t('common.retry')}
          </Button>
        }
      />
    );
  }
  return (
    <CardTable<Coupon>
      rowKey="id"
      size="small"
      loading={coupons.loading}
      pagination={false}
      dataSource={coupons.data?.items ?? []}
      locale={{ emptyText: <Empty description={t('coupon.empty')} /> }}
      columns={[
        {
          title: t('coupon.amount'),
          dataIndex: 'amount',
          render: (v: number, c) => formatMoney(v, c.currency),
        },
        {
          title: t('coupon.remaining'),
          dataIndex: 'remaining',
          render: (v: number, c) => formatMoney(v, c.currency),
        },
        {
          title: t('coupon.expiresAt'),
          dataIndex: 'expiresAt',
          render: (v: string) => formatInstant(v, org.timeZone),
        },
      ]}
    />
  );
}

/** 现金余额 and 优惠券余额. */
export function BalancePage() {
  const { t } = useI18n();
  const { org } = useOrg();
  const balance = useAsync(() => api.balance(org.id), [org.id]);
  if (balance.error) return <ErrorState error={balance.error} onRetry={balance.reload} />;
  if (!balance.data) return <PageLoading />;
  const b = balance.data;
  const showCoupons = can(org, 'coupon.read');
  return (
    <Card title={t('balance.title')} data-testid="balance-page">
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Card>
            <Statistic
              title={t('balance.cash')}
              value={formatMoney(b.cash, b.currency)}
              data-testid="balance-cash"
            />
            <Typography.Paragraph type="secondary" style={{ margin: '8px 0' }}>
              {t('balance.cashNote')}
            </Typography.Paragraph>
            <Flex gap={16} align="center" wrap>
              <Link to={`/orgs/${org.id}/topup`}>
                <Button type="primary">{t('balance.topup')}</Button>
              </Link>
              {can(org, 'ledger.read') && (
                <Link to={`/orgs/${org.id}/ledger`} data-testid="balance-ledger-link">
                  {t('balance.ledgerLink')}
                </Link>
              )}
            </Flex>
          </Card>
        </Col>
        <Col xs={24} md={12}>
          <Card>
            <Statistic
              title={t('balance.coupons')}
              value={formatMoney(b.coupons, b.currency)}
              data-testid="balance-coupons"
            />
            <Alert type="info" showIcon title={t('balance.couponNote')} style={{ marginTop: 8 }} />
          </Card>
        </Col>
      </Row>
      {showCoupons && (
        <>
          <Typography.Title level={5} style={{ marginTop: 24 }}>
            {t('balance.couponList')}
          </Typography.Title>
          <Coupons />
        </>
      )}
    </Card>
  );
}
