// Test-only admin API under /__emulator/ (no auth, never logged).
import { fail } from './errors';
import { FaultInjector, FaultKind, parseFaultConfig } from './faults';
import { IdempotencyStore, parseIdempotencyMode } from './idempotency';
import { parseRateLimit, RequestRateLimit } from './rateLimit';
import { PhoneNumber, State, adminView, seedState } from './state';
import { money, nowIso, secretMatches, seededUuid } from './util';
import { E164, Fields, fieldsOf, unknownKey } from './validate';
import type { Options, Reply } from './routes';

/**
 * One API request. Entries are written on arrival (so a hang is visible) and completed later.
 * `status` 0 means no response was written: not yet, or a hang/reset fault. Commit faults
 * (commit-drop, commit-hang) keep the handler's status although nothing reached the client,
 * so a test can see the commit happened. `at` is epoch ms on arrival.
 */
export interface LogEntry {
  seq: number; method: string; path: string; query: string; status: number; request_id: string;
  auth_id: string | null; idempotency_key: string | null; duration_ms: number;
  /** An injected fault, or 'rate-limit' for a 429 from the account's request-rate limit. */
  fault: FaultKind | 'rate-limit' | null; at: number;
}

/** What the admin API can touch; owned by the server in index.ts. */
export interface World {
  state: State;
  opts: Options;
  log: LogEntry[];
  seq: number;
  faults: FaultInjector;
  idempotency: IdempotencyStore;
  rateLimit: RequestRateLimit;
}

type AdminHandler = (w: World, body: unknown) => Reply;

const adminBad = (message: string): never => fail('admin', 400, message);
const faultsView = (w: World): Reply => ({ status: 200, body: w.faults.config });
const idempotencyView = (w: World): Reply => ({ status: 200, body: { mode: w.idempotency.mode } });
const rateLimitView = (w: World): Reply => ({ status: 200, body: w.rateLimit.config });

const ADMIN: Record<string, AdminHandler> = {
  // Faults, the rate limit and the idempotency mode survive a reset (a test sets them up once per file);
  // stored idempotent replies do not, since they describe the state being thrown away.
  'POST /__emulator/reset': (w) => {
    w.state = seedState(w.opts.authId, w.opts.balances);
    w.log.length = 0;
    w.seq = 0;
    w.idempotency.clear();
    return { status: 200, body: { ok: true } };
  },
  'GET /__emulator/requests': (w) => ({ status: 200, body: { requests: w.log } }),
  'DELETE /__emulator/requests': (w) => {
    w.log.length = 0;
    return { status: 200, body: { ok: true } };
  },
  'GET /__emulator/state': (w) => ({ status: 200, body: adminView(w.state) }),
  'POST /__emulator/seed': seed,
  'POST /__emulator/sip-auth': sipAuth,
  'POST /__emulator/inbound-route': inboundRoute,
  'GET /__emulator/faults': faultsView,
  'PUT /__emulator/faults': (w, body) => {
    w.faults.configure(parseFaultConfig(body, adminBad));
    return faultsView(w);
  },
  'DELETE /__emulator/faults': (w) => {
    w.faults.clear();
    return faultsView(w);
  },
  'GET /__emulator/idempotency': idempotencyView,
  'PUT /__emulator/idempotency': (w, body) => {
    const f = fieldsOf(body, 'admin');
    const extra = unknownKey(f.obj, ['mode']);
    if (extra !== undefined) adminBad(`unknown key "${extra}"`);
    w.idempotency.setMode(parseIdempotencyMode(f.obj.mode, adminBad));
    return idempotencyView(w);
  },
  'GET /__emulator/rate-limit': rateLimitView,
  'PUT /__emulator/rate-limit': (w, body) => {
    w.rateLimit.configure(parseRateLimit(body, adminBad));
    return rateLimitView(w);
  },
};

/** Writing admin routes (persist afterwards). */
export const ADMIN_WRITES = new Set(['POST /__emulator/reset', 'POST /__emulator/seed']);

export function adminRoute(method: string, path: string): AdminHandler | undefined {
  return ADMIN[`${method} ${path}`];
}

function seed(w: World, body: unknown): Reply {
  const f = fieldsOf(body, 'admin');
  const main = w.state.accounts.find((a) => a.parent_auth_id === null)!;
  const balances = f.obj.balances;
  const inventory = f.obj.inventory;
  const thresholds = f.obj.low_balance_thresholds;
  // Validate everything before changing anything.
  if (balances !== undefined && (typeof balances !== 'object' || balances === null || Array.isArray(balances))) fail('admin', 400, 'balances must be an object');
  const balanceEntries = Object.entries((balances ?? {}) as Record<string, unknown>);
  for (const [cur, v] of balanceEntries)
    if (!/^[A-Z]{3}$/.test(cur) || typeof v !== 'number' || !Number.isFinite(v)) fail('admin', 400, `invalid balance ${cur}`);
  if (inventory !== undefined && !Array.isArray(inventory)) fail('admin', 400, 'inventory must be an array');
  if (thresholds !== undefined && (typeof thresholds !== 'object' || thresholds === null || Array.isArray(thresholds))) fail('admin', 400, 'low_balance_thresholds must be an object');
  const thresholdEntries = Object.entries((thresholds ?? {}) as Record<string, unknown>);
  for (const [cur, v] of thresholdEntries) {
    if (!main.balances[cur] && !balanceEntries.some(([c]) => c === cur)) fail('admin', 400, `no ${cur} balance to set a low-balance threshold on`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('admin', 400, `invalid low-balance threshold ${cur}`);
  }
  const now = nowIso();
  const added: PhoneNumber[] = ((inventory ?? []) as unknown[]).map((item) => {
    const g = fieldsOf(item, 'admin');
    const e164 = g.str('e164', { required: true, pattern: E164 })!;
    if (w.state.numbers.some((n) => n.e164 === e164)) fail('admin', 400, `number ${e164} already exists`);
    return {
      id: seededUuid('vobiz-emulator-number:' + e164), account_id: null, e164,
      country: g.str('country', { required: true, pattern: /^[A-Z]{2}$/ })!, region: g.str('region'),
      status: 'active', setup_fee: fee(g, 'setup_fee'), monthly_fee: fee(g, 'monthly_fee'),
      currency: g.str('currency', { required: true, pattern: /^[A-Z]{3}$/ })!, tags: null, created_at: now, updated_at: now,
    };
  });
  if (new Set(added.map((n) => n.e164)).size !== added.length) fail('admin', 400, 'duplicate e164 in inventory');
  for (const [cur, v] of balanceEntries) {
    const b = (main.balances[cur] ??= { id: seededUuid(`vobiz-emulator-balance:${main.auth_id}:${cur}`), balance: 0, created_at: now, updated_at: now });
    b.balance = money(v as number);
    b.updated_at = now;
  }
  for (const [cur, v] of thresholdEntries) main.balances[cur].low_balance_threshold = money(v as number);
  w.state.numbers.push(...added);
  return { status: 200, body: { ok: true } };
}

function fee(g: Fields, key: string): number {
  const v = g.obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('admin', 400, `${key} must be a non-negative number`);
  return v;
}

/** Would a SIP REGISTER with these digest credentials succeed on this trunk? */
function sipAuth(w: World, body: unknown): Reply {
  const f = fieldsOf(body, 'admin');
  const trunkId = f.str('trunk_id', { required: true });
  const username = f.str('username', { required: true });
  const password = f.str('password', { required: true })!;
  const no = (reason: string): Reply => ({ status: 200, body: { ok: false, reason } });
  const t = w.state.trunks.find((o) => o.trunk_id === trunkId);
  if (!t) return no('trunk not found');
  if (t.trunk_status !== 'active') return no('trunk is not active');
  if (!t.credential_uuid) return no('trunk has no credential attached');
  const cred = w.state.credentials.find((o) => o.id === t.credential_uuid);
  if (!cred) return no('credential not found');
  if (!cred.enabled) return no('credential is disabled');
  if (cred.username !== username) return no('username does not match');
  if (!secretMatches(password, cred.password_hash, cred.salt)) return no('password does not match');
  return { status: 200, body: { ok: true } };
}

/**
 * Where would an inbound call to this number go? The number's trunk, then its primary and fallback
 * origination URIs that exist and are enabled, in the order Vobiz tries them.
 */
function inboundRoute(w: World, body: unknown): Reply {
  const e164 = fieldsOf(body, 'admin').str('e164', { required: true, pattern: E164 });
  const no = (reason: string): Reply => ({ status: 200, body: { ok: false, reason } });
  const n = w.state.numbers.find((o) => o.e164 === e164 && o.account_id !== null && o.status === 'active');
  if (!n) return no('number is not owned by any account');
  if (!n.trunk_group_id) return no('number is not routed to a trunk');
  const t = w.state.trunks.find((o) => o.trunk_id === n.trunk_group_id);
  if (!t) return no('trunk not found');
  if (t.trunk_status !== 'active') return no('trunk is not active');
  if (t.trunk_direction === 'outbound') return no('trunk is outbound-only');
  const targets = [t.primary_uri_uuid, t.fallback_uri_uuid]
    .map((id) => w.state.origination_uris.find((u) => u.id === id && u.enabled))
    .filter((u) => u !== undefined)
    .map((u) => u.uri);
  if (!targets.length) return no('trunk has no enabled origination URI');
  return { status: 200, body: { ok: true, trunk_id: t.trunk_id, targets } };
}
