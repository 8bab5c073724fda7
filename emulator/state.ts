// Emulator state: plain JSON-serialisable records, the deterministic seed, the
// response "views" (what the API returns for each record) and persistence.
import * as fs from 'node:fs';
import { addMs, money, omitUndefined, seededUuid } from './util';

export interface Balance { id: string; balance: number; created_at: string; updated_at: string; low_balance_threshold?: number }

export interface Account {
  auth_id: string;
  id: string; // numeric string, distinct from auth_id
  api_id: string;
  parent_auth_id: string | null;
  name: string;
  email: string | null;
  phone: string | null;
  description: string | null;
  permissions: { calls: boolean; cdr: boolean } | null;
  rate_limit: number;
  enabled: boolean;
  kyc_mode: 'personal_use' | 'customer_use';
  business_type: string | null;
  kyc_calls_blocked: boolean;
  token_hash: string | null; // null for the main account: its token comes from the options
  created_at: string;
  updated_at: string;
  last_used: string | null;
  balances: Record<string, Balance>; // only the main account holds balances
}

export interface Trunk {
  trunk_id: string; account_id: string; name: string; trunk_domain: string;
  trunk_status: 'active' | 'inactive'; secure: boolean; trunk_direction: string;
  concurrent_calls_limit: number; cps_limit: number; description: string; transport: string;
  recording: boolean; enable_transcription: boolean; pii_redaction: boolean; pii_entity_types?: string;
  webhook_url?: string; webhook_method: string; recording_webhook_enabled: boolean;
  credential_uuid?: string; ipacl_uuid?: string; primary_uri_uuid?: string; fallback_uri_uuid?: string;
  inbound_destination?: string; created_at: string; updated_at: string;
}

export interface Credential {
  id: string; account_id: string; username: string; password_hash: string; salt: string;
  enabled: boolean; created_at: string; updated_at: string;
}

export interface IpAcl { id: string; account_id: string; ip_address: string; description: string; enabled: boolean; created_at: string; updated_at: string }

export interface OriginationUri {
  id: string; account_id: string; uri: string; priority: number; weight: number; enabled: boolean;
  transport: string; description: string; created_at: string; updated_at: string;
}

export interface PhoneNumber {
  id: string; account_id: string | null; e164: string; country: string; region?: string;
  status: 'active' | 'pending_release' | 'released'; setup_fee: number; monthly_fee: number; currency: string;
  trunk_group_id?: string; application_id?: string; tags: string[] | null; purchased_at?: string;
  created_at: string; updated_at: string; last_billing_date?: string; next_billing_date?: string;
  released_at?: string; cooldown_ends_at?: string; // internal: end of pending_release window
}

export interface Transaction {
  id: string; account_id: string; type: 'debit' | 'credit'; amount: number; currency: string;
  reference_type: string; reference: string; description: string; balance_after: number; created_at: string;
}

export interface State {
  version: 1;
  main_auth_id: string;
  next_account_id: number;
  accounts: Account[];
  trunks: Trunk[];
  credentials: Credential[];
  ip_acl: IpAcl[];
  origination_uris: OriginationUri[];
  numbers: PhoneNumber[];
  transactions: Transaction[];
}

export const DEFAULT_BALANCES: Record<string, number> = { INR: 100000, USD: 500 };
export const DEFAULT_RELEASE_FEES: Record<string, number> = { INR: 700, USD: 10 };
const SEED_TIME = '2026-01-01T00:00:00.000000Z';
const PENDING_RELEASE_MS = 24 * 3600 * 1000;
const QUARANTINE_MS = 45 * 24 * 3600 * 1000;

// ---------- seed ----------

function seedInventory(): PhoneNumber[] {
  const out: PhoneNumber[] = [];
  const add = (e164: string, country: string, region: string, setup: number, monthly: number, currency: string) =>
    out.push({
      id: seededUuid('vobiz-emulator-number:' + e164), account_id: null, e164, country, region, status: 'active',
      setup_fee: setup, monthly_fee: monthly, currency, tags: null, created_at: SEED_TIME, updated_at: SEED_TIME,
    });
  // 45 Indian numbers: 9 per city, national number = STD code + subscriber digits (10 digits).
  const india: [string, string][] = [['Mumbai', '2261'], ['Delhi', '1141'], ['Bengaluru', '8065'], ['Chennai', '4471'], ['Pune', '2067']];
  india.forEach(([region, prefix], r) => {
    for (let i = 0; i < 9; i++) {
      const sub = String((r * 100003 + 271 + i * 7919) % 1_000_000).padStart(6, '0');
      add(`+91${prefix}${sub}`, 'IN', region, [0, 100, 250, 500][(i + r) % 4], 500 + ((i * 3 + r) % 5) * 250, 'INR');
    }
  });
  // 25 US numbers: 5 per area code.
  const us: [string, string][] = [['CA', '415'], ['CA', '213'], ['NY', '212'], ['TX', '512'], ['FL', '305']];
  us.forEach(([region, npa], r) => {
    for (let i = 0; i < 5; i++) {
      const line = String((r * 3001 + 1234 + i * 1117) % 10_000).padStart(4, '0');
      add(`+1${npa}555${line}`, 'US', region, 1 + ((i + r) % 5), [1, 1.5, 2, 2.5, 3][(i * 2 + r) % 5], 'USD');
    }
  });
  return out;
}

export function seedState(mainAuthId: string, balances: Record<string, number>): State {
  const main: Account = {
    auth_id: mainAuthId, id: '500000', api_id: seededUuid('vobiz-emulator-api:' + mainAuthId), parent_auth_id: null,
    name: 'Emulator Main Account', email: 'owner@example.com', phone: null, description: null, permissions: null,
    rate_limit: 1000, enabled: true, kyc_mode: 'personal_use', business_type: null, kyc_calls_blocked: false,
    token_hash: null, created_at: SEED_TIME, updated_at: SEED_TIME, last_used: null, balances: {},
  };
  for (const [cur, amount] of Object.entries(balances))
    main.balances[cur] = { id: seededUuid(`vobiz-emulator-balance:${mainAuthId}:${cur}`), balance: money(amount), created_at: SEED_TIME, updated_at: SEED_TIME };
  return {
    version: 1, main_auth_id: mainAuthId, next_account_id: 500001, accounts: [main],
    trunks: [], credentials: [], ip_acl: [], origination_uris: [], numbers: seedInventory(), transactions: [],
  };
}

// ---------- time-driven transitions ----------

/** Apply release cooldowns lazily: pending_release → released (24 h) → back to inventory (45 days). */
export function tick(s: State, nowMs: number): boolean {
  let changed = false;
  for (const n of s.numbers) {
    if (n.status === 'pending_release' && n.cooldown_ends_at && Date.parse(n.cooldown_ends_at) <= nowMs) {
      n.status = 'released';
      n.released_at = n.cooldown_ends_at;
      changed = true;
    }
    if (n.status === 'released' && n.released_at && Date.parse(n.released_at) + QUARANTINE_MS <= nowMs) {
      returnToInventory(n, addMs(n.released_at, QUARANTINE_MS));
      changed = true;
    }
  }
  return changed;
}

export function returnToInventory(n: PhoneNumber, at: string): void {
  for (const k of ['trunk_group_id', 'application_id', 'purchased_at', 'last_billing_date', 'next_billing_date', 'released_at', 'cooldown_ends_at'] as const) delete n[k];
  n.account_id = null;
  n.status = 'active';
  n.tags = null;
  n.updated_at = at;
}

export const PENDING_RELEASE_WINDOW_MS = PENDING_RELEASE_MS;

// ---------- views (API response bodies) ----------

export function trunkView(t: Trunk): Record<string, unknown> {
  return omitUndefined({
    trunk_id: t.trunk_id, account_id: t.account_id, name: t.name, trunk_domain: t.trunk_domain,
    trunk_status: t.trunk_status, secure: t.secure, trunk_direction: t.trunk_direction,
    concurrent_calls_limit: t.concurrent_calls_limit, cps_limit: t.cps_limit, description: t.description,
    transport: t.transport, recording: t.recording, enable_transcription: t.enable_transcription,
    pii_redaction: t.pii_redaction, pii_entity_types: t.pii_entity_types, webhook_url: t.webhook_url,
    webhook_method: t.webhook_method, recording_webhook_enabled: t.recording_webhook_enabled,
    // ASSUMPTION: ipacl_uuid and fallback_uri_uuid are returned when set (legacy list example).
    credential_uuid: t.credential_uuid, ipacl_uuid: t.ipacl_uuid, primary_uri_uuid: t.primary_uri_uuid,
    fallback_uri_uuid: t.fallback_uri_uuid, inbound_destination: t.inbound_destination,
    created_at: t.created_at, updated_at: t.updated_at,
  });
}

export function credentialView(c: Credential): Record<string, unknown> {
  return {
    id: c.id, account_id: c.account_id, username: c.username, password: '<redacted>',
    realm: `${c.account_id}.sip.vobiz.ai`, enabled: c.enabled, created_at: c.created_at, updated_at: c.updated_at,
  };
}

export function ipAclView(a: IpAcl): Record<string, unknown> {
  return { id: a.id, account_id: a.account_id, ip_address: a.ip_address, description: a.description, enabled: a.enabled, created_at: a.created_at, updated_at: a.updated_at };
}

export function uriView(u: OriginationUri): Record<string, unknown> {
  return {
    id: u.id, account_id: u.account_id, uri: u.uri, priority: u.priority, weight: u.weight, enabled: u.enabled,
    transport: u.transport, description: u.description, created_at: u.created_at, updated_at: u.updated_at,
  };
}

export function numberView(n: PhoneNumber, source?: string): Record<string, unknown> {
  const owned = n.account_id !== null;
  return omitUndefined({
    id: n.id, account_id: n.account_id ?? undefined, e164: n.e164, country: n.country, region: n.region,
    capabilities: { voice: true, sms: false, mms: false, fax: false }, status: n.status, provider: '',
    setup_fee: n.setup_fee, monthly_fee: n.monthly_fee, currency: n.currency, application_id: n.application_id,
    trunk_group_id: n.trunk_group_id, voice_enabled: true, tags: n.tags, purchased_at: n.purchased_at,
    is_blocked: false, created_at: n.created_at, updated_at: n.updated_at, is_trial_number: false,
    last_billing_date: n.last_billing_date, next_billing_date: n.next_billing_date, minimum_commitment_months: 0,
    aadhaar_verification_required: false, aadhaar_verified: false,
    source: source ?? (owned ? 'purchased' : undefined), released_at: n.released_at,
  });
}

const dateOnly = (iso: string) => iso.slice(0, 10);

/** Sub-account object: explicit nulls; token redacted unless given in clear (create response only). */
export function subAccountView(a: Account, parent: Account, clearToken?: string): Record<string, unknown> {
  return {
    name: a.name, email: a.email, phone: a.phone, description: a.description, permissions: a.permissions,
    rate_limit: a.rate_limit, id: a.id, parent_account_id: parent.id, parent_auth_id: parent.auth_id,
    auth_id: a.auth_id, auth_token: clearToken ?? '<redacted>', api_id: a.api_id, email_verified: false,
    enabled: a.enabled, is_active: a.enabled, created: dateOnly(a.created_at), modified: dateOnly(a.updated_at),
    created_at: a.created_at, updated_at: a.updated_at, last_used: a.last_used,
    account: `/v1/Account/${parent.auth_id}/`, resource_uri: `/v1/Account/${parent.auth_id}/Subaccount/${a.auth_id}/`,
    // ASSUMPTION: kyc_mode, business_type and kyc_calls_blocked are included on sub-account objects (notes §5.2).
    kyc_mode: a.kyc_mode, business_type: a.business_type, kyc_calls_blocked: a.kyc_calls_blocked,
  };
}

/** GET /auth/me body (notes §3.2). */
export function meView(a: Account): Record<string, unknown> {
  const iso = (s: string) => s.replace(/Z$/, '+00:00');
  return {
    type: 'account', id: a.id, api_id: a.api_id, name: a.name, email: a.email, phone: a.phone, description: a.description,
    auth_id: a.auth_id, auth_secret: '<redacted>', auth_token_expire_time: null, country: 'IN', timezone: 'Asia/Kolkata',
    city: '', state: '', address: '', zip_code: '', company: '', account_type: 'standard', postpaid: false,
    auto_recharge: false, auto_recharge_config: null, enabled: a.enabled, carrier_type: null, customer_type: null,
    credit_limit: 0, cps_limit: 10, concurrent_calls_limit: 50, base_cps_limit: 10, base_concurrent_calls_limit: 50,
    purchased_cps: 0, purchased_concurrent_calls: 0, risk_rating: 0, risk_status: null, features: { call_queue: false },
    ip_auth_enabled: false, ip_whitelist_rules: {}, allow_aws_ips: false, role: 'admin', is_active: a.enabled,
    is_verified: true, is_trial_account: false, created_at: iso(a.created_at), updated_at: iso(a.updated_at),
    last_login: a.last_used ? iso(a.last_used) : null,
    pricing_tier_id: seededUuid('vobiz-emulator-tier'),
    pricing_tier: {
      id: seededUuid('vobiz-emulator-tier'), name: 'Standard', description: 'Standard pricing', currency: 'INR',
      rate_per_minute: 0.5, billing_increment_seconds: 60, minimum_duration_seconds: 60, is_active: true, is_default: true,
    },
  };
}

export function balanceView(owner: Account, currency: string, b: Balance): Record<string, unknown> {
  return {
    id: b.id, account_id: owner.auth_id, currency, balance: b.balance, reserved_funds: 0, promotional_balance: 0,
    promotional_reserved_balance: 0, available_balance: b.balance, credit_limit: 0, is_postpaid: false,
    credit_limit_type: 'hard', low_balance_threshold: b.low_balance_threshold ?? 0, status: 'active', created_at: b.created_at, updated_at: b.updated_at,
  };
}

/** Admin snapshot: everything, never secrets. */
export function adminView(s: State): Record<string, unknown> {
  return {
    accounts: s.accounts.map((a) => ({
      auth_id: a.auth_id, parent_auth_id: a.parent_auth_id, name: a.name, enabled: a.enabled,
      email: a.email, description: a.description, kyc_mode: a.kyc_mode,
      balances: Object.fromEntries(Object.entries(a.balances).map(([c, b]) => [c, b.balance])),
    })),
    trunks: s.trunks.map(trunkView),
    credentials: s.credentials.map(credentialView),
    ip_acl: s.ip_acl.map(ipAclView),
    origination_uris: s.origination_uris.map(uriView),
    numbers: s.numbers.map((n) => ({
      ...numberView(n), account_id: n.account_id, status: n.status, trunk_group_id: n.trunk_group_id ?? null,
      ...(n.cooldown_ends_at ? { cooldown_ends_at: n.cooldown_ends_at } : {}),
    })),
    transactions: s.transactions.map((t) => ({
      type: t.type, amount: t.amount, currency: t.currency, reference_type: t.reference_type, reference: t.reference,
      account_id: t.account_id, description: t.description, balance_after: t.balance_after, created_at: t.created_at,
    })),
  };
}

// ---------- persistence ----------

export function loadState(path: string, mainAuthId: string): State | null {
  if (!fs.existsSync(path)) return null;
  const s = JSON.parse(fs.readFileSync(path, 'utf8')) as State;
  if (s.version !== 1 || !Array.isArray(s.accounts)) throw new Error(`emulator state file ${path} has an unknown format`);
  if (s.main_auth_id !== mainAuthId) throw new Error(`emulator state file ${path} belongs to ${s.main_auth_id}, not ${mainAuthId}`);
  return s;
}

/** Atomic write (tmp + rename) so a crash never leaves a half-written state file. */
export function saveState(path: string, s: State): void {
  const tmp = `${path}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(s, null, 1));
  fs.renameSync(tmp, path);
}

