// The route table and all Vobiz API handlers. Handlers only see an authenticated
// caller (see index.ts); they throw via errors.ts and return { status, body }.
import { Family, fail, raw } from './errors';
import {
  Account, Credential, IpAcl, OriginationUri, PhoneNumber, State, Trunk,
  PENDING_RELEASE_WINDOW_MS, balanceView, credentialView, ipAclView, meView, numberView, subAccountView, trunkView, uriView,
} from './state';
import {
  addMonths, addMs, fakeJwt, hashSecret, money, newSalt, newSubAccountId, newToken, newUuid, nowIso,
} from './util';
import {
  E164, Fields, USERNAME, fieldsOf, isAcceptableAclIp, isPublicWebhookUrl, limitOffset, pagePer, paginate,
  passwordProblem, sipUriTransport,
} from './validate';

export interface Options {
  authId: string;
  authToken: string;
  lenientCasing: boolean;
  insufficientBalanceStatus: 500 | 402;
  releaseFees: Record<string, number>;
  balances: Record<string, number>;
}

export interface Ctx {
  s: State;
  opts: Options;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  caller: Account;
  requestId: string;
}

export interface Reply { status: number; body?: unknown; headers?: Record<string, string> }

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string; // `:name` segments are params; `:e164` params must be %2B-encoded
  family: Family;
  /** 'me': /auth/me 401 shape; 'account': path auth_id must be the caller; 'main': additionally caller must be an MA_. */
  auth: 'me' | 'account' | 'main';
  // ASSUMPTION: sub-account routes accept the path with and without trailing slash (notes §2.2).
  slashOptional?: boolean;
  handler: (c: Ctx) => Reply;
}

const ok = (body: unknown, status = 200): Reply => ({ status, body });
const NO_CONTENT: Reply = { status: 204 };

// ---------- shared helpers ----------

/** Sub-accounts are billed to their parent (notes §3.3, §10.3). */
function billingAccount(s: State, a: Account): Account {
  return a.parent_auth_id ? s.accounts.find((p) => p.auth_id === a.parent_auth_id)! : a;
}

function record(s: State, payer: Account, type: 'debit' | 'credit', amount: number, currency: string, referenceType: string, reference: string, description: string): void {
  const now = nowIso();
  const b = (payer.balances[currency] ??= { id: newUuid(), balance: 0, created_at: now, updated_at: now });
  b.balance = money(b.balance + (type === 'debit' ? -amount : amount));
  b.updated_at = now;
  s.transactions.push({
    id: newUuid(), account_id: payer.auth_id, type, amount, currency, reference_type: referenceType,
    reference, description, balance_after: b.balance, created_at: now,
  });
}

function listMeta<T>(c: Ctx, items: T[], view: (x: T) => unknown): Reply {
  const { limit, offset } = limitOffset(c.query);
  return ok({ meta: { limit, offset, total: items.length }, objects: items.slice(offset, offset + limit).map(view) });
}

type Owned = { id: string; account_id: string };
function findOwned<T extends Owned>(list: T[], c: Ctx, id: string, notFound: string): T {
  const x = list.find((o) => o.id === id && o.account_id === c.caller.auth_id);
  return x ?? raw(404, { error: notFound, code: 404 });
}

function removeById<T extends { id: string }>(list: T[], id: string): void {
  const i = list.findIndex((o) => o.id === id);
  if (i >= 0) list.splice(i, 1);
}

// ---------- trunks ----------

type RefKey = 'credential_uuid' | 'ipacl_uuid' | 'primary_uri_uuid' | 'fallback_uri_uuid';
type RefColl = 'credentials' | 'ip_acl' | 'origination_uris';
const REFS: [RefKey, RefColl][] = [
  ['credential_uuid', 'credentials'], ['ipacl_uuid', 'ip_acl'],
  ['primary_uri_uuid', 'origination_uris'], ['fallback_uri_uuid', 'origination_uris'],
];
const CLEARABLE: ['pii_entity_types' | 'webhook_url' | 'inbound_destination', number][] = [
  ['pii_entity_types', 500], ['webhook_url', 500], ['inbound_destination', 255],
];
const HOSTNAME = /^(?=.{1,255}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** Two spellings of the same field (OpenAPI vs legacy) must agree when both are sent. */
function agree<T>(f: Fields, a: T | undefined, b: T | undefined, what: string): T | undefined {
  if (a !== undefined && b !== undefined && a !== b) f.bad(`conflicting values for ${what}`);
  return a ?? b;
}

/** Apply create/update fields onto a draft trunk. Accepts the OpenAPI shape and the legacy create trio. */
function applyTrunkFields(c: Ctx, f: Fields, t: Trunk, creating: boolean): void {
  const name = f.str('name', { required: creating, min: 1, max: 100 });
  if (name !== undefined) t.name = name;

  const legacyType = f.oneOf('trunk_type', ['INBOUND', 'OUTBOUND'] as const)?.toLowerCase();
  // ASSUMPTION: 'both' is accepted in requests too (it is the default and appears in responses).
  const direction = agree(f, f.oneOf('trunk_direction', ['inbound', 'outbound', 'both'] as const), legacyType, 'trunk_direction/trunk_type');
  if (direction) t.trunk_direction = direction;

  // ASSUMPTION: trunk_status enabled→active, disabled→inactive; active/inactive and boolean `enabled` are aliases (notes §6.4).
  const st = f.oneOf('trunk_status', ['enabled', 'disabled', 'active', 'inactive'] as const);
  const fromStatus = st === undefined ? undefined : st === 'enabled' || st === 'active' ? 'active' : 'inactive';
  const en = f.bool('enabled');
  const status = agree(f, fromStatus, en === undefined ? undefined : en ? 'active' : 'inactive', 'trunk_status/enabled');
  if (status) t.trunk_status = status;

  const calls = agree(f, f.int('concurrent_calls_limit', { min: 0, max: 1000 }), f.int('max_concurrent_calls', { min: 0, max: 1000 }), 'concurrent_calls_limit/max_concurrent_calls');
  if (calls !== undefined) t.concurrent_calls_limit = calls;
  const cps = f.int('cps_limit', { min: 0, max: 100 });
  if (cps !== undefined) t.cps_limit = cps;

  const domain = f.str('trunk_domain', { min: 1, max: 255, pattern: HOSTNAME });
  if (domain !== undefined) {
    // ASSUMPTION: trunk_domain is updatable and globally unique ("never shared") → 409 on collision.
    if (c.s.trunks.some((o) => o.trunk_domain === domain.toLowerCase() && o.trunk_id !== t.trunk_id)) raw(409, { error: 'Trunk domain already in use', code: 409 });
    t.trunk_domain = domain.toLowerCase();
  }
  const description = f.str('description', { max: 500 });
  if (description !== undefined) t.description = description;
  const transport = f.oneOf('transport', ['udp', 'tcp', 'tls'] as const);
  if (transport) t.transport = transport;
  const method = f.oneOf('webhook_method', ['POST', 'GET'] as const);
  if (method) t.webhook_method = method;
  for (const k of ['secure', 'recording', 'enable_transcription', 'pii_redaction', 'recording_webhook_enabled'] as const) {
    const v = f.bool(k);
    if (v !== undefined) t[k] = v;
  }

  // ASSUMPTION: "" or null on an optional string/reference detaches it (notes §6.7).
  for (const [k, max] of CLEARABLE) {
    if (f.isNull(k) || f.obj[k] === '') { delete t[k]; continue; }
    const v = f.str(k, { max });
    if (v === undefined) continue;
    if (k === 'webhook_url' && !isPublicWebhookUrl(v)) raw(400, { error: 'invalid webhook_url', code: 400 });
    t[k] = v;
  }
  for (const [k, coll] of REFS) {
    if (f.isNull(k) || f.obj[k] === '') { delete t[k]; continue; }
    const v = f.str(k);
    if (v === undefined) continue;
    // ASSUMPTION: referencing a missing (or another account's) object → 400 (undocumented).
    if (!(c.s[coll] as Owned[]).some((o) => o.id === v && o.account_id === t.account_id)) f.bad(`${k} not found`);
    t[k] = v;
  }

  if (t.enable_transcription && !t.recording) f.bad('enable_transcription requires recording');
  if (t.pii_redaction && !t.enable_transcription) f.bad('pii_redaction requires enable_transcription');
}

/**
 * Deprecated create-only fields `username`/`password` and `ip_whitelist` (notes §6.2, "still accepted").
 * ASSUMPTION: they create a credential / ACL entries and attach them. Validated first, committed by the returned fn.
 */
function legacyTrunkAuth(c: Ctx, f: Fields, t: Trunk): () => void {
  const commits: (() => void)[] = [];
  if (f.has('username') || f.has('password')) {
    if (t.credential_uuid) f.bad('username/password cannot be combined with credential_uuid');
    const cred = buildCredential(c, f, false);
    commits.push(() => { c.s.credentials.push(cred); t.credential_uuid = cred.id; });
  }
  if (f.has('ip_whitelist')) {
    const ips = f.obj.ip_whitelist;
    if (!Array.isArray(ips) || ips.length === 0 || ips.some((ip) => typeof ip !== 'string')) f.bad('ip_whitelist must be a non-empty array of strings');
    if (t.ipacl_uuid) f.bad('ip_whitelist cannot be combined with ipacl_uuid');
    if ((ips as string[]).some((ip) => !isAcceptableAclIp(ip))) raw(400, { error: 'Invalid IP address format', code: 400 });
    commits.push(() => {
      const entries = (ips as string[]).map((ip) => newAcl(c, ip, `${t.name} ip_whitelist`));
      c.s.ip_acl.push(...entries);
      t.ipacl_uuid = entries[0].id;
    });
  }
  return () => commits.forEach((fn) => fn());
}

function findTrunk(c: Ctx): Trunk {
  const t = c.s.trunks.find((o) => o.trunk_id === c.params.trunk_id && o.account_id === c.caller.auth_id);
  // ASSUMPTION: trunk 404 body is the flat trunk-family shape {"error":"Trunk not found","code":404}.
  return t ?? raw(404, { error: 'Trunk not found', code: 404 });
}

function createTrunk(c: Ctx): Reply {
  const f = fieldsOf(c.body, 'trunk');
  let id = newUuid();
  while (c.s.trunks.some((o) => o.trunk_domain === `${id.slice(0, 8)}.sip.vobiz.ai`)) id = newUuid();
  const now = nowIso();
  // ASSUMPTION: trunk_direction defaults to 'both'; cps_limit 2 and concurrent_calls_limit 10 per the OpenAPI defaults.
  const t: Trunk = {
    trunk_id: id, account_id: c.caller.auth_id, name: '', trunk_domain: `${id.slice(0, 8)}.sip.vobiz.ai`,
    trunk_status: 'active', secure: false, trunk_direction: 'both', concurrent_calls_limit: 10, cps_limit: 2,
    description: '', transport: 'udp', recording: false, enable_transcription: false, pii_redaction: false,
    webhook_method: 'POST', recording_webhook_enabled: false, created_at: now, updated_at: now,
  };
  applyTrunkFields(c, f, t, true);
  legacyTrunkAuth(c, f, t)();
  c.s.trunks.push(t);
  return ok(trunkView(t), 201);
}

function updateTrunk(c: Ctx): Reply {
  const t = findTrunk(c);
  const draft: Trunk = { ...t };
  applyTrunkFields(c, fieldsOf(c.body, 'trunk'), draft, false);
  draft.updated_at = nowIso();
  c.s.trunks[c.s.trunks.indexOf(t)] = draft;
  return ok(trunkView(draft));
}

/** Trunk delete cascades (notes §13.10): referenced children not used by another trunk, and number routing. */
function deleteTrunk(c: Ctx): Reply {
  const t = findTrunk(c);
  c.s.trunks.splice(c.s.trunks.indexOf(t), 1);
  // ASSUMPTION: cascade=referenced — delete the trunk's credential/ACL/URIs unless another trunk still references them.
  for (const [k, coll] of REFS) {
    const id = t[k];
    if (!id) continue;
    const stillUsed = c.s.trunks.some((o) => REFS.some(([k2, coll2]) => coll2 === coll && o[k2] === id));
    if (!stillUsed) removeById(c.s[coll] as Owned[], id);
  }
  // ASSUMPTION: numbers on the trunk stay owned but lose trunk_group_id.
  const now = nowIso();
  for (const n of c.s.numbers) if (n.trunk_group_id === t.trunk_id) { delete n.trunk_group_id; n.updated_at = now; }
  return NO_CONTENT;
}

// ASSUMPTION: deleting a credential/ACL/URI clears the references to it on trunks (notes §7.5, §8.5, §9.5).
function clearTrunkRefs(c: Ctx, coll: RefColl, id: string): void {
  const now = nowIso();
  for (const t of c.s.trunks) {
    let changed = false;
    for (const [k, coll2] of REFS) if (coll2 === coll && t[k] === id) { delete t[k]; changed = true; }
    // ASSUMPTION: inbound_destination is cleared when it named the deleted origination URI.
    if (coll === 'origination_uris' && t.inbound_destination === id) { delete t.inbound_destination; changed = true; }
    if (changed) t.updated_at = now;
  }
}

/** Credentials, ACL entries and URIs are deleted alike: the object goes, and trunks forget it. */
function deleteTrunkChild(coll: RefColl, param: string, notFound: string) {
  return (c: Ctx): Reply => {
    const list: Owned[] = c.s[coll];
    const obj = findOwned(list, c, c.params[param], notFound);
    removeById(list, obj.id);
    clearTrunkRefs(c, coll, obj.id);
    return NO_CONTENT;
  };
}

// ---------- SIP credentials ----------

function buildCredential(c: Ctx, f: Fields, readEnabled: boolean): Credential {
  const username = f.str('username', { required: true, pattern: USERNAME, patternMsg: 'Username must be 1-100 characters of letters, digits, underscore or hyphen' })!;
  const password = f.str('password', { required: true })!;
  const problem = passwordProblem(password);
  if (problem) f.bad(problem);
  // ASSUMPTION: legacy `enabled` is accepted on create; `description` is ignored.
  const enabled = readEnabled ? f.bool('enabled') ?? true : true;
  // ASSUMPTION: username uniqueness is case-sensitive and account-wide.
  if (c.s.credentials.some((o) => o.account_id === c.caller.auth_id && o.username === username)) raw(409, { error: 'Username already exists', code: 409 });
  const salt = newSalt();
  const now = nowIso();
  return { id: newUuid(), account_id: c.caller.auth_id, username, password_hash: hashSecret(password, salt), salt, enabled, created_at: now, updated_at: now };
}

function createCredential(c: Ctx): Reply {
  const cred = buildCredential(c, fieldsOf(c.body, 'trunk'), true);
  c.s.credentials.push(cred);
  return ok(credentialView(cred), 201);
}

function updateCredential(c: Ctx): Reply {
  const cred = findOwned(c.s.credentials, c, c.params.credential_id, 'Credential not found');
  const f = fieldsOf(c.body, 'trunk');
  // ASSUMPTION: username is immutable; sending a different one is an error rather than silently ignored.
  const username = f.str('username');
  if (username !== undefined && username !== cred.username) f.bad('username cannot be changed; create a new credential instead');
  const password = f.str('password');
  const enabled = f.bool('enabled');
  // ASSUMPTION: at least one of password/enabled is required (notes §7.4).
  if (password === undefined && enabled === undefined) f.bad('password is required');
  if (password !== undefined) {
    const problem = passwordProblem(password);
    if (problem) f.bad(problem);
    cred.salt = newSalt();
    cred.password_hash = hashSecret(password, cred.salt);
  }
  if (enabled !== undefined) cred.enabled = enabled;
  cred.updated_at = nowIso();
  return ok(credentialView(cred));
}

// ---------- IP ACL ----------

/** Request `name` is stored as `description`; legacy clients sent `description` directly. */
function labelField(f: Fields, required: boolean): string | undefined {
  // ASSUMPTION: labels are 1–255 characters.
  return f.has('name') ? f.str('name', { required, max: 255 }) : f.str('description', { max: 255, min: 1 }) ?? (required ? f.bad('name is required') : undefined);
}

function aclIp(f: Fields): string {
  const ip = f.str('ip_address', { required: true })!;
  if (!isAcceptableAclIp(ip)) raw(400, { error: 'Invalid IP address format', code: 400 });
  return ip;
}

function newAcl(c: Ctx, ip: string, description: string): IpAcl {
  const now = nowIso();
  // ASSUMPTION: ip_address is stored exactly as sent (no /32 normalisation); duplicates allowed.
  return { id: newUuid(), account_id: c.caller.auth_id, ip_address: ip, description, enabled: true, created_at: now, updated_at: now };
}

function createAcl(c: Ctx): Reply {
  const f = fieldsOf(c.body, 'trunk');
  const name = labelField(f, true)!;
  const acl = newAcl(c, aclIp(f), name);
  c.s.ip_acl.push(acl);
  return ok(ipAclView(acl), 201);
}

function updateAcl(c: Ctx): Reply {
  const acl = findOwned(c.s.ip_acl, c, c.params.ip_acl_id, 'IP ACL not found');
  const f = fieldsOf(c.body, 'trunk');
  const name = labelField(f, true)!; // full replace: name and ip_address both required
  const ip = aclIp(f);
  // ASSUMPTION: optional `enabled` is accepted on update (the delete page's "disable instead" sample).
  const enabled = f.bool('enabled');
  Object.assign(acl, { description: name, ip_address: ip, enabled: enabled ?? acl.enabled, updated_at: nowIso() });
  return ok(ipAclView(acl));
}

// ---------- origination URIs ----------

const INVALID_SIP_URI = { error: 'Invalid SIP URI format. Expected: sip:user@host:port', code: 400 };
// ASSUMPTION: priority and weight are integers in 1–65535.
const PRIO = { min: 1, max: 65535 };

function createUri(c: Ctx): Reply {
  const f = fieldsOf(c.body, 'trunk');
  const name = labelField(f, true)!;
  // ASSUMPTION: legacy `uri` is accepted as an alias for `sip_uri`.
  const uri = f.has('sip_uri') ? f.str('sip_uri', { required: true })! : f.str('uri') ?? f.bad('sip_uri is required');
  const priority = f.int('priority', { required: true, ...PRIO })!;
  const inferred = sipUriTransport(uri);
  if (!inferred) raw(400, INVALID_SIP_URI);
  const now = nowIso();
  const o: OriginationUri = {
    id: newUuid(), account_id: c.caller.auth_id, uri, priority,
    weight: f.int('weight', PRIO) ?? 10, enabled: f.bool('enabled') ?? true,
    transport: f.oneOf('transport', ['udp', 'tcp', 'tls'] as const) ?? inferred, description: name, created_at: now, updated_at: now,
  };
  c.s.origination_uris.push(o);
  return ok(uriView(o), 201);
}

function updateUri(c: Ctx): Reply {
  const o = findOwned(c.s.origination_uris, c, c.params.uri_id, 'Origination URI not found');
  const f = fieldsOf(c.body, 'trunk');
  const name = labelField(f, true)!;
  const priority = f.int('priority', { required: true, ...PRIO })!;
  // The destination, weight, enabled and transport are console-only (notes §9.4): reject attempts to change them.
  const immutable: [string, unknown][] = [['sip_uri', o.uri], ['uri', o.uri], ['weight', o.weight], ['enabled', o.enabled], ['transport', o.transport]];
  for (const [k, current] of immutable)
    if (f.has(k) && f.obj[k] !== current) f.bad(`${k} cannot be changed via the API; create a new origination URI instead`);
  Object.assign(o, { description: name, priority, updated_at: nowIso() });
  return ok(uriView(o));
}

// ---------- numbers ----------

function e164Param(c: Ctx): string {
  const v = c.params.e164;
  if (!E164.test(v)) raw(400, { error: 'invalid request', message: 'The phone number format is invalid. Ensure it is URL-encoded correctly.' });
  return v;
}

function searchInventory(c: Ctx): Reply {
  const { page, per } = pagePer(c.query, 'number', 'per_page', 25);
  const country = c.query.get('country');
  // ASSUMPTION: country is matched case-insensitively as ISO-2.
  if (country && !/^[A-Za-z]{2}$/.test(country)) fail('number', 400, 'country must be an ISO 3166-1 alpha-2 code');
  const search = c.query.get('search') ?? '';
  const exclude = [...new Set(c.query.getAll('exclude').flatMap((v) => v.split(',')).map((x) => x.trim()).filter(Boolean).map((x) => x.replace(/^\+/, '')))];
  if (exclude.some((p) => !/^\d+$/.test(p))) fail('number', 400, 'exclude must be a comma-separated list of E.164 prefixes');
  const items = c.s.numbers
    .filter((n) => n.account_id === null && n.status === 'active')
    .filter((n) => !country || n.country === country.toUpperCase())
    .filter((n) => n.e164.includes(search) && !exclude.some((p) => n.e164.slice(1).startsWith(p)))
    .sort((a, b) => a.e164.localeCompare(b.e164));
  return ok({ items: paginate(items, page, per).map((n) => numberView(n)), page, per_page: per, total: items.length });
}

function purchaseNumber(c: Ctx): Reply {
  const f = fieldsOf(c.body, 'number');
  const e164 = f.str('e164', { required: true, pattern: E164, patternMsg: 'e164 must be an E.164 number such as +919876543210' })!;
  const currency = f.str('currency', { pattern: /^[A-Z]{3}$/, patternMsg: 'currency must be an ISO 4217 code' });
  const n = c.s.numbers.find((o) => o.e164 === e164 && o.account_id === null && o.status === 'active');
  if (!n) raw(404, { error: 'not_found', message: 'number not found in inventory' });
  // ASSUMPTION: an explicit currency different from the number's currency is rejected.
  if (currency && currency !== n.currency) fail('number', 400, `currency ${currency} does not match the number's currency ${n.currency}`);
  const payer = billingAccount(c.s, c.caller);
  const total = money(n.setup_fee + n.monthly_fee);
  // ASSUMPTION: no balance row in the number's currency counts as insufficient balance.
  const available = payer.balances[n.currency]?.balance ?? 0;
  // Check before mutating anything, so a failed debit leaves the number in inventory ("rolled back").
  if (available < total) {
    if (c.opts.insufficientBalanceStatus === 402)
      raw(402, {
        status: 'error',
        error: { code: 'INSUFFICIENT_BALANCE', message: 'Insufficient balance to purchase phone number', details: { required: total, available, currency: n.currency, shortfall: money(total - available) } },
        timestamp: new Date().toISOString(), requestId: c.requestId,
      });
    raw(500, { error: 'internal_server_error', message: 'failed to purchase number' });
  }
  record(c.s, payer, 'debit', total, n.currency, 'did_purchase', n.e164, `Number purchase ${n.e164} (setup ${n.setup_fee} + monthly ${n.monthly_fee})`);
  const now = nowIso();
  Object.assign(n, { account_id: c.caller.auth_id, tags: [], purchased_at: now, last_billing_date: now, next_billing_date: addMonths(now, 1), updated_at: now });
  // ASSUMPTION: response is only {message, number} (no `items` copy); `source` is "inventory" here, "purchased" in lists.
  return ok({ message: 'Number purchased successfully', number: numberView(n, 'inventory') });
}

/** Numbers visible to the caller: its own, plus its sub-accounts' for a main account (notes §10.4). */
function visibleTo(s: State, caller: Account, n: PhoneNumber): boolean {
  if (n.account_id === caller.auth_id) return true;
  return !caller.parent_auth_id && s.accounts.some((a) => a.auth_id === n.account_id && a.parent_auth_id === caller.auth_id);
}

function listNumbers(c: Ctx): Reply {
  const { page, per } = pagePer(c.query, 'number', 'per_page', 25);
  const search = c.query.get('search') ?? '';
  // ASSUMPTION: pending_release numbers stay listed; released ones are not.
  const items = c.s.numbers
    .filter((n) => n.account_id !== null && n.status !== 'released' && visibleTo(c.s, c.caller, n) && n.e164.includes(search))
    .sort((a, b) => (a.purchased_at ?? '').localeCompare(b.purchased_at ?? ''));
  return ok({ items: paginate(items, page, per).map((n) => numberView(n)), page, per_page: per, total: items.length });
}

function releaseNumber(c: Ctx): Reply {
  const e164 = e164Param(c);
  const imm = c.query.get('immediate');
  // ASSUMPTION: immediate must be exactly "true" or "false" when present.
  if (imm !== null && imm !== 'true' && imm !== 'false') fail('number', 400, 'immediate must be true or false');
  const candidates = c.s.numbers.filter((o) => o.e164 === e164);
  const n = candidates.find((o) => o.account_id === c.caller.auth_id && o.status !== 'released');
  // ASSUMPTION: unknown (or already released) → 404 {"error":"not_found","message":"number not found"}.
  if (!n) {
    if (candidates.some((o) => o.status !== 'released' || o.account_id !== c.caller.auth_id)) raw(403, { error: 'forbidden', message: 'account does not own this number' });
    raw(404, { error: 'not_found', message: 'number not found' });
  }
  // ASSUMPTION: releasing a number already pending_release → 400.
  if (n.status === 'pending_release') fail('number', 400, 'number is already pending release');
  const immediate = imm === 'true';
  const fee = money(c.opts.releaseFees[n.currency] ?? 0);
  // ASSUMPTION: the release fee is always debited, even if it takes the balance below zero (behaviour undocumented).
  if (fee > 0) record(c.s, billingAccount(c.s, c.caller), 'debit', fee, n.currency, 'did_release_fee', n.e164, `Release fee ${n.e164}`);
  const now = nowIso();
  const cooldown = immediate ? now : addMs(now, PENDING_RELEASE_WINDOW_MS);
  for (const k of ['trunk_group_id', 'application_id', 'next_billing_date'] as const) delete n[k];
  Object.assign(n, { status: immediate ? 'released' : 'pending_release', cooldown_ends_at: cooldown, updated_at: now }, immediate ? { released_at: now } : {});
  // ASSUMPTION: immediate=true returns the same keys with status "released" and cooldown_ends_at = now.
  return ok({
    cancel_url: `/api/v1/account/${c.caller.auth_id}/numbers/${n.e164}/cancel-release`,
    cooldown_ends_at: cooldown,
    message: 'number release initiated',
    note: immediate
      ? 'Number released immediately; it will be quarantined for 45 days before becoming available.'
      : 'Number will be in pending_release for 24 hours (cancellable), then quarantined for 45 days before becoming available.',
    release_fee: fee,
    status: n.status,
  });
}

/** Undoes a release within its 24-hour window and refunds the fee (notes §10.8). */
function cancelRelease(c: Ctx): Reply {
  const e164 = e164Param(c);
  const candidates = c.s.numbers.filter((o) => o.e164 === e164 && o.status !== 'released');
  const n = candidates.find((o) => o.account_id === c.caller.auth_id);
  if (!n) raw(candidates.length ? 403 : 404, { error: candidates.length ? 'access denied' : 'number not found' });
  if (n.status !== 'pending_release') raw(400, { error: 'number is not pending release' });
  const fee = money(c.opts.releaseFees[n.currency] ?? 0);
  if (fee > 0) record(c.s, billingAccount(c.s, c.caller), 'credit', fee, n.currency, 'refund', n.e164, `Release fee refund ${n.e164}`);
  const now = nowIso();
  // Billing resumes; the trunk route is not restored (notes §10.7: "cancel does not re-attach").
  delete n.cooldown_ends_at;
  Object.assign(n, { status: 'active', next_billing_date: addMonths(now, 1), updated_at: now });
  return ok({ currency: n.currency, message: 'release cancelled, number restored to active status', refund_amount: fee, status: 'active' });
}

const NUMBER_NOT_FOUND_ASSIGN = { error: 'Number not found', message: 'The phone number could not be found. Ensure it is in your inventory and URL-encoded correctly.' };

function assignNumber(c: Ctx): Reply {
  const e164 = e164Param(c);
  const trunkId = fieldsOf(c.body, 'number').str('trunk_group_id', { required: true })!;
  const n = c.s.numbers.find((o) => o.e164 === e164 && o.account_id === c.caller.auth_id && o.status !== 'released');
  if (!n) raw(404, NUMBER_NOT_FOUND_ASSIGN);
  // ASSUMPTION: a number pending release cannot be routed.
  if (n.status === 'pending_release') fail('number', 400, 'number is pending release');
  if (n.trunk_group_id) raw(400, { error: 'invalid request', message: 'This number is already assigned to a trunk.' });
  // ASSUMPTION: unknown trunk → 404 {"error":"Trunk not found","message":...}.
  if (!c.s.trunks.some((t) => t.trunk_id === trunkId && t.account_id === c.caller.auth_id))
    raw(404, { error: 'Trunk not found', message: 'The trunk could not be found or does not belong to this account.' });
  n.trunk_group_id = trunkId;
  n.updated_at = nowIso();
  return NO_CONTENT;
}

function unassignNumber(c: Ctx): Reply {
  const e164 = e164Param(c);
  const n = c.s.numbers.find((o) => o.e164 === e164 && o.account_id === c.caller.auth_id && o.status !== 'released');
  if (!n || !n.trunk_group_id) raw(404, { error: 'Number not found', message: 'The phone number could not be found or is not assigned to any trunk.' });
  delete n.trunk_group_id;
  n.updated_at = nowIso();
  return NO_CONTENT;
}

// ---------- account ----------

function balance(c: Ctx): Reply {
  const cur = c.params.currency;
  if (!/^[A-Z]{3}$/.test(cur)) fail('account', 400, 'currency must be an upper-case ISO 4217 code');
  // ASSUMPTION: a sub-account sees its parent's balance (billing rolls up, as with transactions).
  const owner = billingAccount(c.s, c.caller);
  const b = owner.balances[cur];
  // ASSUMPTION: a currency the account does not hold → 404 {"error":"not_found",...}.
  if (!b) fail('account', 404, `no ${cur} balance for this account`);
  return ok(balanceView(owner, cur, b));
}

// ---------- sub-accounts ----------

const BUSINESS_TYPES = ['individual', 'proprietorship', 'private_limited', 'llp', 'partnership', 'public_limited', 'trust', 'society', 'huf', 'government'] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function applySubAccountFields(c: Ctx, f: Fields, a: Account, creating: boolean): void {
  const name = f.str('name', { required: creating, min: 1, max: 255 }); // ASSUMPTION: name 1–255
  if (name !== undefined) a.name = name;
  // Nullable optional strings: null clears (update), a string sets.
  const nullable: ['email' | 'phone' | 'description', number, RegExp?][] = [['email', 254, EMAIL], ['phone', 32], ['description', 1000]];
  for (const [k, max, pattern] of nullable) {
    if (f.isNull(k)) { a[k] = null; continue; }
    const v = f.str(k, { max, pattern, patternMsg: `${k} is not a valid email address` });
    if (v !== undefined) a[k] = v;
  }
  // ASSUMPTION: `password` is not updatable here; like any unknown field it is ignored on update.
  const rate = f.int('rate_limit', { min: 1, max: 1_000_000 });
  if (rate !== undefined) a.rate_limit = rate;
  if (f.isNull('permissions')) a.permissions = null;
  else if (f.has('permissions')) {
    const p = f.obj.permissions as Record<string, unknown>;
    if (typeof p !== 'object' || Array.isArray(p) || typeof p.calls !== 'boolean' || typeof p.cdr !== 'boolean') f.bad('permissions must be an object {calls: boolean, cdr: boolean}');
    a.permissions = { calls: p.calls as boolean, cdr: p.cdr as boolean };
  }
  const enabled = f.bool('enabled');
  if (enabled !== undefined) a.enabled = enabled;
  if (f.isNull('business_type')) a.business_type = null;
  const bt = f.oneOf('business_type', BUSINESS_TYPES);
  if (bt) a.business_type = bt;
  const kyc = f.oneOf('kyc_mode', ['personal_use', 'customer_use'] as const);
  if (kyc) { a.kyc_mode = kyc; a.kyc_calls_blocked = kyc === 'customer_use'; }
  if (a.kyc_mode === 'customer_use' && !a.email) f.bad('email is required when kyc_mode is customer_use');
  // ASSUMPTION: e-mails are unique across accounts → 409.
  if (a.email && c.s.accounts.some((o) => o.auth_id !== a.auth_id && o.email?.toLowerCase() === a.email!.toLowerCase()))
    fail('subaccount', 409, 'email already exists');
}

function findChild(c: Ctx): Account {
  const a = c.s.accounts.find((o) => o.auth_id === c.params.sub_auth_id && o.parent_auth_id === c.caller.auth_id);
  // ASSUMPTION: unknown sub-account → 404 {"error":"not_found","message":"sub-account not found"}.
  return a ?? fail('subaccount', 404, 'sub-account not found');
}

function createSubAccount(c: Ctx): Reply {
  const f = fieldsOf(c.body, 'subaccount');
  // ASSUMPTION: the console-login password (optional) must be at least 8 characters; it is not stored.
  f.str('password', { min: 8, max: 128 });
  let authId = newSubAccountId();
  while (c.s.accounts.some((o) => o.auth_id === authId)) authId = newSubAccountId();
  const token = newToken();
  const now = nowIso();
  const a: Account = {
    auth_id: authId, id: String(c.s.next_account_id), api_id: newUuid(), parent_auth_id: c.caller.auth_id, name: '',
    email: null, phone: null, description: null, permissions: null, rate_limit: 1000, enabled: true,
    kyc_mode: 'personal_use', business_type: null, kyc_calls_blocked: false, token_hash: hashSecret(token),
    created_at: now, updated_at: now, last_used: null, balances: {},
  };
  applySubAccountFields(c, f, a, true);
  c.s.next_account_id++;
  c.s.accounts.push(a);
  return ok({
    message: 'Sub-account created successfully',
    sub_account: subAccountView(a, c.caller, token),
    auth_credentials: { auth_id: authId, auth_token: token },
    tokens: { access_token: fakeJwt(authId, 1800), refresh_token: fakeJwt(authId, 7 * 86400), token_type: 'bearer', expires_in: 1800 },
  }, 201);
}

function listSubAccounts(c: Ctx): Reply {
  const { page, per } = pagePer(c.query, 'subaccount', 'size', 25);
  const active = c.query.get('active_only');
  if (active !== null && active !== 'true' && active !== 'false') fail('subaccount', 400, 'active_only must be true or false');
  const items = c.s.accounts
    .filter((a) => a.parent_auth_id === c.caller.auth_id && (active !== 'true' || a.enabled))
    .sort((a, b) => b.created_at.localeCompare(a.created_at)); // newest first
  return ok({ sub_accounts: paginate(items, page, per).map((a) => subAccountView(a, c.caller)), total: items.length, page, size: per });
}

function updateSubAccount(c: Ctx): Reply {
  const a = findChild(c);
  const draft: Account = { ...a };
  applySubAccountFields(c, fieldsOf(c.body, 'subaccount'), draft, false);
  draft.updated_at = nowIso();
  c.s.accounts[c.s.accounts.indexOf(a)] = draft;
  return ok(subAccountView(draft, c.caller));
}

function deleteSubAccount(c: Ctx): Reply {
  const a = findChild(c);
  const id = a.auth_id;
  // ASSUMPTION: the SA's numbers return to the parent (unrouted); its trunks/credentials/ACLs/URIs are deleted; its token dies with it.
  const now = nowIso();
  for (const n of c.s.numbers) if (n.account_id === id) { n.account_id = c.caller.auth_id; delete n.trunk_group_id; n.updated_at = now; }
  c.s.trunks = c.s.trunks.filter((o) => o.account_id !== id);
  c.s.credentials = c.s.credentials.filter((o) => o.account_id !== id);
  c.s.ip_acl = c.s.ip_acl.filter((o) => o.account_id !== id);
  c.s.origination_uris = c.s.origination_uris.filter((o) => o.account_id !== id);
  c.s.accounts = c.s.accounts.filter((o) => o.auth_id !== id);
  return ok({ message: 'Sub-account deleted successfully' });
}

// ---------- the route table ----------

const A = '/api/v1/Account/:auth_id';
const SUB = '/api/v1/accounts/:auth_id/sub-accounts';

// Literal segments are listed before params that could swallow them (trunks/credentials vs trunks/:trunk_id).
export const ROUTES: Route[] = [
  { method: 'GET', path: '/api/v1/auth/me', family: 'account', auth: 'me', handler: (c) => ok(meView(c.caller)) },
  { method: 'GET', path: `${A}/balance/:currency`, family: 'account', auth: 'account', handler: balance },

  { method: 'POST', path: `${SUB}/`, family: 'subaccount', auth: 'main', slashOptional: true, handler: createSubAccount },
  { method: 'GET', path: `${SUB}/`, family: 'subaccount', auth: 'main', slashOptional: true, handler: listSubAccounts },
  { method: 'GET', path: `${SUB}/:sub_auth_id`, family: 'subaccount', auth: 'main', slashOptional: true, handler: (c) => ok(subAccountView(findChild(c), c.caller)) },
  { method: 'PUT', path: `${SUB}/:sub_auth_id`, family: 'subaccount', auth: 'main', slashOptional: true, handler: updateSubAccount },
  { method: 'DELETE', path: `${SUB}/:sub_auth_id`, family: 'subaccount', auth: 'main', slashOptional: true, handler: deleteSubAccount },

  { method: 'GET', path: `${A}/trunks/credentials`, family: 'trunk', auth: 'account', handler: (c) => listMeta(c, c.s.credentials.filter((o) => o.account_id === c.caller.auth_id), credentialView) },
  { method: 'GET', path: `${A}/trunks/ip-acl`, family: 'trunk', auth: 'account', handler: (c) => listMeta(c, c.s.ip_acl.filter((o) => o.account_id === c.caller.auth_id), ipAclView) },
  { method: 'GET', path: `${A}/trunks/origination-uris`, family: 'trunk', auth: 'account', handler: (c) => listMeta(c, c.s.origination_uris.filter((o) => o.account_id === c.caller.auth_id), uriView) },
  { method: 'POST', path: `${A}/trunks`, family: 'trunk', auth: 'account', handler: createTrunk },
  { method: 'GET', path: `${A}/trunks`, family: 'trunk', auth: 'account', handler: (c) => listMeta(c, c.s.trunks.filter((o) => o.account_id === c.caller.auth_id), trunkView) },
  { method: 'GET', path: `${A}/trunks/:trunk_id`, family: 'trunk', auth: 'account', handler: (c) => ok(trunkView(findTrunk(c))) },
  { method: 'PUT', path: `${A}/trunks/:trunk_id`, family: 'trunk', auth: 'account', handler: updateTrunk },
  { method: 'DELETE', path: `${A}/trunks/:trunk_id`, family: 'trunk', auth: 'account', handler: deleteTrunk },

  { method: 'POST', path: `${A}/credentials`, family: 'trunk', auth: 'account', handler: createCredential },
  { method: 'PUT', path: `${A}/credentials/:credential_id`, family: 'trunk', auth: 'account', handler: updateCredential },
  { method: 'DELETE', path: `${A}/credentials/:credential_id`, family: 'trunk', auth: 'account', handler: deleteTrunkChild('credentials', 'credential_id', 'Credential not found') },

  { method: 'POST', path: `${A}/ip-acl`, family: 'trunk', auth: 'account', handler: createAcl },
  { method: 'PUT', path: `${A}/ip-acl/:ip_acl_id`, family: 'trunk', auth: 'account', handler: updateAcl },
  { method: 'DELETE', path: `${A}/ip-acl/:ip_acl_id`, family: 'trunk', auth: 'account', handler: deleteTrunkChild('ip_acl', 'ip_acl_id', 'IP ACL not found') },

  { method: 'POST', path: `${A}/origination-uris`, family: 'trunk', auth: 'account', handler: createUri },
  { method: 'PUT', path: `${A}/origination-uris/:uri_id`, family: 'trunk', auth: 'account', handler: updateUri },
  { method: 'DELETE', path: `${A}/origination-uris/:uri_id`, family: 'trunk', auth: 'account', handler: deleteTrunkChild('origination_uris', 'uri_id', 'Origination URI not found') },

  { method: 'GET', path: `${A}/inventory/numbers`, family: 'number', auth: 'account', handler: searchInventory },
  { method: 'POST', path: `${A}/numbers/purchase-from-inventory`, family: 'number', auth: 'account', handler: purchaseNumber },
  { method: 'GET', path: `${A}/numbers`, family: 'number', auth: 'account', handler: listNumbers },
  { method: 'DELETE', path: `${A}/numbers/:e164`, family: 'number', auth: 'account', handler: releaseNumber },
  { method: 'POST', path: `${A}/numbers/:e164/assign`, family: 'number', auth: 'account', handler: assignNumber },
  { method: 'DELETE', path: `${A}/numbers/:e164/assign`, family: 'number', auth: 'account', handler: unassignNumber },
  // The one number route Vobiz spells with a lower-case, singular "account" (notes §2.2).
  { method: 'POST', path: '/api/v1/account/:auth_id/numbers/:e164/cancel-release', family: 'number', auth: 'account', handler: cancelRelease },
];
