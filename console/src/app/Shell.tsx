import { Button, Drawer, Flex, Layout, Select } from 'antd';
import { type ReactNode, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import type { MeOrg } from '../api/types.js';
import { ArrearsBanner } from '../features/bills/ArrearsBanner.js';
import { NotificationBell } from '../features/notifications/NotificationBell.js';
import { type MessageKey, useI18n } from '../i18n/i18n.js';
import { useNarrow } from '../lib/responsive.js';
import { canSee, type Section } from './access.js';
import { useMe, useSession } from './session.js';

// The side navigation: plain links (antd's Menu would add ~130 KB of source to the first screen).
const GROUPS: { label: MessageKey; items: { key: Section; label: MessageKey }[] }[] = [
  {
    label: 'nav.billingCenter',
    items: [
      { key: 'orders', label: 'nav.orders' },
      { key: 'bills', label: 'nav.bills' },
      { key: 'balance', label: 'nav.balance' },
      { key: 'ledger', label: 'nav.ledger' },
      { key: 'topup', label: 'nav.topup' },
      { key: 'invoices', label: 'nav.invoices' },
    ],
  },
  { label: 'nav.resources', items: [{ key: 'clusters', label: 'nav.clusters' }] },
  {
    label: 'nav.account',
    items: [
      { key: 'notifications', label: 'nav.notifications' },
      { key: 'settings', label: 'nav.settings' },
      { key: 'webhooks', label: 'nav.webhooks' },
      { key: 'api-keys', label: 'nav.apiKeys' },
    ],
  },
];

/** The menu items the caller's roles may use in the org (server/src/access/policy.ts). */
function Nav({ org, section, onNavigate }: { org: MeOrg; section: string; onNavigate?: () => void }) {
  const { t } = useI18n();
  const base = `/orgs/${org.id}`;
  return (
    <nav className="tally-nav" aria-label={t('nav.menu')} data-testid="nav">
      {GROUPS.map((g) => {
        const items = g.items.filter((s) => canSee(org, s.key));
        if (items.length === 0) return null;
        return (
          <div key={g.label}>
            <div className="tally-nav-group">{t(g.label)}</div>
            {items.map((s) => (
              <Link
                key={s.key}
                to={`${base}/${s.key}`}
                onClick={onNavigate}
                className={s.key === section ? 'tally-nav-item tally-nav-item-active' : 'tally-nav-item'}
                aria-current={s.key === section ? 'page' : undefined}
              >
                {t(s.label)}
              </Link>
            ))}
          </div>
        );
      })}
    </nav>
  );
}

/** The frame of every signed-in page: the menu, the org switcher, the language switch, sign-out. */
export function Shell({ org, children }: { org: MeOrg | undefined; children: ReactNode }) {
  const { t, locale, setLocale } = useI18n();
  const me = useMe();
  const { signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const narrow = useNarrow();
  const [drawerOpen, setDrawerOpen] = useState(false);
  const section = /^\/orgs\/[^/]+\/([^/]+)/.exec(location.pathname)?.[1] ?? 'orders';
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="tally-header">
        <Flex
          align="center"
          justify="space-between"
          style={{ width: '100%', minWidth: 0 }}
          gap={narrow ? 8 : 16}
        >
          <Flex align="center" gap={8} style={{ minWidth: 0 }}>
            {narrow && org && (
              <Button
                data-testid="menu-button"
                aria-label={t('nav.menu')}
                aria-expanded={drawerOpen}
                onClick={() => setDrawerOpen(true)}
              >
                ☰
              </Button>
            )}
            <Link to="/" className="tally-brand">
              {t('app.brand')}
            </Link>
          </Flex>
          <Flex align="center" gap={narrow ? 4 : 12} className="tally-header-actions">
            {me.orgs.length > 1 ? (
              <Select
                data-testid="org-switcher"
                aria-label={t('header.org')}
                style={{ minWidth: narrow ? 96 : 200, maxWidth: narrow ? 140 : undefined }}
                value={org?.id}
                options={me.orgs.map((o) => ({ value: o.id, label: o.name }))}
                onChange={(id: string) => navigate(`/orgs/${id}/${section}`)}
              />
            ) : org && !narrow ? (
              <span data-testid="org-name">{org.name}</span>
            ) : null}
            {org && <NotificationBell org={org} />}
            <Button
              type="text"
              data-testid="lang-switch"
              onClick={() => setLocale(locale === 'zh-CN' ? 'en-US' : 'zh-CN')}
            >
              {t('header.switchLanguage')}
            </Button>
            {!narrow && <span className="tally-muted">{me.user.email}</span>}
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
        {!narrow && (
          <Layout.Sider width={176} theme="light" style={{ borderRight: '1px solid #f0f0f0' }}>
            {org && <Nav org={org} section={section} />}
          </Layout.Sider>
        )}
        {narrow && org && (
          <Drawer
            open={drawerOpen}
            onClose={() => setDrawerOpen(false)}
            placement="left"
            size={240}
            title={org.name}
            styles={{ body: { padding: 0 } }}
          >
            <div className="tally-drawer-user">{me.user.email}</div>
            <Nav org={org} section={section} onNavigate={() => setDrawerOpen(false)} />
          </Drawer>
        )}
        <Layout.Content className="tally-content">
          {org && <ArrearsBanner org={org} />}
          {children}
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
