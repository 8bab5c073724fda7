// An optional request-rate limit per account (a token bucket holding one second's worth of
// requests), answered like the documented 429. Vobiz documents no numeric REST limit (notes
// §2.6), so it is off unless asked for; the benchmark uses it to show the provider stays polite.

export interface RateLimitConfig {
  /** Requests per second per account; 0 = no limit. */
  perSecond: number;
}

export function parseRateLimit(input: unknown, bad: (m: string) => never): RateLimitConfig {
  const o = input as { perSecond?: unknown } | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return bad('rate limit must be an object {"perSecond": N}');
  const extra = Object.keys(o).find((k) => k !== 'perSecond');
  if (extra !== undefined) bad(`unknown rate limit key "${extra}"`);
  const n = o.perSecond;
  if (n === undefined) bad('perSecond is required: {"perSecond": N}');
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100_000) bad(`perSecond must be an integer from 0 to 100000, got ${JSON.stringify(n)}`);
  return { perSecond: n as number };
}

export class RequestRateLimit {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(public config: RateLimitConfig = { perSecond: 0 }) {}

  configure(config: RateLimitConfig): void {
    this.config = config;
    this.buckets.clear();
  }

  /** Undefined when the request may go ahead; otherwise the whole seconds to wait (Retry-After). */
  take(account: string, now: number): number | undefined {
    const rate = this.config.perSecond;
    if (rate <= 0) return undefined;
    const b = this.buckets.get(account) ?? { tokens: rate, at: now };
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) * rate) / 1000);
    b.at = now;
    this.buckets.set(account, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rate));
  }
}
