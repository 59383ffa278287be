import { Button, Flex, Layout, Menu, Select, Typography } from 'antd';
import type { ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import type { MeOrg } from '../api/types.js';
import { type MessageKey, useI18n } from '../i18n/i18n.js';
import { useMe, useSession } from './session.js';

const SECTIONS: { key: string; label: MessageKey }[] = [
  { key: 'orders', label: 'nav.orders' },
  { key: 'bills', label: 'nav.bills' },
  { key: 'balance', label: 'nav.balance' },
  { key: 'topup', label: 'nav.topup' },
];

/** The frame of every signed-in page: the menu, the org switcher, the language switch, sign-out. */
export function Shell({ org, children }: { org: MeOrg | undefined; children: ReactNode }) {
  const { t, locale, setLocale } = useI18n();
  const me = useMe();
  const { signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const section = /^\/orgs\/[^/]+\/([^/]+)/.exec(location.pathname)?.[1] ?? 'orders';
  const base = org ? `/orgs/${org.id}` : '';
  const menuItems = [
    {
      type: 'group' as const,
      key: 'billing',
      label: t('nav.billingCenter'),
      children: SECTIONS.map((s) => ({
        key: s.key,
        label: <Link to={`${base}/${s.key}`}>{t(s.label)}</Link>,
      })),
    },
    {
      type: 'group' as const,
      key: 'resources',
      label: t('nav.resources'),
      children: [{ key: 'clusters', label: <Link to={`${base}/clusters`}>{t('nav.clusters')}</Link> }],
    },
  ];

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header
        style={{ background: '#fff', borderBottom: '1px solid #f0f0f0', padding: '0 24px', display: 'flex' }}
      >
        <Flex align="center" justify="space-between" style={{ width: '100%' }} gap={16}>
          <Link to="/" style={{ fontWeight: 600, fontSize: 16, color: '#1f1f1f' }}>
            {t('app.brand')}
          </Link>
          <Flex align="center" gap={12}>
            {me.orgs.length > 1 ? (
              <Select
                data-testid="org-switcher"
                aria-label={t('header.org')}
                style={{ minWidth: 200 }}
                value={org?.id}
                options={me.orgs.map((o) => ({ value: o.id, label: o.name }))}
                onChange={(id: string) => navigate(`/orgs/${id}/${section}`)}
              />
            ) : org ? (
              <Typography.Text data-testid="org-name">{org.name}</Typography.Text>
            ) : null}
            <Button
              type="text"
              data-testid="lang-switch"
              onClick={() => setLocale(locale === 'zh-CN' ? 'en-US' : 'zh-CN')}
            >
              {t('header.switchLanguage')}
            </Button>
            <Typography.Text type="secondary">{me.user.email}</Typography.Text>
            <Button
              data-testid="sign-out"
              onClick={async () => {
                await signOut();
                navigate('/login');
              }}
            >
              {t('header.signOut')}
            </Button>
          </Flex>
        </Flex>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={200} theme="light" style={{ borderRight: '1px solid #f0f0f0' }}>
          <Menu mode="inline" selectedKeys={[section]} items={org ? menuItems : []} style={{ border: 0 }} />
        </Layout.Sider>
        <Layout.Content style={{ padding: 24, minWidth: 0 }}>{children}</Layout.Content>
      </Layout>
    </Layout>
  );
}
