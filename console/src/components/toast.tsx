import type { MessageInstance } from 'antd/es/message/interface.js';

/**
 * Success and error toasts after a user's action. antd's message module loads on the first toast, so that it
 * (and the notification code it brings) stays out of the first screen's bundle.
 */
let loaded: Promise<MessageInstance> | undefined;
const messageApi = () => {
  loaded ??= import('antd/es/message/index.js').then((m) => (m.default ?? m) as unknown as MessageInstance);
  return loaded;
};

export const toast = {
  success: (text: string) => void messageApi().then((m) => m.success(text)),
  error: (text: string) => void messageApi().then((m) => m.error(text)),
};

export function useToast(): typeof toast {
  return toast;
}
