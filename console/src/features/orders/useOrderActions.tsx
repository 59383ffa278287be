import { type ReactNode, Suspense, useCallback, useEffect, useState } from 'react';
import { downloadFile } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { Order } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { lazyPage } from '../../components/lazyPage.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';

// The dialogs (antd Modal and Descriptions) load right after the first screen, not before it.
const loadPay = () => import('./PayDialog.js');
const loadCancel = () => import('./CancelDialog.js');
const PayDialog = lazyPage(() => loadPay().then((m) => m.PayDialog));
const CancelDialog = lazyPage(() => loadCancel().then((m) => m.CancelDialog));

/** 支付, 取消订单 and 下载 for any view of orders; `onUpdated` puts the answer in place (no reload). */
export function useOrderActions(onUpdated: (o: Order) => void): {
  pay(o: Order): void;
  cancel(o: Order): void;
  download(o: Order): Promise<void>;
  downloading: string | undefined;
  dialogs: ReactNode;
} {
  const { t, locale, errorText } = useI18n();
  const message = useToast();
  const { org } = useOrg();
  const [dialog, setDialog] = useState<{ kind: 'pay' | 'cancel'; order: Order } | undefined>();
  const [downloading, setDownloading] = useState<string | undefined>();
  const close = useCallback(() => setDialog(undefined), []);
  // Pay or cancel refused because the order moved on (paid elsewhere, timed out): show it as it is now.
  const refresh = useCallback(
    (o: Order) => {
      api.order(org.id, o.id).then(onUpdated, () => {});
    },
    [org.id, onUpdated],
  );
  useEffect(() => {
    const preload = () => {
      void loadPay();
      void loadCancel();
    };
    const id = setTimeout(preload, 300);
    return () => clearTimeout(id);
  }, []);

  const download = useCallback(
    async (o: Order) => {
      setDownloading(o.id);
      try {
        const name = await downloadFile(
          api.orderDocumentPath(org.id, o.id, locale === 'en-US' ? 'en' : 'zh-CN'),
          `${o.id}.pdf`,
        );
        message.success(t('orders.downloaded', { name }));
      } catch (e) {
        message.error(`${t('orders.downloadFailed')}: ${errorText(e)}`);
      } finally {
        setDownloading(undefined);
      }
    },
    [org.id, locale, message, t, errorText],
  );

  const dialogs = (
    <Suspense fallback={null}>
      {dialog?.kind === 'pay' ? (
        <PayDialog
          order={dialog.order}
          onStale={refresh}
          onClose={close}
          onPaid={(o) => {
            onUpdated(o);
            close();
            message.success(t('pay.done'));
          }}
        />
      ) : dialog?.kind === 'cancel' ? (
        <CancelDialog
          order={dialog.order}
          onStale={refresh}
          onClose={close}
          onCancelled={(o) => {
            onUpdated(o);
            close();
            message.success(t('cancel.done'));
          }}
        />
      ) : null}
    </Suspense>
  );

  return {
    pay: (order) => setDialog({ kind: 'pay', order }),
    cancel: (order) => setDialog({ kind: 'cancel', order }),
    download,
    downloading,
    dialogs,
  };
}
