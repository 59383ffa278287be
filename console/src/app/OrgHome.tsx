import { Button } from 'antd';
import { Link, Navigate } from 'react-router-dom';
import { Result } from '../components/states.js';
import { useI18n } from '../i18n/i18n.js';
import { canSee, landingPath, landingSection } from './access.js';
import { useOrg } from './org.js';

/**
 * The start page of a member whose roles see no part of the billing center (an Org Member without a project
 * role): what their role allows and whom to ask, instead of a menu of pages that would all say 无权限.
 */
export function OrgHome() {
  const { t } = useI18n();
  const { org } = useOrg();
  if (landingSection(org) !== 'home') return <Navigate to={landingPath(org)} replace />;
  return (
    <Result
      status="info"
      title={t('home.title')}
      subTitle={t('home.desc', { org: org.name })}
      data-testid="no-billing-access"
      extra={
        canSee(org, 'api-keys') ? (
          <Link to={`/orgs/${org.id}/api-keys`}>
            <Button type="primary" tabIndex={-1}>
              {t('home.apiKeys')}
            </Button>
          </Link>
        ) : undefined
      }
    />
  );
}
