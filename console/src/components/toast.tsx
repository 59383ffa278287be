import { message } from 'antd';

/**
 * Success and error toasts after a user's action. antd's message module ships in the first bundle: an error
 * toast must show when the network is down, when no further code can be downloaded.
 */
export const toast = {
  success: (text: string) => void message.success(text),
  error: (text: string) => void message.error(text),
};

export function useToast(): typeof toast {
  return toast;
}
