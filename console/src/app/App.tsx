import { lazy, type ReactNode, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation, useParams } from 'react-router-dom';
import { ErrorBoundary } from '../components/ErrorBoundary.js';
import { ErrorState, NotFound, PageLoading, Result } from '../components/states.js';
import { OrdersPage } from '../features/orders/OrdersPage.js';
import { useI18n } from '../i18n/i18n.js';
import { landingPath, OrgProvider } from './org.js';
import { Shell } from './Shell.js';
import { useSession } from './session.js';

// Each page is its own chunk, except the orders page: nearly every visit lands there, so it comes with the
// entry (fetched in parallel with it) rather than after it has run.
const LoginPage = lazy(() => import('../features/auth/LoginPage.js').then((m) => ({ default: m.LoginPage })));
const OrderDetailPage = lazy(() =>
  import('../features/orders/OrderDetailPage.js').then((m) => ({ default: m.OrderDetailPage })),
);
const ClustersPage = lazy(() =>
  import('../features/clusters/ClustersPage.js').then((m) => ({ default: m.ClustersPage })),
);
const CreateClusterPage = lazy(() =>
  import('../features/clusters/CreateClusterPage.js').then((m) => ({ default: m.CreateClusterPage })),
);
const BalancePage = lazy(() =>
  import('../features/balance/BalancePage.js').then((m) => ({ default: m.BalancePage })),
);
const TopupPage = lazy(() =>
  import('../features/balance/TopupPage.js').then((m) => ({ default: m.TopupPage })),
);
const BillsPage = lazy(() =>
  import('../features/bills/BillsPage.js').then((m) => ({ default: m.BillsPage })),
);
const ApiKeysPage = lazy(() =>
  import('../features/account/ApiKeysPage.js').then((m) => ({ default: m.ApiKeysPage })),
);
const InvitationPage = lazy(() =>
  import('../features/account/InvitationPage.js').then((m) => ({ default: m.InvitationPage })),
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
              <Route path="orders" element={<OrdersPage />} />
              <Route path="orders/:orderId" element={<OrderDetailPage />} />
              <Route path="clusters" element={<ClustersPage />} />
              <Route path="clusters/new" element={<CreateClusterPage />} />
              <Route path="balance" element={<BalancePage />} />
              <Route path="topup" element={<TopupPage />} />
              <Route path="bills" element={<BillsPage />} />
              <Route path="api-keys" element={<ApiKeysPage />} />
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
