// Toasts for the console. antd's message.success/info/warning/error return a thenable that settles when the notice
// closes; nothing in the console waits for that, so these return nothing and call sites need no `void`.
// `loading` keeps antd's return value: it is the function that hides the notice.
import { App } from "antd";
import type { MessageInstance } from "antd/es/message/interface";
import { useMemo } from "react";

type Show = (...args: Parameters<MessageInstance["info"]>) => void;

export interface Toast {
  success: Show;
  info: Show;
  warning: Show;
  error: Show;
  loading: MessageInstance["loading"];
}

export function useToast(): Toast {
  const { message } = App.useApp();
  return useMemo(
    () => ({
      success: (...a) => void message.success(...a),
      info: (...a) => void message.info(...a),
      warning: (...a) => void message.warning(...a),
      error: (...a) => void message.error(...a),
      loading: message.loading,
    }),
    [message],
  );
}
