import { Button, Spin } from 'antd';
import type { ReactNode } from 'react';
import { useLocation } from 'react-router-dom';
import { ApiError } from '../api/client.js';
import { landingPath } from '../app/access.js';
import { useSession } from '../app/session.js';
import { useI18n } from '../i18n/i18n.js';
import { LinkButton } from './LinkButton.js';
import { ChunkLoadError, isChunkLoadError } from './lazyPage.js';

type Status = 'info' | 'error' | 'warning' | '403' | '404';
// Darker than antd's defaults, so that each glyph has 4.5:1 on white (WCAG 2.1 AA).
const GLYPH: Record<Status, { text: string; color: string }> = {
  info: { text: 'i', color: '#0958d9' },
  error: { text: '!', color: '#cf1322' },
  warning: { text: '!', color: '#ad4e00' },
  '403': { text: '403', color: '#ad4e00' },
  '404': { text: '404', color: '#595959' },
};

/**
 * A result page (无权限, 未找到, errors): plain markup in the first bundle, so that it shows even when no
 * further code can be downloaded.
 */
export function Result({
  status,
  title,
  subTitle,
  extra,
  'data-testid': testId,
}: {
  status: Status;
  title: ReactNode;
  subTitle?: ReactNode;
  extra?: ReactNode;
  'data-testid'?: string;
}) {
  const g = GLYPH[status];
  return (
    <div data-testid={testId} role={status === 'error' ? 'alert' : undefined} className="tally-result">
      <div aria-hidden className="tally-result-glyph" style={{ borderColor: g.color, color: g.color }}>
        {g.text}
      </div>
      <div className="tally-result-title">{title}</div>
      {subTitle !== undefined && <div className="tally-result-sub">{subTitle}</div>}
      {extra !== undefined && <div className="tally-result-extra">{extra}</div>}
    </div>
  );
}

export function PageLoading() {
  const { t } = useI18n();
  return (
    <div style={{ padding: 48, textAlign: 'center' }} data-testid="loading">
      <Spin />
      <div style={{ marginTop: 12, color: '#595959' }}>{t('common.loading')}</div>
    </div>
  );
}

/** The start page of the org in the address (else the root, which picks one). */
function useHomePath(): string {
  const { state } = useSession();
  const location = useLocation();
  const orgId = /^\/orgs\/([^/]+)/.exec(location.pathname)?.[1];
  const org = state.status === 'ready' ? state.me.orgs.find((o) => o.id === orgId) : undefined;
  return org ? landingPath(org) : '/';
}

export function Forbidden() {
  const { t } = useI18n();
  const home = useHomePath();
  return (
    <Result
      status="403"
      title={t('forbidden.title')}
      subTitle={t('forbidden.desc')}
      data-testid="forbidden"
      extra={
        <LinkButton to={home} type="primary" data-testid="forbidden-back">
          {t('forbidden.back')}
        </LinkButton>
      }
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
        <LinkButton to="/" type="primary">
          {t('notFound.home')}
        </LinkButton>
      }
    />
  );
}

/** 页面加载失败: a page's code could not be downloaded. 重新加载 downloads it again, else reloads the page. */
export function ChunkError({ error, onRecovered }: { error: unknown; onRecovered: () => void }) {
  const { t } = useI18n();
  const reload = async () => {
    try {
      if (!(error instanceof ChunkLoadError)) throw error;
      await error.retry();
      onRecovered();
    } catch {
      window.location.reload();
    }
  };
  return (
    <Result
      status="warning"
      title={t('chunk.title')}
      subTitle={t('chunk.desc')}
      data-testid="chunk-error"
      extra={
        <Button type="primary" onClick={reload} data-testid="chunk-reload">
          {t('chunk.reload')}
        </Button>
      }
    />
  );
}

/**
 * Any failed load: 403 is the 无权限 page, 404 the not-found page, a page's code that did not download is
 * 页面加载失败 with 重新加载, anything else its meaning (describeError), the API's error code for support, and a
 * retry.
 */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t, errorText } = useI18n();
  if (error instanceof ApiError && error.status === 403 && error.code === 'FORBIDDEN') return <Forbidden />;
  if (error instanceof ApiError && error.status === 404) return <NotFound />;
  if (isChunkLoadError(error)) return <ChunkError error={error} onRecovered={() => onRetry?.()} />;
  const network = error instanceof ApiError && error.status === 0;
  return (
    <Result
      status="error"
      title={t('error.title')}
      subTitle={
        error instanceof ApiError && !network ? (
          <>
            <div data-testid="error-text">{errorText(error)}</div>
            <div data-testid="error-code">{t('error.code', { code: error.code })}</div>
          </>
        ) : (
          <div data-testid="error-text">{errorText(error)}</div>
        )
      }
      data-testid="error-state"
      extra={
        onRetry ? (
          <Button type="primary" onClick={onRetry} data-testid="retry">
            {t('common.retry')}
          </Button>
        ) : undefined
      }
    />
  );
}
