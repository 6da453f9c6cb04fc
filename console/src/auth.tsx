// Who is signed in. The session itself is an HttpOnly cookie the page never sees; /api/me says
// who it belongs to and what their roles allow.

import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";

import { api, setUnauthorizedHandler } from "./api";
import type { Me } from "./types";

interface AuthState {
  me: Me | null;
  loading: boolean;
  signIn: (apiKey: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    setUnauthorizedHandler(() => setMe(null));
    api
      .get<Me>("/api/me")
      .then(setMe)
      .catch(() => setMe(null))
      .finally(() => setLoading(false));
    return () => setUnauthorizedHandler(null);
  }, []);

  const signIn = useCallback(async (apiKey: string) => {
    setMe(await api.post<Me>("/api/session", { api_key: apiKey }));
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.del("/api/session");
    } finally {
      setMe(null);
    }
  }, []);

  return <AuthContext.Provider value={{ me, loading, signIn, signOut }}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside AuthProvider");
  return state;
}
