import { Panel } from '../../components/Panel.js';
import { useI18n } from '../../i18n/i18n.js';

/** Scaffold: the page is being built. */
export function InvoicesPage() {
  const { t } = useI18n();
  return (
    <Panel title={t('nav.invoices')} testId="invoices-page">
      {null}
    </Panel>
  );
}
