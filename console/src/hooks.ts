import { useCallback, useEffect, useRef, useState } from "react";

import { ApiError, api } from "./api";

/** GET `path` now and whenever `version` changes; keeps the last answer while reloading. */
export function useApi<T>(path: string | null, version = 0) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const current = useRef(path);
  current.current = path;
  useEffect(() => {
    if (!path) return;
    let cancelled = false;
    api
      .get<T>(path)
      .then((answer) => {
        if (!cancelled && current.current === path) {
          setData(answer);
          setError(null);
        }
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(e instanceof ApiError ? e : new ApiError(0, "network", String(e)));
      });
    return () => {
      cancelled = true;
    };
  }, [path, version, tick]);
  return { data, error, reload };
}
