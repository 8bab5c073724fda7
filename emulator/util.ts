import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';

let lastMicros = 0;

/** RFC 3339 UTC with microseconds; strictly increasing so "newest first" and updated_at bumps are stable. */
export function nowIso(): string {
  let us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  if (us <= lastMicros) us = lastMicros + 1;
  lastMicros = us;
  return microsToIso(us);
}

export function microsToIso(us: number): string {
  const ms = Math.floor(us / 1000);
  const base = new Date(ms).toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  const frac = String(us % 1_000_000).padStart(6, '0');
  return `${base}.${frac}Z`;
}

export function addMs(iso: string, ms: number): string {
  return microsToIso((Date.parse(iso) + ms) * 1000);
}

export function addMonths(iso: string, months: number): string {
  const d = new Date(Date.parse(iso));
  d.setUTCMonth(d.getUTCMonth() + months);
  return microsToIso(d.getTime() * 1000);
}

export const newUuid = (): string => randomUUID();

/** A stable UUIDv4-shaped id derived from a seed string (deterministic inventory ids). */
export function seededUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const ALNUM_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomChars(n: number, alphabet: string = ALNUM): string {
  const bytes = randomBytes(n);
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

export const newSubAccountId = (): string => 'SA_' + randomChars(8, ALNUM_UPPER);
export const newToken = (): string => randomChars(40);
export const newRequestId = (): string => 'req_' + randomBytes(8).toString('hex');

/** Secrets are stored only as hashes so the state file never holds them in clear. */
export function hashSecret(secret: string, salt = ''): string {
  return createHash('sha256').update(salt + '\0' + secret).digest('hex');
}

export function secretMatches(secret: string, hash: string, salt = ''): boolean {
  const a = Buffer.from(hashSecret(secret, salt), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export const newSalt = (): string => randomBytes(8).toString('hex');

/** Money is kept to 2 decimals to avoid float drift in balances. */
export const money = (n: number): number => Math.round(n * 100) / 100;

/** JWT-looking opaque string for the console `tokens` block of sub-account create. */
export function fakeJwt(sub: string, ttlSeconds: number): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: now, exp: now + ttlSeconds })}.${randomBytes(32).toString('base64url')}`;
}

/** Copy an object dropping undefined values (Go `omitempty` style output). */
export function omitUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
