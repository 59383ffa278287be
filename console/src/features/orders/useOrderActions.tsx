import { type ReactNode, Suspense, useCallback, useEffect, useRef, useState } from 'react';
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
  // What opened the dialog gets the focus back when it closes (the dialog unmounts at once, before antd's Modal
  // could return it); when the answer re-rendered the row without it (支付 is gone once paid), the row's order link.
  const opener = useRef<{ element: HTMLElement | null; orderId: string } | undefined>(undefined);
  const [restore, setRestore] = useState(0);
  const close = useCallback(() => {
    setDialog(undefined);
    setRestore((n) => n + 1);
  }, []);
  useEffect(() => {
    if (restore === 0 || !opener.current) return;
    const { element, orderId } = opener.current;
    opener.current = undefined;
    // after the closing render and the row's new content
    const id = setTimeout(() => focusAfterDialog(element, orderId), 0);
    return () => clearTimeout(id);
  }, [restore]);
  const open = useCallback((kind: 'pay' | 'cancel', order: Order) => {
    opener.current = { element: openerOf(order.id), orderId: order.id };
    setDialog({ kind, order });
  }, []);
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
    pay: (order) => open('pay', order),
    cancel: (order) => open('cancel', order),
    download,
    downloading,
    dialogs,
  };
}

/**
 * The element that opened a dialog: the focused one, or, when that is an item of a menu (更多 → 取消订单), the
 * button that opened the menu.
 */
function openerOf(orderId: string): HTMLElement | null {
  const active = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  if (active && active !== document.body && !active.closest('.ant-dropdown')) return active;
  return (
    document.querySelector<HTMLElement>(
      `[data-row-key="${CSS.escape(orderId)}"] :is([aria-haspopup], [data-testid="more"])`,
    ) ??
    document.querySelector<HTMLElement>(
      '[data-testid="order-detail"] :is([aria-haspopup], [data-testid="more"])',
    ) ??
    active
  );
}

/** Back to the opener if it is still on screen; else to the order's row (its link), else the page's heading. */
function focusAfterDialog(opener: HTMLElement | null, orderId: string): void {
  if (opener?.isConnected && opener.offsetParent !== null && !opener.hasAttribute('disabled')) {
    opener.focus();
    return;
  }
  const row = document.querySelector<HTMLElement>(`[data-row-key="${CSS.escape(orderId)}"]`);
  const target =
    row?.querySelector<HTMLElement>('a[href], button:not([disabled])') ??
    document.querySelector<HTMLElement>('[data-testid="order-detail"] button:not([disabled])') ??
    document.querySelector<HTMLElement>('main h1, main h2, h1, h2');
  if (target && !target.matches('a[href], button, input, [tabindex]')) target.tabIndex = -1;
  target?.focus();
}
