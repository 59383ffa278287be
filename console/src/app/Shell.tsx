import { Button, Flex, Layout, Select } from 'antd';
import type { ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import type { MeOrg } from '../api/types.js';
import { type MessageKey, useI18n } from '../i18n/i18n.js';
import { useMe, useSession } from './session.js';

// The side navigation: plain links (antd's Menu would add ~130 KB of source to the first screen).
const GROUPS: { label: MessageKey; items: { key: string; label: MessageKey }[] }[] = [
  {
    label: 'nav.billingCenter',
    items: [
      { key: 'orders', label: 'nav.orders' },
      { key: 'bills', label: 'nav.bills' },
      { key: 'balance', label: 'nav.balance' },
      { key: 'topup', label: 'nav.topup' },
    ],
  },
  { label: 'nav.resources', items: [{ key: 'clusters', label: 'nav.clusters' }] },
  { label: 'nav.account', items: [{ key: 'api-keys', label: 'nav.apiKeys' }] },
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
              <span data-testid="org-name">{org.name}</span>
            ) : null}
            <Button
              type="text"
              data-testid="lang-switch"
              onClick={() => setLocale(locale === 'zh-CN' ? 'en-US' : 'zh-CN')}
            >
              {t('header.switchLanguage')}
            </Button>
            <span style={{ color: 'rgba(0,0,0,0.45)' }}>{me.user.email}</span>
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
        <Layout.Sider width={176} theme="light" style={{ borderRight: '1px solid #f0f0f0' }}>
          {org && (
            <nav className="tally-nav" aria-label={t('nav.billingCenter')}>
              {GROUPS.map((g) => (
                <div key={g.label}>
                  <div className="tally-nav-group">{t(g.label)}</div>
                  {g.items.map((s) => (
                    <Link
                      key={s.key}
                      to={`${base}/${s.key}`}
                      className={
                        s.key === section ? 'tally-nav-item tally-nav-item-active' : 'tally-nav-item'
                      }
                      aria-current={s.key === section ? 'page' : undefined}
                    >
                      {t(s.label)}
                    </Link>
                  ))}
                </div>
              ))}
            </nav>
          )}
        </Layout.Sider>
        <Layout.Content style={{ padding: 24, minWidth: 0 }}>{children}</Layout.Content>
      </Layout>
    </Layout>
  );
}
