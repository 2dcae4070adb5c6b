import { useCallback, useEffect, useRef, useState } from "react";
import { toApiError, type ApiError } from "./api";

export interface Refreshing<T> {
  /** The last list that loaded; undefined until the first answer. */
  data: T | undefined;
  /** Why the last load failed (the last good data stays on screen). */
  error: ApiError | null;
  /** Loads again now. */
  reload: () => void;
}

/**
 * Loads a list when a screen opens, again whenever `trigger` changes (a sync event), and every
 * `everyMs` while the window is visible. Only the answer to the latest request is kept, so a
 * slow answer never overwrites a newer one; nothing is set after the screen closed.
 */
export function useRefreshing<T>(load: () => Promise<T>, trigger: unknown, everyMs?: number): Refreshing<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  // The latest `load` without making it a dependency: callers pass inline arrows.
  const loadRef = useRef(load);
  loadRef.current = load;
  const latest = useRef(0);
  const live = useRef(true);

  const reload = useCallback(() => {
    const request = ++latest.current;
    loadRef.current().then(
      (value) => {
        if (live.current && request === latest.current) {
          setData(value);
          setError(null);
        }
      },
      (caught: unknown) => {
        if (live.current && request === latest.current) setError(toApiError(caught));
      },
    );
  }, []);

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  useEffect(() => {
    reload();
  }, [reload, trigger]);

  useEffect(() => {
    if (!everyMs) return;
    const timer = setInterval(() => {
      // A hidden window (minimised, another desktop) does not need fresh numbers.
      if (typeof document === "undefined" || document.visibilityState !== "hidden") reload();
    }, everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);

  return { data, error, reload };
}
