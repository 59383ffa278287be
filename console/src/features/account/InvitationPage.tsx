import { Alert, Button, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../../api/endpoints.js';
import { useSession } from '../../app/session.js';
import { PageLoading } from '../../components/states.js';
import { useI18n } from '../../i18n/i18n.js';
import { useAsync } from '../../lib/useAsync.js';
import { SignedOutCard } from '../auth/SignedOutCard.js';

/**
 * /invite/:token — the one-time link a new member receives: set a password (typed twice), then sign in with
 * it. A used, expired or unknown link says so and offers the sign-in page.
 */
export function InvitationPage() {
  const { t, errorText } = useI18n();
  const { token = '' } = useParams();
  const { signIn } = useSession();
  const navigate = useNavigate();
  const invitation = useAsync((signal) => api.invitation(token, signal), [token]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const onFinish = async (v: { password: string }) => {
    if (!invitation.data) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.acceptInvitation(token, v.password);
      await signIn(invitation.data.email, v.password);
      navigate('/', { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (invitation.loading) return <PageLoading />;
  return (
    <SignedOutCard title={t('invite.title')} testId="invitation-page">
      {invitation.error !== undefined || !invitation.data ? (
        <>
          <Alert type="error" showIcon title={errorText(invitation.error)} data-testid="invitation-error" />
          <Link to="/login">
            <Button type="primary" style={{ marginTop: 16 }}>
              {t('invite.toLogin')}
            </Button>
          </Link>
        </>
      ) : (
        <>
          <Typography.Paragraph type="secondary">
            {t('invite.subtitle', { email: invitation.data.email })}
          </Typography.Paragraph>
          {error !== undefined && (
            <Alert type="error" showIcon title={errorText(error)} style={{ marginBottom: 16 }} />
          )}
          <Form layout="vertical" onFinish={onFinish} requiredMark={false}>
            <input type="hidden" autoComplete="username" value={invitation.data.email} readOnly />
            <Form.Item
              label={t('invite.password')}
              name="password"
              rules={[{ required: true, min: 8, max: 200, message: t('invite.passwordRule') }]}
            >
              <Input.Password autoComplete="new-password" data-testid="invite-password" />
            </Form.Item>
            <Form.Item
              label={t('invite.passwordAgain')}
              name="again"
              dependencies={['password']}
              rules={[
                { required: true, message: t('invite.passwordRule') },
                ({ getFieldValue }) => ({
                  validator: (_, value) =>
                    !value || value === getFieldValue('password')
                      ? Promise.resolve()
                      : Promise.reject(new Error(t('invite.mismatch'))),
                }),
              ]}
            >
              <Input.Password autoComplete="new-password" data-testid="invite-password-again" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="invite-submit">
              {t('invite.submit')}
            </Button>
          </Form>
        </>
      )}
    </SignedOutCard>
  );
}
