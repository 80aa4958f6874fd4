// The one REST client of the console (client SDK), tokens kept in sessionStorage: a reload keeps the session,
// closing the tab ends it. When the session ends, listeners (the router) send the user to the login.
import { createRestClient, type StoredSession, type TokenStore, type YilianError } from "@yilian/client-sdk";

const KEY = "yilian.session";

const sessionStore: TokenStore = {
  get() {
    try {
      const raw = sessionStorage.getItem(KEY);
      return raw ? (JSON.parse(raw) as StoredSession) : null;
    } catch {
      return null;
    }
  },
  set(s) {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
  },
};

type Listener = (e: YilianError) => void;
const listeners = new Set<Listener>();
export const onSessionEnded = (l: Listener) => {
  listeners.add(l);
  return () => void listeners.delete(l);
};

export const api = createRestClient({
  store: sessionStore,
  onSessionEnded: (e) => listeners.forEach((l) => l(e)),
});

/** Saves a downloaded file (PDF, CSV, XLSX) through a temporary blob: URL. */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
