import { Button, type ResultProps, Spin } from 'antd';
import { lazy, Suspense } from 'react';
import { Link } from 'react-router-dom';
import { ApiError } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';

const ResultView = lazy(() => import('./ResultView.js'));

/** A result page (无权限, 未找到, errors) whose illustration loads on demand; the text shows at once. */
export function Result({ 'data-testid': testId, ...props }: ResultProps & { 'data-testid'?: string }) {
  return (
    <div data-testid={testId}>
      <Suspense
        fallback={
          <div style={{ padding: 48, textAlign: 'center' }}>
            <div style={{ fontSize: 24 }}>{props.title}</div>
            <div style={{ color: '#888', marginTop: 8 }}>{props.subTitle}</div>
          </div>
        }
      >
        <ResultView {...props} />
      </Suspense>
    </div>
  );
}

export function PageLoading() {
  const { t } = useI18n();
  return (
    <div style={{ padding: 48, textAlign: 'center' }} data-testid="loading">
      <Spin />
      <div style={{ marginTop: 12, color: '#888' }}>{t('common.loading')}</div>
    </div>
  );
}

export function Forbidden() {
  const { t } = useI18n();
  return (
    <Result
      status="403"
      title={t('forbidden.title')}
      subTitle={t('forbidden.desc')}
      data-testid="forbidden"
    />
  );
}

export function NotFound() {
  const { t } = useI18n();
  return (
    <Result
      status="404"
      title={t('notFound.title')}
      subTitle={t('notFound.desc')}
      data-testid="not-found"
      extra={
        <Link to="/">
          <Button type="primary">{t('notFound.home')}</Button>
        </Link>
      }
    />
  );
}

/**
 * Any failed load: 403 is the 无权限 page, 404 the not-found page, anything else its meaning (describeError), the
 * API's error code for support, and a retry.
 */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t, errorText } = useI18n();
  if (error instanceof ApiError && error.status === 403 && error.code === 'FORBIDDEN') return <Forbidden />;
  if (error instanceof ApiError && error.status === 404) return <NotFound />;
  return (
    <Result
      status="error"
      title={t('error.title')}
      subTitle={
        error instanceof ApiError && error.status !== 0 ? (
          <>
            <div>{errorText(error)}</div>
            <div data-testid="error-code">{t('error.code', { code: error.code })}</div>
          </>
        ) : (
          errorText(error)
        )
      }
      data-testid="error-state"
      extra={
        onRetry ? (
          <Button type="primary" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
    />
  );
}
