import { type ReactNode, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation, useParams } from 'react-router-dom';
import { ErrorBoundary } from '../components/ErrorBoundary.js';
import { lazyPage } from '../components/lazyPage.js';
import { ErrorState, Forbidden, NotFound, PageLoading, Result } from '../components/states.js';
import { OrdersPage } from '../features/orders/OrdersPage.js';
import { useI18n } from '../i18n/i18n.js';
import { can, canSee, landingPath, type Section } from './access.js';
import { OrgHome } from './OrgHome.js';
import { OrgProvider } from './org.js';
import { Shell } from './Shell.js';
import { useSession } from './session.js';

// Each page is its own chunk (lazyPage: a chunk that fails to download offers 重新加载), except the orders page: nearly every visit lands there, so it comes with the
// entry (fetched in parallel with it) rather than after it has run.
const LoginPage = lazyPage(() => import('../features/auth/LoginPage.js').then((m) => m.LoginPage));
const OrderDetailPage = lazyPage(() =>
  import('../features/orders/OrderDetailPage.js').then((m) => m.OrderDetailPage),
);
const ClustersPage = lazyPage(() =>
  import('../features/clusters/ClustersPage.js').then((m) => m.ClustersPage),
);
const CreateClusterPage = lazyPage(() =>
  import('../features/clusters/CreateClusterPage.js').then((m) => m.CreateClusterPage),
);
const BalancePage = lazyPage(() => import('../features/balance/BalancePage.js').then((m) => m.BalancePage));
const TopupPage = lazyPage(() => import('../features/balance/TopupPage.js').then((m) => m.TopupPage));
const BillsPage = lazyPage(() => import('../features/bills/BillsPage.js').then((m) => m.BillsPage));
const LedgerPage = lazyPage(() => import('../features/balance/LedgerPage.js').then((m) => m.LedgerPage));
const InvoicesPage = lazyPage(() =>
  import('../features/invoices/InvoicesPage.js').then((m) => m.InvoicesPage),
);
const NotificationsPage = lazyPage(() =>
  import('../features/notifications/NotificationsPage.js').then((m) => m.NotificationsPage),
);
const SettingsPage = lazyPage(() =>
  import('../features/settings/SettingsPage.js').then((m) => m.SettingsPage),
);
const WebhooksPage = lazyPage(() =>
  import('../features/webhooks/WebhooksPage.js').then((m) => m.WebhooksPage),
);
const ApiKeysPage = lazyPage(() => import('../features/account/ApiKeysPage.js').then((m) => m.ApiKeysPage));
const InvitationPage = lazyPage(() =>
  import('../features/account/InvitationPage.js').then((m) => m.InvitationPage),
);

function RequireSession({ children }: { children: ReactNode }) {
  const { state, retry } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <PageLoading />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={retry} />;
  if (state.status === 'anonymous') {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

function Home() {
  const { state } = useSession();
  const { t } = useI18n();
  if (state.status !== 'ready') return null;
  const first = state.me.orgs[0];
  if (!first)
    return (
      <Shell org={undefined}>
        <Result status="info" title={t('noOrg.title')} subTitle={t('noOrg.desc')} />
      </Shell>
    );
  return <Navigate to={landingPath(first)} replace />;
}

/**
 * A page the caller's roles may not use is never loaded: the 无权限 page with a way back to their start page
 * (the menu does not offer it either; the API would refuse its calls).
 */
function Allowed({ section, create, page }: { section: Section; create?: boolean; page: ReactNode }) {
  const { state } = useSession();
  const { orgId } = useParams();
  const org = state.status === 'ready' ? state.me.orgs.find((o) => o.id === orgId) : undefined;
  if (!org || !canSee(org, section) || (create && !can(org, 'cluster.create'))) return <Forbidden />;
  return <>{page}</>;
}

/** /orgs/:orgId/*: an org the caller does not belong to is not found (never "forbidden"). */
function OrgRoutes() {
  const { orgId } = useParams();
  const location = useLocation();
  const { state } = useSession();
  if (state.status !== 'ready') return null;
  const org = state.me.orgs.find((o) => o.id === orgId);
  if (!org)
    return (
      <Shell org={undefined}>
        <NotFound />
      </Shell>
    );
  return (
    <OrgProvider org={org}>
      <Shell org={org}>
        <ErrorBoundary resetKey={location.pathname}>
          <Suspense fallback={<PageLoading />}>
            <Routes>
              <Route index element={<Navigate to={landingPath(org)} replace />} />
              <Route path="home" element={<OrgHome />} />
              <Route path="orders" element={<Allowed section="orders" page={<OrdersPage />} />} />
              <Route
                path="orders/:orderId"
                element={<Allowed section="orders" page={<OrderDetailPage />} />}
              />
              <Route path="clusters" element={<Allowed section="clusters" page={<ClustersPage />} />} />
              <Route
                path="clusters/new"
                element={<Allowed section="clusters" create page={<CreateClusterPage />} />}
              />
              <Route path="balance" element={<Allowed section="balance" page={<BalancePage />} />} />
              <Route path="topup" element={<Allowed section="topup" page={<TopupPage />} />} />
              <Route path="bills" element={<Allowed section="bills" page={<BillsPage />} />} />
              <Route path="ledger" element={<Allowed section="ledger" page={<LedgerPage />} />} />
              <Route path="invoices" element={<Allowed section="invoices" page={<InvoicesPage />} />} />
              <Route
                path="notifications"
                element={<Allowed section="notifications" page={<NotificationsPage />} />}
              />
              <Route path="settings" element={<Allowed section="settings" page={<SettingsPage />} />} />
              <Route path="webhooks" element={<Allowed section="webhooks" page={<WebhooksPage />} />} />
              <Route path="api-keys" element={<Allowed section="api-keys" page={<ApiKeysPage />} />} />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </Suspense>
        </ErrorBoundary>
      </Shell>
    </OrgProvider>
  );
}

export function App() {
  const location = useLocation();
  return (
    <ErrorBoundary resetKey={location.pathname}>
      <Routes>
        <Route
          path="/login"
          element={
            <Suspense fallback={<PageLoading />}>
              <LoginPage />
            </Suspense>
          }
        />
        <Route
          path="/invite/:token"
          element={
            <Suspense fallback={<PageLoading />}>
              <InvitationPage />
            </Suspense>
          }
        />
        <Route
          path="/"
          element={
            <RequireSession>
              <Home />
            </RequireSession>
          }
        />
        <Route
          path="/orgs/:orgId/*"
          element={
            <RequireSession>
              <OrgRoutes />
            </RequireSession>
          }
        />
        <Route
          path="*"
          element={
            <RequireSession>
              <Shell org={undefined}>
                <NotFound />
              </Shell>
            </RequireSession>
          }
        />
      </Routes>
    </ErrorBoundary>
  );
}
