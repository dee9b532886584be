import { createContext, useCallback, useContext, useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import type { RequestState } from '../hooks/useRequest';

/** The store (or a service behind it) is down: unreachable, or a 5xx. A 4xx is the request's own problem. */
export function isOutage(error: Error): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status >= 500);
}

interface Failure {
  message: string;
  retry: () => void;
}

interface Outages {
  failures: Map<string, Failure>;
  report: (id: string, failure: Failure | null) => void;
}

const OutageContext = createContext<Outages | null>(null);

/** Collects the page's failing requests, so one banner can stand for all of them. */
export function OutageProvider({ children }: { children: ReactNode }) {
  const [failures, setFailures] = useState<Map<string, Failure>>(() => new Map());
  const report = useCallback((id: string, failure: Failure | null) => {
    setFailures((previous) => {
      if (!failure && !previous.has(id)) return previous;
      const next = new Map(previous);
      if (failure) next.set(id, failure);
      else next.delete(id);
      return next;
    });
  }, []);
  const outages = useMemo(() => ({ failures, report }), [failures, report]);
  return <OutageContext.Provider value={outages}>{children}</OutageContext.Provider>;
}

/**
 * Whether `request` failed because the store is down; if so it is listed in the page's one outage
 * banner (whose Retry retries it) and the caller shows a quiet placeholder instead of its own error.
 */
export function useOutage(request: RequestState<unknown> & { retry: () => void }): boolean {
  const outages = useContext(OutageContext);
  const id = useId();
  const down = request.status === 'error' && isOutage(request.error);
  const message = request.status === 'error' ? request.error.message : '';
  const report = outages?.report;
  const { retry } = request;
  useEffect(() => {
    if (!report) return undefined;
    report(id, down ? { message, retry } : null);
    return () => report(id, null);
  }, [report, id, down, message, retry]);
  return down && report !== undefined;
}

/** One banner for every failing request on the page, with one Retry for all of them. */
export function OutageBanner() {
  const outages = useContext(OutageContext);
  if (!outages || outages.failures.size === 0) return null;
  const failures = [...outages.failures.values()];
  const messages = [...new Set(failures.map((failure) => failure.message))];
  return (
    <div className="outage-banner" role="alert">
      <p className="outage-banner__title">Parts of the store are not answering right now.</p>
      {messages.map((message) => (
        <p key={message} className="outage-banner__message">
          {message}
        </p>
      ))}
      <button type="button" className="button" onClick={() => failures.forEach((failure) => failure.retry())}>
        Retry
      </button>
    </div>
  );
}
