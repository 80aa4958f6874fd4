// Runs a page's actions with a busy flag (which button spins); a failure becomes a message saying what to do.
import { useState } from "react";
import { errorText } from "./errors";
import { useToast } from "./toast";

/** `run(key, fn, ok?)`: true when fn succeeded (then `ok` is shown); `busy` is the key of the action running. */
export function useAction() {
  const message = useToast();
  const [busy, setBusy] = useState<string | null>(null);
  const run = async (key: string, fn: () => Promise<unknown>, ok?: string) => {
    setBusy(key);
    try {
      await fn();
      if (ok) message.success(ok);
      return true;
    } catch (e) {
      message.error({ content: errorText(e), duration: 6 });
      return false;
    } finally {
      setBusy(null);
    }
  };
  return { busy, run };
}
