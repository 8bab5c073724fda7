// Validation helpers shared by all resources. They throw family-shaped 400s via `fail`.
import ipaddr from 'ipaddr.js';
import { Family, fail } from './errors';

export type Json = Record<string, unknown>;

/**
 * Typed reader over a JSON request body. `null` is treated like an absent key
 * (Go decoders leave the field unset); handlers that give null a meaning
 * (detaching a reference) check `isNull` first.
 */
export class Fields {
  constructor(readonly obj: Json, readonly family: Family) {}

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }
  isNull(key: string): boolean {
    return this.obj[key] === null;
  }
  bad(message: string): never {
    return fail(this.family, 400, message);
  }

  str(key: string, o: { required?: boolean; min?: number; max?: number; pattern?: RegExp; patternMsg?: string } = {}): string | undefined {
    if (!this.has(key)) return o.required ? this.bad(`${key} is required`) : undefined;
    const v = this.obj[key];
    if (typeof v !== 'string') return this.bad(`${key} must be a string`);
    const min = o.min ?? (o.required ? 1 : 0);
    if (v.length < min) return this.bad(min > 1 ? `${key} must be at least ${min} characters` : o.required ? `${key} is required` : `${key} must not be empty`);
    if (o.max !== undefined && v.length > o.max) this.bad(`${key} must be at most ${o.max} characters`);
    if (o.pattern && !o.pattern.test(v)) this.bad(o.patternMsg ?? `${key} has an invalid format`);
    return v;
  }

  int(key: string, o: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    if (!this.has(key)) return o.required ? this.bad(`${key} is required`) : undefined;
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.bad(`${key} must be an integer`);
    if ((o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max))
      this.bad(`${key} must be between ${o.min ?? '-inf'} and ${o.max ?? 'inf'}`);
    return v;
  }

  bool(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    if (typeof v !== 'boolean') return this.bad(`${key} must be a boolean`);
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[], required = false): T | undefined {
    const v = this.str(key, { required });
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) this.bad(`${key} must be one of: ${values.join(', ')}`);
    return v as T;
  }
}

/** Parse a request body into `Fields`; the body must be a JSON object. */
export function fieldsOf(body: unknown, family: Family): Fields {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) fail(family, 400, 'request body must be a JSON object');
  return new Fields(body as Json, family);
}

// ---------- formats ----------

// ASSUMPTION: E.164 validation regex ^\+[1-9]\d{6,14}$ (notes §2.3).
export const E164 = /^\+[1-9]\d{6,14}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ASSUMPTION: SIP usernames are 1–100 chars of [A-Za-z0-9_-] (min length 1; notes §7.2).
export const USERNAME = /^[A-Za-z0-9_-]{1,100}$/;

/** Credential password policy (notes §7.2): 8–20 chars of [A-Za-z0-9~!@#$%^&*()_+], ≥1 alnum, ≥1 special. Returns an error or null. */
export function passwordProblem(p: string): string | null {
  if (p.length < 8) return 'Password must be at least 8 characters';
  // ASSUMPTION: max 20 characters (console rule), per notes §7.2 verdict.
  if (p.length > 20) return 'Password must be at most 20 characters';
  if (!/^[A-Za-z0-9~!@#$%^&*()_+]+$/.test(p)) return 'Password may only contain letters, digits and ~!@#$%^&*()_+';
  if (!/[A-Za-z0-9]/.test(p)) return 'Password must contain at least one letter or digit';
  if (!/[~!@#$%^&*()_+]/.test(p)) return 'Password must contain at least one special character (~!@#$%^&*()_+)';
  return null;
}

const DOC_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map((c) => ipaddr.IPv4.parseCIDR(c));

/** IPv4 address or IPv4 CIDR (prefix 0–32), strict dotted quad, no RFC 5737 ranges. */
export function isAcceptableAclIp(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(s);
  if (!m) return false;
  const octets = m.slice(1, 5);
  // Leading zeros are ambiguous (octal in some parsers), so reject them.
  if (octets.some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith('0')))) return false;
  if (m[5] !== undefined && (Number(m[5]) > 32 || (m[5].length > 1 && m[5].startsWith('0')))) return false;
  // ASSUMPTION: host bits may be set in a CIDR; only the address part is checked against RFC 5737.
  const addr = ipaddr.IPv4.parse(octets.join('.'));
  return !DOC_RANGES.some((r) => addr.match(r));
}

const SIP_URI =
  /^sip:(?:[A-Za-z0-9._~!$&'()*+,=%-]+@)?([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::(\d{1,5}))?((?:;[A-Za-z0-9_-]+(?:=[A-Za-z0-9_.-]+)?)*)$/;

/** Validate a `sip:` URI; returns its inferred transport or null if invalid. */
export function sipUriTransport(uri: string): 'udp' | 'tcp' | 'tls' | null {
  const m = SIP_URI.exec(uri);
  if (!m) return null;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return null;
  // ASSUMPTION: transport inferred from ;transport= param, else tls for port 5061, else udp (notes §9.2).
  const t = /;transport=(udp|tcp|tls)\b/i.exec(m[3] ?? '');
  if (t) return t[1].toLowerCase() as 'udp' | 'tcp' | 'tls';
  return m[2] === '5061' ? 'tls' : 'udp';
}

const BLOCKED_V6 = new Set(['unspecified', 'linkLocal', 'multicast', 'loopback', 'uniqueLocal', 'deprecatedSiteLocal', 'discard', 'rfc6145']);

/** Webhook SSRF rules (notes §6.2): public http/https only. */
export function isPublicWebhookUrl(s: string): boolean {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  const host = u.hostname.toLowerCase();
  if (host.startsWith('[')) {
    const v6 = ipaddr.IPv6.parse(host.slice(1, -1));
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().range() === 'unicast';
    return !BLOCKED_V6.has(v6.range());
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) return ipaddr.IPv4.parse(host).range() === 'unicast';
  // ASSUMPTION: no DNS lookups; localhost names and single-label (non-public) hosts are rejected.
  if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) return false;
  return true;
}

// ---------- pagination ----------

function intParam(q: URLSearchParams, key: string, family: Family): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) fail(family, 400, `${key} must be an integer`);
  return Number(v);
}

/** limit/offset for the trunk family: default 20, >100 clamps to 100, negative → 400. */
export function limitOffset(q: URLSearchParams): { limit: number; offset: number } {
  let limit = intParam(q, 'limit', 'trunk') ?? 20;
  const offset = intParam(q, 'offset', 'trunk') ?? 0;
  // ASSUMPTION: negative limit/offset → 400; limit 0 → default 20; limit > 100 clamped to 100 (notes §13.11).
  if (limit < 0) fail('trunk', 400, 'limit must be a non-negative integer');
  if (offset < 0) fail('trunk', 400, 'offset must be a non-negative integer');
  if (limit === 0) limit = 20;
  return { limit: Math.min(limit, 100), offset };
}

/** page/per-page style (numbers: per_page, sub-accounts: size). */
export function pagePer(q: URLSearchParams, family: Family, perKey: string, perDefault: number): { page: number; per: number } {
  const page = intParam(q, 'page', family) ?? 1;
  const per = intParam(q, perKey, family) ?? perDefault;
  if (page < 1) fail(family, 400, 'page must be >= 1');
  if (per < 1) fail(family, 400, `${perKey} must be >= 1`);
  // ASSUMPTION: page sizes above 100 are clamped to 100 (legacy docs state max 100).
  return { page, per: Math.min(per, 100) };
}

export function paginate<T>(items: T[], page: number, per: number): T[] {
  return items.slice((page - 1) * per, page * per);
}

/** The first key of `obj` not in `allowed` (strict bodies reject typos instead of ignoring them). */
export function unknownKey(obj: Json, allowed: readonly string[]): string | undefined {
  return Object.keys(obj).find((k) => !allowed.includes(k));
}
