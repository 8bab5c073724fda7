// What protects the API from this process and this process from a failing API: one circuit
// breaker, one concurrency bulkhead and one requests-per-second limiter per API origin, shared by
// every resource type in the provider host, plus per-operation statistics and process metrics.
import { AsyncLocalStorage } from "node:async_hooks";
import { bulkhead, BulkheadPolicy, circuitBreaker, CircuitBreakerPolicy, ConsecutiveBreaker, handleWhenResult } from "cockatiel";

export interface GuardSettings {
  /** Consecutive failures (no response, 500, 502, 503, 504) that open the breaker. */
  breakerThreshold: number;
  /** How long an open breaker fails calls fast before letting one probe through. */
  breakerCooldownMs: number;
  /** Requests in flight at once, across all resources. */
  maxConcurrency: number;
  /** 0 = no rate limit. */
  maxRequestsPerSecond: number;
}

/** Statuses (0 = no response) that count towards opening the breaker: the API, not the request, is failing. */
export function isServerFailure(status: number): boolean {
  return status === 0 || status === 500 || status === 502 || status === 503 || status === 504;
}

/**
 * Spaces requests: evenly at `perSecond` when configured, and at a rate learned from 429s when the
 * API has refused some (Vobiz publishes no REST limit). After a 429 the gap between sends becomes
 * one second divided by the requests the API accepted in the last second; each accepted request
 * then narrows it by 3%, so the client probes back up to the limit (additive-increase,
 * multiplicative-decrease in reverse). Pure apart from its own clock, so it is tested without timers.
 */
export class RateLimiter {
  private nextFreeAt = 0;
  private pausedUntil = 0;
  private learnedGapMs = 0;
  private accepted: number[] = [];
  constructor(private readonly perSecond: number) {}

  /**
   * After a 429 the API has said when it will take requests again: every request to it waits
   * until then, not only the refused one, so parallel steps do not turn one 429 into a storm.
   */
  pauseUntil(at: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, at);
  }

  /** Milliseconds left of a pause the API asked for (0 when none). */
  pausedFor(now: number): number {
    return Math.max(0, this.pausedUntil - now);
  }

  /** The API took a request. */
  accept(now: number): void {
    this.accepted.push(now);
    this.forget(now);
    this.learnedGapMs = this.learnedGapMs * 0.97;
    if (this.learnedGapMs < 1) this.learnedGapMs = 0;
  }

  /** The API refused one with 429: slow down to what it accepted in the last second. */
  refused(now: number): void {
    this.forget(now);
    this.learnedGapMs = Math.max(this.learnedGapMs, 1000 / Math.max(1, this.accepted.length));
  }

  /** The gap learned from 429s, in milliseconds (0 when none). */
  get learnedGap(): number {
    return this.learnedGapMs;
  }

  private forget(now: number): void {
    while (this.accepted.length && this.accepted[0] <= now - 1000) this.accepted.shift();
  }

  /** Milliseconds the caller must wait before sending; the slot is reserved. */
  reserve(now: number): number {
    const gap = Math.max(this.perSecond > 0 ? 1000 / this.perSecond : 0, this.learnedGapMs);
    if (gap <= 0) return 0;
    const at = Math.max(now, this.nextFreeAt);
    this.nextFreeAt = at + gap;
    return at - now;
  }
}

export interface Guards {
  breaker: CircuitBreakerPolicy;
  bulkhead: BulkheadPolicy;
  limiter: RateLimiter;
}

const guardsByKey = new Map<string, Guards>();

/** The guards for one API origin (and one set of limits), created on first use. */
export function guardsFor(origin: string, settings: GuardSettings): Guards {
  const key = `${origin}|${settings.breakerThreshold}|${settings.breakerCooldownMs}|${settings.maxConcurrency}|${settings.maxRequestsPerSecond}`;
  let g = guardsByKey.get(key);
  if (!g) {
    const breaker = circuitBreaker(
      handleWhenResult((o) => isServerFailure((o as { status: number }).status)),
      { halfOpenAfter: settings.breakerCooldownMs, breaker: new ConsecutiveBreaker(settings.breakerThreshold) },
    );
    breaker.onBreak(() => count("breakerOpens"));
    g = { breaker, bulkhead: bulkhead(settings.maxConcurrency, Infinity), limiter: new RateLimiter(settings.maxRequestsPerSecond) };
    guardsByKey.set(key, g);
  }
  return g;
}

/** Counters kept per provider operation and for the whole process. */
export interface CallStats {
  requests: number;
  succeeded: number;
  clientErrors: number;
  serverErrors: number;
  noResponse: number;
  retries: number;
  rateLimited: number;
  rateLimitWaitMs: number;
  throttleWaitMs: number;
  breakerOpens: number;
  breakerRejections: number;
  /** Writes whose answer was lost and whose effect was then found by a lookup. */
  recoveredWrites: number;
  latencyMsTotal: number;
  latencyMsMax: number;
}

export function emptyStats(): CallStats {
  return {
    requests: 0, succeeded: 0, clientErrors: 0, serverErrors: 0, noResponse: 0, retries: 0, rateLimited: 0,
    rateLimitWaitMs: 0, throttleWaitMs: 0, breakerOpens: 0, breakerRejections: 0, recoveredWrites: 0,
    latencyMsTotal: 0, latencyMsMax: 0,
  };
}

const processMetrics = emptyStats();
const operationStats = new AsyncLocalStorage<CallStats>();

/** Adds to the current operation's counters (if any) and to the process metrics. */
export function count(key: keyof CallStats, n = 1): void {
  processMetrics[key] += n;
  const op = operationStats.getStore();
  if (op) op[key] += n;
}

export function recordLatency(ms: number): void {
  for (const s of [processMetrics, operationStats.getStore()]) {
    if (!s) continue;
    s.latencyMsTotal += ms;
    s.latencyMsMax = Math.max(s.latencyMsMax, ms);
  }
}

/** A copy of the process-wide metrics: success, latency, errors and rate limiting. */
export function metrics(): CallStats {
  return { ...processMetrics };
}

/** Runs fn with its own counters; every API call made inside (however deep) counts there. */
export async function withOperationStats<T>(fn: () => Promise<T>): Promise<{ stats: CallStats; result?: T; error?: unknown }> {
  const stats = emptyStats();
  try {
    return { stats, result: await operationStats.run(stats, fn) };
  } catch (error) {
    return { stats, error };
  }
}

/** One line for the user when something out of the ordinary happened, else undefined. */
export function summarize(s: CallStats): string | undefined {
  const parts: string[] = [];
  if (s.retries) parts.push(`${s.retries} ${s.retries === 1 ? "retry" : "retries"}`);
  if (s.rateLimited) parts.push(`${s.rateLimited} rate-limit ${s.rateLimited === 1 ? "answer" : "answers"} (429), waited ${seconds(s.rateLimitWaitMs)} for Retry-After`);
  if (s.throttleWaitMs >= 500) parts.push(`held back ${seconds(s.throttleWaitMs)} by vobiz:maxRequestsPerSecond`);
  if (s.breakerOpens) parts.push(`circuit breaker opened ${s.breakerOpens === 1 ? "once" : `${s.breakerOpens} times`}`);
  if (s.breakerRejections) parts.push(`${s.breakerRejections} ${s.breakerRejections === 1 ? "call" : "calls"} refused by the open circuit`);
  if (s.recoveredWrites) parts.push(`${s.recoveredWrites} lost ${s.recoveredWrites === 1 ? "answer" : "answers"} recovered by lookup (no duplicate sent)`);
  if (!parts.length) return undefined;
  return `${s.requests} API ${s.requests === 1 ? "call" : "calls"}: ${parts.join(", ")}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
