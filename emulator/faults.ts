// Fault injection for API requests (never for /__emulator/ admin routes): added latency,
// connection resets, hangs, "commit then drop/hang", 429 bursts and gateway 5xx.
// Every random choice comes from one seeded PRNG, so a seed and a request sequence reproduce.
import { ApiError, gatewayError, rateLimited } from './errors';
import { Json, unknownKey } from './validate';

export const FAULT_METHODS = ['*', 'GET', 'POST', 'PUT', 'DELETE'] as const;
export const FAULT_STATUSES = [500, 502, 503, 504] as const;
export const DEFAULT_FAULT_SEED = 0x5eed;

export interface FaultRule {
  method: (typeof FAULT_METHODS)[number];
  path: string;
  latencyMs: number;
  jitterMs: number;
  errorRate: number;
  errorStatuses: number[];
  rate429: number;
  burst429: number;
  retryAfterSeconds: number;
  retryAfterForm: 'seconds' | 'date';
  resetRate: number;
  hangRate: number;
  commitDropRate: number;
  commitHangRate: number;
  /** The first `skip` matching requests pass without a fault, so a fault can hit the Nth call. */
  skip: number;
  times?: number;
}

export interface FaultConfig { rules: FaultRule[]; seed: number }
/** What callers may send: any subset of a rule (the rest defaults). */
export interface FaultConfigInput { rules: Partial<FaultRule>[]; seed?: number }

export type FaultKind = 'hang' | 'reset' | 'commit-hang' | 'commit-drop' | '429' | '5xx';
export type Fault =
  | { kind: 'hang' | 'reset' | 'commit-hang' | 'commit-drop' }
  | { kind: '429'; retryAfterSeconds: number; retryAfterForm: 'seconds' | 'date' }
  | { kind: '5xx'; status: number };

const DEFAULTS: Omit<FaultRule, 'times'> = {
  method: '*', path: '**', latencyMs: 0, jitterMs: 0, errorRate: 0, errorStatuses: [...FAULT_STATUSES],
  rate429: 0, burst429: 0, retryAfterSeconds: 1, retryAfterForm: 'seconds',
  resetRate: 0, hangRate: 0, commitDropRate: 0, commitHangRate: 0, skip: 0,
};

type Check = { ok: (v: unknown) => boolean; want: string };
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const count: Check = { ok: isCount, want: 'an integer >= 0' };
const millis: Check = { ok: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, want: 'a number >= 0' };
const rate: Check = { ok: (v) => typeof v === 'number' && v >= 0 && v <= 1, want: 'a number from 0 to 1' };

/** `*` and `**` only as whole segments; the pattern is anchored at the leading `/` (or starts with `**`). */
function isGlob(v: unknown): boolean {
  if (typeof v !== 'string' || v.includes('?')) return false;
  const segs = v.split('/');
  return (segs[0] === '' || segs[0] === '**') && segs.every((s) => !s.includes('*') || s === '*' || s === '**');
}

const CHECKS: Record<keyof FaultRule, Check> = {
  method: { ok: (v) => (FAULT_METHODS as readonly unknown[]).includes(v), want: `one of ${FAULT_METHODS.join(', ')}` },
  path: { ok: isGlob, want: 'a path glob starting with "/" or "**" whose wildcards are whole segments ("*" or "**")' },
  latencyMs: millis,
  jitterMs: millis,
  errorRate: rate,
  errorStatuses: {
    ok: (v) => Array.isArray(v) && v.length > 0 && new Set(v).size === v.length && v.every((s) => (FAULT_STATUSES as readonly unknown[]).includes(s)),
    want: `a non-empty array of distinct statuses from ${FAULT_STATUSES.join(', ')}`,
  },
  rate429: rate,
  burst429: count,
  retryAfterSeconds: count,
  retryAfterForm: { ok: (v) => v === 'seconds' || v === 'date', want: '"seconds" or "date"' },
  resetRate: rate,
  hangRate: rate,
  commitDropRate: rate,
  commitHangRate: rate,
  skip: count,
  times: count,
};

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validate one rule and fill in defaults; `where` names it in messages (e.g. `rules[2]`). */
export function parseFaultRule(input: unknown, where: string, bad: (message: string) => never): FaultRule {
  if (!isObject(input)) bad(`${where} must be an object`);
  const extra = unknownKey(input, Object.keys(CHECKS));
  if (extra !== undefined) bad(`${where} has unknown key "${extra}"`);
  for (const [key, check] of Object.entries(CHECKS))
    if (input[key] !== undefined && !check.ok(input[key])) bad(`${where}.${key} must be ${check.want}`);
  return { ...DEFAULTS, ...(input as Partial<FaultRule>) };
}

export function parseFaultConfig(input: unknown, bad: (message: string) => never): FaultConfig {
  if (!isObject(input)) bad('faults must be an object {rules, seed?}');
  const extra = unknownKey(input, ['rules', 'seed']);
  if (extra !== undefined) bad(`faults has unknown key "${extra}"`);
  if (!Array.isArray(input.rules)) bad('rules must be an array of fault rules');
  const seed = input.seed ?? DEFAULT_FAULT_SEED;
  if (!isCount(seed) || (seed as number) > 0xffffffff) bad('seed must be an integer from 0 to 4294967295');
  return { rules: (input.rules as unknown[]).map((r, i) => parseFaultRule(r, `rules[${i}]`, bad)), seed: seed as number };
}

/** mulberry32: tiny, fast, and good enough to spread fault draws. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Does a glob (split on `/`) match the raw path segments from index pi/si on? */
function globMatch(pat: string[], segs: string[], pi = 0, si = 0): boolean {
  if (pi === pat.length) return si === segs.length;
  if (pat[pi] === '**') {
    for (let k = si; k <= segs.length; k++) if (globMatch(pat, segs, pi + 1, k)) return true;
    return false;
  }
  if (si === segs.length) return false;
  const ok = pat[pi] === '*' ? segs[si] !== '' : pat[pi] === segs[si];
  return ok && globMatch(pat, segs, pi + 1, si + 1);
}

interface Armed { rule: FaultRule; glob: string[]; seen: number; injected: number; burstLeft: number }

export interface FaultDecision { delayMs: number; fault: Fault | null }

// Checked in this order, one draw each; 429 and 5xx follow.
const CONNECTION_FAULTS = [
  ['hangRate', 'hang'], ['resetRate', 'reset'], ['commitHangRate', 'commit-hang'], ['commitDropRate', 'commit-drop'],
] as const;

export class FaultInjector {
  private armed: Armed[] = [];
  private seed = DEFAULT_FAULT_SEED;
  private rand = mulberry32(DEFAULT_FAULT_SEED);

  constructor(config?: FaultConfig) {
    if (config) this.configure(config);
  }

  /** Replace all rules; burst, `skip` and `times` counters start again and the PRNG is reseeded. */
  configure(config: FaultConfig): void {
    this.armed = config.rules.map((rule) => ({ rule, glob: rule.path.split('/'), seen: 0, injected: 0, burstLeft: 0 }));
    this.seed = config.seed;
    this.rand = mulberry32(config.seed);
  }

  clear(): void {
    this.configure({ rules: [], seed: DEFAULT_FAULT_SEED });
  }

  get config(): FaultConfig {
    return { rules: this.armed.map((a) => a.rule), seed: this.seed };
  }

  /**
   * Decide on arrival, synchronously, so concurrent requests draw in arrival order.
   * Every matching rule adds its latency; the first rule that injects a fault wins.
   * `path` is the raw (still percent-encoded) path without the query.
   */
  decide(method: string, path: string): FaultDecision {
    const segs = path.split('/');
    const hits = this.armed.filter((a) => (a.rule.method === '*' || a.rule.method === method) && globMatch(a.glob, segs));
    let delayMs = 0;
    for (const { rule } of hits) delayMs += rule.latencyMs + this.rand() * rule.jitterMs;
    for (const a of hits) {
      const fault = this.draw(a);
      if (fault) return { delayMs, fault };
    }
    return { delayMs, fault: null };
  }

  private draw(a: Armed): Fault | null {
    const r = a.rule;
    const tooMany: Fault = { kind: '429', retryAfterSeconds: r.retryAfterSeconds, retryAfterForm: r.retryAfterForm };
    // A burst is the tail of one injected 429, so it does not count against `times` again.
    if (a.burstLeft > 0) {
      a.burstLeft--;
      return tooMany;
    }
    if (a.seen++ < r.skip) return null;
    if (r.times !== undefined && a.injected >= r.times) return null;
    const fault = this.pick(r, tooMany);
    if (fault) a.injected++;
    if (fault?.kind === '429') a.burstLeft = r.burst429;
    return fault;
  }

  private pick(r: FaultRule, tooMany: Fault): Fault | null {
    for (const [key, kind] of CONNECTION_FAULTS) if (this.rand() < r[key]) return { kind };
    if (this.rand() < r.rate429) return tooMany;
    if (this.rand() < r.errorRate) return { kind: '5xx', status: r.errorStatuses[Math.floor(this.rand() * r.errorStatuses.length)] };
    return null;
  }
}

/** The answer for a fault that replies without handling the request. */
export function faultReply(fault: Fault, requestId: string): { status: number; body: unknown; headers: Record<string, string> } {
  let e: ApiError;
  const headers: Record<string, string> = {};
  if (fault.kind === '429') {
    const s = fault.retryAfterSeconds;
    headers['Retry-After'] = fault.retryAfterForm === 'date' ? new Date(Date.now() + s * 1000).toUTCString() : String(s);
    e = rateLimited(s, requestId);
  } else if (fault.kind === '5xx') {
    e = gatewayError(fault.status);
  } else {
    throw new Error(`fault ${fault.kind} has no reply`);
  }
  return { status: e.status, body: e.body, headers };
}
