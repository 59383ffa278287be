import { Alert, Button, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { useSession } from '../../app/session.js';
import { useI18n } from '../../i18n/i18n.js';
import { SignedOutCard } from './SignedOutCard.js';

/** Only same-site paths may be the target after sign-in (no open redirect). */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const { t, errorText } = useI18n();
  const { state, signIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get('next'));
  if (state.status === 'ready') return <Navigate to={next} replace />;

  const onFinish = async (v: { email: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await signIn(v.email, v.password);
      navigate(next, { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <SignedOutCard title={t('login.title')}>
      <Typography.Paragraph type="secondary">{t('login.subtitle')}</Typography.Paragraph>
      {error !== undefined && (
        <Alert
          type="error"
          showIcon
          title={errorText(error)}
          style={{ marginBottom: 16 }}
          data-testid="login-error"
        />
      )}
      <Form layout="vertical" onFinish={onFinish} requiredMark={false}>
        <Form.Item
          label={t('login.email')}
          name="email"
          rules={[{ required: true, message: t('login.emailRequired') }]}
        >
          <Input autoComplete="username" type="email" data-testid="login-email" />
        </Form.Item>
        <Form.Item
          label={t('login.password')}
          name="password"
          rules={[{ required: true, message: t('login.passwordRequired') }]}
        >
          <Input.Password autoComplete="current-password" data-testid="login-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
          {t('login.submit')}
        </Button>
      </Form>
    </SignedOutCard>
  );
}
