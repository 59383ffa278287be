import { Alert, Space } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useLocation } from 'react-router-dom';
import type { Balance, MeOrg } from '../../api/types.js';
import { can } from '../../app/access.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { cachedArrears, loadArrears, onArrearsRefresh } from './arrears-store.js';

/**
 * The banner above every page (SPEC §10.3) for the roles that may read the balance: bills still owed
 * (amountDue > 0) as a warning with the way to pay, and a frozen org as an error saying purchases, upgrades
 * and renewals are paused until the overdue bills are paid. At most one balance request per org in 30 s
 * (arrears-store); a failure shows nothing.
 */
export function ArrearsBanner({ org }: { org: MeOrg }) {
  const { t } = useI18n();
  const { pathname } = useLocation();
  const allowed = can(org, 'balance.read');
  const [balance, setBalance] = useState<Balance | undefined>(() =>
    allowed ? cachedArrears(org.id) : undefined,
  );
  const [nonce, setNonce] = useState(0);
  useEffect(
    () =>
      onArrearsRefresh((id) => {
        if (id === org.id) setNonce((n) => n + 1);
      }),
    [org.id],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: a page visit (pathname) or a refresh reads again, from the cache while fresh
  useEffect(() => {
    if (!allowed) {
      setBalance(undefined);
      return;
    }
    let live = true;
    setBalance(cachedArrears(org.id));
    loadArrears(org.id).then((b) => live && setBalance(b));
    return () => {
      live = false;
    };
  }, [org.id, allowed, pathname, nonce]);

  if (!balance || (!balance.frozen && balance.amountDue <= 0)) return null;
  const amount = formatMoney(balance.amountDue, balance.currency);
  const links = (
    <Space size={12} wrap>
      {can(org, 'remittance.read') && (
        <Link to={`/orgs/${org.id}/topup`} data-testid="arrears-topup">
          {t('arrears.topup')}
        </Link>
      )}
      {can(org, 'bill.read') && (
        <Link to={`/orgs/${org.id}/bills`} data-testid="arrears-bills">
          {t('arrears.bills')}
        </Link>
      )}
    </Space>
  );
  return (
    <Alert
      type={balance.frozen ? 'error' : 'warning'}
      showIcon
      role="alert"
      style={{ marginBottom: 16 }}
      data-testid={balance.frozen ? 'arrears-frozen' : 'arrears-due'}
      title={balance.frozen ? t('arrears.frozen', { amount }) : t('arrears.due', { amount })}
      description={links}
    />
  );
}
