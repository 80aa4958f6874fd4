// Who is logged in. The user comes from the stored session (sessionStorage) so a reload stays logged in; when
// the SDK reports the session over (refresh failed, revoked), the console returns to the login with a notice,
// remembering where the user was.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { Me, Role } from "@yilian/contract";
import { api, onSessionEnded } from "./api";

interface SessionValue {
  user: Me | null;
  login(username: string, password: string): Promise<Me>;
  logout(): Promise<void>;
  hasRole(...roles: Role[]): boolean;
}

const SessionContext = createContext<SessionValue | null>(null);
export const EXPIRED_FLAG = "yilian.sessionExpired";

export function SessionProvider({ children, onExpired }: { children: ReactNode; onExpired: () => void }) {
  const [user, setUser] = useState<Me | null>(() => api.currentUser());

  useEffect(
    () =>
      onSessionEnded(() => {
        sessionStorage.setItem(EXPIRED_FLAG, "1");
        setUser(null);
        onExpired();
      }),
    [onExpired],
  );

  const login = useCallback(async (username: string, password: string) => {
    const me = await api.login(username, password);
    sessionStorage.removeItem(EXPIRED_FLAG);
    setUser(me);
    return me;
  }, []);
  const logout = useCallback(async () => {
    await api.logout();
    setUser(null);
  }, []);
  const value = useMemo<SessionValue>(
    () => ({ user, login, logout, hasRole: (...roles) => !!user && roles.some((r) => user.roles.includes(r)) }),
    [user, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error("useSession outside SessionProvider");
  return v;
}

/** The logged-in user (only inside the authenticated layout). */
export function useUser(): Me {
  const { user } = useSession();
  if (!user) throw new Error("no user");
  return user;
}
