// Conformance tests for the strict Vobiz emulator (real HTTP via global fetch).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunningEmulator, startEmulator } from '../emulator';

const MA = 'MA_EMULATOR';
const REQ_ID = /^req_[0-9a-f]{16}$/;
const ISO_US = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let emu: RunningEmulator;

interface CallOpts { body?: unknown; rawBody?: string; auth?: [string, string] | null; headers?: Record<string, string>; on?: RunningEmulator }
interface Res { status: number; body: any; headers: Headers }

async function call(method: string, p: string, o: CallOpts = {}): Promise<Res> {
  const target = o.on ?? emu;
  const headers: Record<string, string> = { ...o.headers };
  const auth = o.auth === undefined ? [target.authId, target.authToken] : o.auth;
  if (auth) Object.assign(headers, { 'X-Auth-ID': auth[0], 'X-Auth-Token': auth[1] });
  let body: string | undefined = o.rawBody;
  if (o.body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = JSON.stringify(o.body);
  }
  const res = await fetch(target.url + p, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const A = `/api/v1/Account/${MA}`;
const enc = (e164: string) => encodeURIComponent(e164); // '+' → '%2B'
const admin = (method: string, p: string, body?: unknown) => call(method, `/__emulator/${p}`, { body, auth: null });

async function createTrunk(body: unknown = { name: 'trunk-a' }): Promise<any> {
  const r = await call('POST', `${A}/trunks`, { body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}
async function balance(cur: string, auth?: [string, string]): Promise<number> {
  const r = await call('GET', `${A}/balance/${cur}`, { auth });
  assert.equal(r.status, 200);
  return r.body.available_balance;
}
async function firstInventory(country: string): Promise<any> {
  const r = await call('GET', `${A}/inventory/numbers?country=${country}&per_page=1`);
  assert.equal(r.status, 200);
  return r.body.items[0];
}
async function purchase(e164: string, auth?: [string, string], acct = MA): Promise<Res> {
  return call('POST', `/api/v1/Account/${acct}/numbers/purchase-from-inventory`, { body: { e164 }, auth });
}

before(async () => {
  emu = await startEmulator({ port: 0 });
});
after(async () => {
  await emu.close();
});
beforeEach(async () => {
  assert.deepEqual((await admin('POST', 'reset')).body, { ok: true });
});

describe('authentication and routing', () => {
  test('missing or wrong credentials on /Account routes → 401 gateway body', async () => {
    for (const auth of [null, [MA, 'wrong-token'], ['MA_NOBODY00', emu.authToken]] as const) {
      const r = await call('GET', `${A}/trunks`, { auth: auth as [string, string] | null });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { error: { code: 401, message: 'Invalid token' } });
      assert.match(r.headers.get('x-request-id') ?? '', REQ_ID);
    }
    const onlyId = await call('GET', `${A}/trunks`, { auth: null, headers: { 'X-Auth-ID': MA } });
    assert.equal(onlyId.status, 401);
  });

  test('/auth/me: 401 flat body without credentials, 200 with them', async () => {
    const bad = await call('GET', '/api/v1/auth/me', { auth: null });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.body, { error: 'unauthorized', message: 'invalid credentials' });
    const ok = await call('GET', '/api/v1/auth/me');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.auth_id, MA);
    assert.equal(ok.body.auth_secret, '<redacted>');
  });

  test('path auth_id different from caller → 403 mismatch body', async () => {
    const r = await call('GET', '/api/v1/Account/MA_SOMEONE1/trunks');
    assert.equal(r.status, 403);
    assert.deepEqual(r.body, { error: { code: 403, message: 'Access denied: account ID mismatch' } });
  });

  test('wrong path casing → 404 route not found (strict), accepted with lenientCasing', async () => {
    for (const p of [`/api/v1/account/${MA}/trunks`, `/api/v1/ACCOUNT/${MA}/trunks`, `/api/v1/Accounts/${MA}/sub-accounts/`, `/api/v1/Account/${MA}/Trunks`, `${A}/trunks/`]) {
      const r = await call('GET', p);
      assert.equal(r.status, 404, p);
      assert.deepEqual(r.body, { error: 'not_found', message: 'route not found' });
      assert.match(r.headers.get('x-request-id') ?? '', REQ_ID);
    }
    const lenient = await startEmulator({ port: 0, lenientCasing: true });
    try {
      const r = await call('GET', `/api/v1/account/${MA}/trunks`, { on: lenient });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { meta: { limit: 20, offset: 0, total: 0 }, objects: [] });
      const upper = await call('GET', `/api/v1/ACCOUNT/${MA}/trunks`, { on: lenient });
      assert.equal(upper.status, 404);
    } finally {
      await lenient.close();
    }
  });

  test('literal + in an E.164 path segment → 404; %2B works', async () => {
    const n = await firstInventory('IN');
    assert.equal((await purchase(n.e164)).status, 200);
    const t = await createTrunk();
    const literal = await call('POST', `${A}/numbers/${n.e164}/assign`, { body: { trunk_group_id: t.trunk_id } });
    assert.equal(literal.status, 404);
    assert.deepEqual(literal.body, { error: 'not_found', message: 'route not found' });
    const encoded = await call('POST', `${A}/numbers/${enc(n.e164)}/assign`, { body: { trunk_group_id: t.trunk_id } });
    assert.equal(encoded.status, 204);
  });

  test('non-JSON bodies are rejected with 400', async () => {
    const text = await call('POST', `${A}/trunks`, { rawBody: 'name=x', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(text.status, 400);
    assert.deepEqual(text.body, { error: 'Content-Type must be application/json', code: 400 });
    const broken = await call('POST', `${A}/trunks`, { rawBody: '{"name":', headers: { 'Content-Type': 'application/json' } });
    assert.equal(broken.status, 400);
    assert.deepEqual(broken.body, { error: 'request body is not valid JSON', code: 400 });
    const arr = await call('POST', `${A}/trunks`, { body: [1] });
    assert.deepEqual([arr.status, arr.body], [400, { error: 'request body must be a JSON object', code: 400 }]);
  });

  test('unknown admin route → 404; X-Request-Id on admin responses', async () => {
    const r = await admin('GET', 'nope');
    assert.equal(r.status, 404);
    assert.match(r.headers.get('x-request-id') ?? '', REQ_ID);
  });
});

describe('trunks', () => {
  test('create (OpenAPI shape): defaults, status mapping, domain, omitted optional keys', async () => {
    const t = await createTrunk({ name: 'primary', trunk_status: 'disabled', description: 'd', unknown_field: 1 });
    assert.match(t.trunk_id, UUID4);
    assert.equal(t.trunk_domain, `${t.trunk_id.slice(0, 8)}.sip.vobiz.ai`);
    assert.equal(t.account_id, MA);
    assert.equal(t.trunk_status, 'inactive');
    assert.equal(t.trunk_direction, 'both');
    assert.equal(t.concurrent_calls_limit, 10);
    assert.equal(t.cps_limit, 2);
    assert.equal(t.transport, 'udp');
    assert.equal(t.webhook_method, 'POST');
    assert.match(t.created_at, ISO_US);
    for (const k of ['webhook_url', 'credential_uuid', 'ipacl_uuid', 'primary_uri_uuid', 'fallback_uri_uuid', 'inbound_destination', 'pii_entity_types', 'unknown_field'])
      assert.equal(k in t, false, `${k} should be omitted`);
  });

  test('create (legacy shape) maps trunk_type and max_concurrent_calls', async () => {
    const t = await createTrunk({ name: 'legacy', trunk_type: 'OUTBOUND', max_concurrent_calls: 5 });
    assert.equal(t.trunk_direction, 'outbound');
    assert.equal(t.concurrent_calls_limit, 5);
    assert.equal(t.trunk_status, 'active');
  });

  test('get, partial update, delete', async () => {
    const t = await createTrunk({ name: 'x', cps_limit: 7, trunk_status: 'disabled' });
    const got = await call('GET', `${A}/trunks/${t.trunk_id}`);
    assert.deepEqual([got.status, got.body], [200, t]);
    const up = await call('PUT', `${A}/trunks/${t.trunk_id}`, { body: { name: 'y', trunk_status: 'enabled' } });
    assert.equal(up.status, 200);
    assert.equal(up.body.name, 'y');
    assert.equal(up.body.trunk_status, 'active');
    assert.equal(up.body.cps_limit, 7); // untouched fields preserved
    assert.equal(up.body.created_at, t.created_at);
    assert.notEqual(up.body.updated_at, t.updated_at);
    const del = await call('DELETE', `${A}/trunks/${t.trunk_id}`);
    assert.equal(del.status, 204);
    assert.equal(del.body, undefined);
    const gone = await call('GET', `${A}/trunks/${t.trunk_id}`);
    assert.deepEqual([gone.status, gone.body], [404, { error: 'Trunk not found', code: 404 }]);
  });

  test('validation: name length, limits, webhook SSRF, unknown references', async () => {
    const long = await call('POST', `${A}/trunks`, { body: { name: 'n'.repeat(101) } });
    assert.deepEqual([long.status, long.body], [400, { error: 'name must be at most 100 characters', code: 400 }]);
    await createTrunk({ name: 'n'.repeat(100) });
    const missing = await call('POST', `${A}/trunks`, { body: {} });
    assert.deepEqual([missing.status, missing.body], [400, { error: 'name is required', code: 400 }]);
    const cps = await call('POST', `${A}/trunks`, { body: { name: 'a', cps_limit: 101 } });
    assert.deepEqual([cps.status, cps.body], [400, { error: 'cps_limit must be between 0 and 100', code: 400 }]);
    for (const url of ['http://127.0.0.1/hook', 'http://169.254.169.254/', 'http://10.1.2.3/x', 'ftp://example.com/x', 'http://localhost:8080/'] ) {
      const r = await call('POST', `${A}/trunks`, { body: { name: 'a', webhook_url: url } });
      assert.deepEqual([r.status, r.body], [400, { error: 'invalid webhook_url', code: 400 }], url);
    }
    const good = await createTrunk({ name: 'a', webhook_url: 'https://hooks.example.com/vobiz' });
    assert.equal(good.webhook_url, 'https://hooks.example.com/vobiz');
    const ref = await call('POST', `${A}/trunks`, { body: { name: 'a', credential_uuid: '00000000-0000-4000-8000-000000000000' } });
    assert.deepEqual([ref.status, ref.body], [400, { error: 'credential_uuid not found', code: 400 }]);
  });

  test('list envelope: meta.total, offset, limit clamp, negative limit → 400', async () => {
    for (const name of ['t1', 't2', 't3']) await createTrunk({ name });
    const page = await call('GET', `${A}/trunks?limit=2&offset=0`);
    assert.equal(page.status, 200);
    assert.deepEqual(page.body.meta, { limit: 2, offset: 0, total: 3 });
    assert.deepEqual(page.body.objects.map((t: any) => t.name), ['t1', 't2']);
    const rest = await call('GET', `${A}/trunks?limit=2&offset=2`);
    assert.deepEqual(rest.body.objects.map((t: any) => t.name), ['t3']);
    const clamp = await call('GET', `${A}/trunks?limit=500`);
    assert.deepEqual(clamp.body.meta, { limit: 100, offset: 0, total: 3 });
    const neg = await call('GET', `${A}/trunks?limit=-1`);
    assert.deepEqual([neg.status, neg.body], [400, { error: 'limit must be a non-negative integer', code: 400 }]);
  });
});

describe('SIP credentials', () => {
  test('create, list redaction, duplicate 409, password rules', async () => {
    const c = await call('POST', `${A}/credentials`, { body: { username: 'sip_user-1', password: 'Secr3t!pass' } });
    assert.equal(c.status, 201);
    assert.equal(c.body.password, '<redacted>');
    assert.equal(c.body.realm, `${MA}.sip.vobiz.ai`);
    assert.equal(c.body.enabled, true);
    const list = await call('GET', `${A}/trunks/credentials`);
    assert.equal(list.status, 200);
    assert.equal(list.body.meta.total, 1);
    assert.deepEqual(list.body.objects[0], c.body);
    const dup = await call('POST', `${A}/credentials`, { body: { username: 'sip_user-1', password: 'Other#pass1' } });
    assert.deepEqual([dup.status, dup.body], [409, { error: 'Username already exists', code: 409 }]);
    const cases: [unknown, string][] = [
      [{ username: 'u2', password: 'abcdefgh1' }, 'Password must contain at least one special character (~!@#$%^&*()_+)'],
      [{ username: 'u2', password: 'ab#1' }, 'Password must be at least 8 characters'],
      [{ username: 'u2', password: 'abc#12345678901234567' }, 'Password must be at most 20 characters'],
      [{ username: 'u2', password: 'abc 1234#' }, 'Password may only contain letters, digits and ~!@#$%^&*()_+'],
      [{ username: 'bad user', password: 'Secr3t!pass' }, 'Username must be 1-100 characters of letters, digits, underscore or hyphen'],
      [{ username: 'u2' }, 'password is required'],
    ];
    for (const [body, error] of cases) {
      const r = await call('POST', `${A}/credentials`, { body });
      assert.deepEqual([r.status, r.body], [400, { error, code: 400 }], JSON.stringify(body));
    }
    const state = await admin('GET', 'state');
    assert.equal(JSON.stringify(state.body).includes('Secr3t!pass'), false);
  });

  test('password rotation keeps the trunk registrable; deleting the credential detaches it', async () => {
    const c = (await call('POST', `${A}/credentials`, { body: { username: 'rot', password: 'First#pass1' } })).body;
    const t = await createTrunk({ name: 'reg', credential_uuid: c.id });
    assert.equal(t.credential_uuid, c.id);
    const sip = (password: string) => admin('POST', 'sip-auth', { trunk_id: t.trunk_id, username: 'rot', password });
    assert.deepEqual((await sip('First#pass1')).body, { ok: true });
    const up = await call('PUT', `${A}/credentials/${c.id}`, { body: { password: 'Second#pass2' } });
    assert.equal(up.status, 200);
    assert.equal(up.body.password, '<redacted>');
    assert.deepEqual((await sip('First#pass1')).body, { ok: false, reason: 'password does not match' });
    assert.deepEqual((await sip('Second#pass2')).body, { ok: true });
    assert.equal((await call('DELETE', `${A}/credentials/${c.id}`)).status, 204);
    const after = await call('GET', `${A}/trunks/${t.trunk_id}`);
    assert.equal('credential_uuid' in after.body, false);
    const again = await call('DELETE', `${A}/credentials/${c.id}`);
    assert.deepEqual([again.status, again.body], [404, { error: 'Credential not found', code: 404 }]);
  });
});

describe('IP ACL', () => {
  test('rejects IPv6, bad prefix and RFC 5737 ranges', async () => {
    for (const ip of ['2001:db8::1', '10.0.0.1/33', '192.0.2.5', '198.51.100.0/24', '203.0.113.9', '256.1.1.1', '10.0.0']) {
      const r = await call('POST', `${A}/ip-acl`, { body: { name: 'office', ip_address: ip } });
      assert.deepEqual([r.status, r.body], [400, { error: 'Invalid IP address format', code: 400 }], ip);
    }
  });

  test('name → description; update requires name and ip_address', async () => {
    const r = await call('POST', `${A}/ip-acl`, { body: { name: 'office', ip_address: '10.0.0.0/24' } });
    assert.equal(r.status, 201);
    assert.equal(r.body.description, 'office');
    assert.equal(r.body.ip_address, '10.0.0.0/24');
    assert.equal('name' in r.body, false);
    const partial = await call('PUT', `${A}/ip-acl/${r.body.id}`, { body: { name: 'renamed' } });
    assert.deepEqual([partial.status, partial.body], [400, { error: 'ip_address is required', code: 400 }]);
    const full = await call('PUT', `${A}/ip-acl/${r.body.id}`, { body: { name: 'renamed', ip_address: '172.16.5.4' } });
    assert.equal(full.status, 200);
    assert.equal(full.body.description, 'renamed');
    assert.equal(full.body.ip_address, '172.16.5.4');
    const list = await call('GET', `${A}/trunks/ip-acl`);
    assert.deepEqual(list.body.meta, { limit: 20, offset: 0, total: 1 });
  });
});

describe('origination URIs', () => {
  test('create requires name, sip_uri, priority; validates sip: URIs', async () => {
    const r = await call('POST', `${A}/origination-uris`, { body: { name: 'pbx', sip_uri: 'sip:pbx.example.com:5060', priority: 1 } });
    assert.equal(r.status, 201);
    assert.equal(r.body.uri, 'sip:pbx.example.com:5060');
    assert.equal(r.body.description, 'pbx');
    assert.equal(r.body.weight, 10);
    assert.equal(r.body.transport, 'udp');
    assert.equal(r.body.enabled, true);
    const bad = await call('POST', `${A}/origination-uris`, { body: { name: 'pbx', sip_uri: 'http://pbx.example.com', priority: 1 } });
    assert.deepEqual([bad.status, bad.body], [400, { error: 'Invalid SIP URI format. Expected: sip:user@host:port', code: 400 }]);
    const noPrio = await call('POST', `${A}/origination-uris`, { body: { name: 'pbx', sip_uri: 'sip:pbx.example.com' } });
    assert.deepEqual([noPrio.status, noPrio.body], [400, { error: 'priority is required', code: 400 }]);
  });

  test('update needs name+priority and rejects changing the destination', async () => {
    const u = (await call('POST', `${A}/origination-uris`, { body: { name: 'pbx', sip_uri: 'sip:1.2.3.4:5061', priority: 1 } })).body;
    assert.equal(u.transport, 'tls');
    const ok = await call('PUT', `${A}/origination-uris/${u.id}`, { body: { name: 'pbx2', priority: 2, sip_uri: u.uri } });
    assert.equal(ok.status, 200);
    assert.deepEqual([ok.body.description, ok.body.priority], ['pbx2', 2]);
    const change = await call('PUT', `${A}/origination-uris/${u.id}`, { body: { name: 'pbx2', priority: 2, sip_uri: 'sip:5.6.7.8' } });
    assert.deepEqual([change.status, change.body], [400, { error: 'sip_uri cannot be changed via the API; create a new origination URI instead', code: 400 }]);
    const weight = await call('PUT', `${A}/origination-uris/${u.id}`, { body: { name: 'pbx2', priority: 2, weight: 50 } });
    assert.equal(weight.status, 400);
    const noName = await call('PUT', `${A}/origination-uris/${u.id}`, { body: { priority: 2 } });
    assert.deepEqual([noName.status, noName.body], [400, { error: 'name is required', code: 400 }]);
  });

  test('update refuses every console-only field: uri, weight, enabled, transport; the same values pass', async () => {
    const u = (await call('POST', `${A}/origination-uris`, { body: { name: 'agent', sip_uri: 'sip:agent.example.com;transport=tcp', priority: 1 } })).body;
    assert.equal(u.transport, 'tcp');
    for (const [k, v] of [['uri', 'sip:other.example.com'], ['weight', 20], ['enabled', false], ['transport', 'udp']] as const) {
      const r = await call('PUT', `${A}/origination-uris/${u.id}`, { body: { name: 'agent', priority: 1, [k]: v } });
      assert.deepEqual([r.status, r.body], [400, { error: `${k} cannot be changed via the API; create a new origination URI instead`, code: 400 }], k);
    }
    const same = await call('PUT', `${A}/origination-uris/${u.id}`, { body: { name: 'agent-2', priority: 3, weight: 10, enabled: true, transport: 'tcp' } });
    assert.deepEqual([same.status, same.body.description, same.body.priority, same.body.uri], [200, 'agent-2', 3, 'sip:agent.example.com;transport=tcp']);
  });

  test('admin inbound-route follows number → trunk → primary, fallback URIs', async () => {
    const route = async (e164: string) => (await admin('POST', 'inbound-route', { e164 })).body;
    const n = (await firstInventory('IN')).e164;
    assert.deepEqual(await route(n), { ok: false, reason: 'number is not owned by any account' });
    assert.equal((await purchase(n)).status, 200);
    assert.deepEqual(await route(n), { ok: false, reason: 'number is not routed to a trunk' });
    const t = await createTrunk({ name: 'inbound', trunk_direction: 'inbound' });
    assert.equal((await call('POST', `${A}/numbers/${enc(n)}/assign`, { body: { trunk_group_id: t.trunk_id } })).status, 204);
    assert.deepEqual(await route(n), { ok: false, reason: 'trunk has no enabled origination URI' });
    const p = (await call('POST', `${A}/origination-uris`, { body: { name: 'p', sip_uri: 'sip:primary.example.com', priority: 1 } })).body;
    const f = (await call('POST', `${A}/origination-uris`, { body: { name: 'f', sip_uri: 'sip:fallback.example.com', priority: 2 } })).body;
    await call('PUT', `${A}/trunks/${t.trunk_id}`, { body: { primary_uri_uuid: p.id, fallback_uri_uuid: f.id } });
    assert.deepEqual(await route(n), { ok: true, trunk_id: t.trunk_id, targets: ['sip:primary.example.com', 'sip:fallback.example.com'] });
    assert.equal((await call('DELETE', `${A}/origination-uris/${p.id}`)).status, 204);
    assert.deepEqual(await route(n), { ok: true, trunk_id: t.trunk_id, targets: ['sip:fallback.example.com'] });
    await call('PUT', `${A}/trunks/${t.trunk_id}`, { body: { trunk_direction: 'outbound' } });
    assert.deepEqual(await route(n), { ok: false, reason: 'trunk is outbound-only' });
    assert.equal((await admin('POST', 'inbound-route', { e164: '12345' })).status, 400);
  });

  test('trunk delete cascades to unshared children only', async () => {
    const uri = (await call('POST', `${A}/origination-uris`, { body: { name: 'pbx', sip_uri: 'sip:pbx.example.com', priority: 1 } })).body;
    const shared = (await call('POST', `${A}/credentials`, { body: { username: 'shared', password: 'Shared#pw1' } })).body;
    const t1 = await createTrunk({ name: 't1', primary_uri_uuid: uri.id, credential_uuid: shared.id });
    await createTrunk({ name: 't2', credential_uuid: shared.id });
    assert.equal((await call('DELETE', `${A}/trunks/${t1.trunk_id}`)).status, 204);
    assert.equal((await call('GET', `${A}/trunks/origination-uris`)).body.meta.total, 0);
    assert.equal((await call('GET', `${A}/trunks/credentials`)).body.meta.total, 1);
  });
});

describe('numbers', () => {
  test('inventory search: country, search, exclude, pagination', async () => {
    const IN = await call('GET', `${A}/inventory/numbers?country=IN&per_page=100`);
    assert.equal(IN.status, 200);
    assert.ok(IN.body.total >= 40);
    assert.ok(IN.body.items.every((n: any) => n.e164.startsWith('+91') && n.currency === 'INR' && n.country === 'IN'));
    assert.ok(IN.body.items.every((n: any) => n.setup_fee >= 0 && n.setup_fee <= 500 && n.monthly_fee >= 500 && n.monthly_fee <= 1500));
    assert.ok(new Set(IN.body.items.map((n: any) => n.region)).size >= 5);
    const US = await call('GET', `${A}/inventory/numbers?country=US&per_page=100`);
    assert.ok(US.body.total >= 20);
    assert.ok(US.body.items.every((n: any) => n.e164.startsWith('+1') && n.currency === 'USD'));
    const search = await call('GET', `${A}/inventory/numbers?search=${enc('+9180')}`);
    assert.ok(search.body.total > 0 && search.body.items.every((n: any) => n.e164.includes('+9180')));
    const excl = await call('GET', `${A}/inventory/numbers?country=IN&exclude=9180,%2B9122&per_page=100`);
    assert.equal(excl.body.total, IN.body.total - IN.body.items.filter((n: any) => /^\+91(80|22)/.test(n.e164)).length);
    const p2 = await call('GET', `${A}/inventory/numbers?country=IN&per_page=10&page=2`);
    assert.deepEqual([p2.body.page, p2.body.per_page, p2.body.total, p2.body.items.length], [2, 10, IN.body.total, 10]);
    assert.deepEqual(p2.body.items[0], IN.body.items[10]);
  });

  test('purchase debits setup+monthly exactly; owned number is listed; re-purchase → 404', async () => {
    const n = await firstInventory('IN');
    const before = await balance('INR');
    const r = await purchase(n.e164);
    assert.equal(r.status, 200);
    assert.equal(r.body.message, 'Number purchased successfully');
    assert.equal(r.body.number.e164, n.e164);
    assert.equal(r.body.number.account_id, MA);
    assert.equal('trunk_group_id' in r.body.number, false);
    assert.equal(await balance('INR'), before - n.setup_fee - n.monthly_fee);
    const list = await call('GET', `${A}/numbers?search=${enc(n.e164)}`);
    assert.deepEqual([list.body.total, list.body.items[0].e164, list.body.items[0].status], [1, n.e164, 'active']);
    const again = await purchase(n.e164);
    assert.deepEqual([again.status, again.body], [404, { error: 'not_found', message: 'number not found in inventory' }]);
    const tx = (await admin('GET', 'state')).body.transactions;
    assert.deepEqual(tx.map((t: any) => [t.type, t.amount, t.currency, t.reference_type, t.reference]), [['debit', n.setup_fee + n.monthly_fee, 'INR', 'did_purchase', n.e164]]);
  });

  test('insufficient balance → 500 exact body, nothing changes; 402 envelope when configured', async () => {
    assert.deepEqual((await admin('POST', 'seed', { balances: { INR: 10 } })).body, { ok: true });
    const n = await firstInventory('IN');
    const r = await purchase(n.e164);
    assert.deepEqual([r.status, r.body], [500, { error: 'internal_server_error', message: 'failed to purchase number' }]);
    assert.equal(await balance('INR'), 10);
    assert.equal((await firstInventory('IN')).e164, n.e164);
    assert.equal((await call('GET', `${A}/numbers`)).body.total, 0);

    const strict402 = await startEmulator({ port: 0, insufficientBalanceStatus: 402, balances: { USD: 1 } });
    try {
      const us = (await call('GET', `${A}/inventory/numbers?country=US&per_page=1`, { on: strict402 })).body.items[0];
      const p = await call('POST', `${A}/numbers/purchase-from-inventory`, { body: { e164: us.e164 }, on: strict402 });
      assert.equal(p.status, 402);
      assert.equal(p.body.status, 'error');
      assert.equal(p.body.error.code, 'INSUFFICIENT_BALANCE');
      assert.deepEqual(p.body.error.details, { required: us.setup_fee + us.monthly_fee, available: 1, currency: 'USD', shortfall: us.setup_fee + us.monthly_fee - 1 });
      assert.equal(p.body.requestId, p.headers.get('x-request-id'));
    } finally {
      await strict402.close();
    }
  });

  test('assign/unassign to trunk: 204, already assigned 400, trunk delete clears routing', async () => {
    const n = await firstInventory('US');
    assert.equal((await purchase(n.e164)).status, 200);
    const t = await createTrunk();
    const path = `${A}/numbers/${enc(n.e164)}/assign`;
    const a = await call('POST', path, { body: { trunk_group_id: t.trunk_id } });
    assert.deepEqual([a.status, a.body], [204, undefined]);
    assert.equal((await call('GET', `${A}/numbers`)).body.items[0].trunk_group_id, t.trunk_id);
    const twice = await call('POST', path, { body: { trunk_group_id: t.trunk_id } });
    assert.deepEqual([twice.status, twice.body], [400, { error: 'invalid request', message: 'This number is already assigned to a trunk.' }]);
    assert.equal((await call('DELETE', path)).status, 204);
    assert.equal('trunk_group_id' in (await call('GET', `${A}/numbers`)).body.items[0], false);
    const un = await call('DELETE', path);
    assert.deepEqual([un.status, un.body], [404, { error: 'Number not found', message: 'The phone number could not be found or is not assigned to any trunk.' }]);
    const notOwned = await call('POST', `${A}/numbers/${enc((await firstInventory('US')).e164)}/assign`, { body: { trunk_group_id: t.trunk_id } });
    assert.equal(notOwned.status, 404);
    assert.equal(notOwned.body.error, 'Number not found');
    assert.equal((await call('POST', path, { body: { trunk_group_id: t.trunk_id } })).status, 204);
    assert.equal((await call('DELETE', `${A}/trunks/${t.trunk_id}`)).status, 204);
    assert.equal('trunk_group_id' in (await call('GET', `${A}/numbers`)).body.items[0], false);
  });

  test('release: pending_release + fee + still listed; immediate: released and unlisted', async () => {
    const [a, b] = (await call('GET', `${A}/inventory/numbers?country=IN&per_page=2`)).body.items;
    for (const n of [a, b]) assert.equal((await purchase(n.e164)).status, 200);
    const before = await balance('INR');
    const r = await call('DELETE', `${A}/numbers/${enc(a.e164)}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'pending_release');
    assert.equal(r.body.release_fee, 700);
    assert.equal(r.body.message, 'number release initiated');
    assert.equal(r.body.cancel_url, `/api/v1/account/${MA}/numbers/${a.e164}/cancel-release`);
    assert.ok(Date.parse(r.body.cooldown_ends_at) - Date.now() > 23 * 3600 * 1000);
    assert.equal(await balance('INR'), before - 700);
    const listed = await call('GET', `${A}/numbers?search=${enc(a.e164)}`);
    assert.deepEqual([listed.body.total, listed.body.items[0].status], [1, 'pending_release']);
    const twice = await call('DELETE', `${A}/numbers/${enc(a.e164)}`);
    assert.deepEqual([twice.status, twice.body], [400, { error: 'invalid request', message: 'number is already pending release' }]);

    const imm = await call('DELETE', `${A}/numbers/${enc(b.e164)}?immediate=true`);
    assert.deepEqual([imm.status, imm.body.status], [200, 'released']);
    assert.equal((await call('GET', `${A}/numbers?search=${enc(b.e164)}`)).body.total, 0);
    assert.equal(await balance('INR'), before - 1400);
    const fees = (await admin('GET', 'state')).body.transactions.filter((t: any) => t.reference_type === 'did_release_fee');
    assert.deepEqual(fees.map((t: any) => [t.amount, t.reference]), [[700, a.e164], [700, b.e164]]);

    const foreign = await call('DELETE', `${A}/numbers/${enc((await firstInventory('IN')).e164)}`);
    assert.deepEqual([foreign.status, foreign.body], [403, { error: 'forbidden', message: 'account does not own this number' }]);

    // Cancel: only on the lower-case path, only while pending; refunds the fee, does not re-route.
    const cancelPath = (e: string) => `/api/v1/account/${MA}/numbers/${enc(e)}/cancel-release`;
    assert.equal((await call('POST', `${A}/numbers/${enc(a.e164)}/cancel-release`, { body: {} })).status, 404);
    const cancelled = await call('POST', cancelPath(a.e164), { body: {} });
    assert.deepEqual([cancelled.status, cancelled.body], [200, { currency: 'INR', message: 'release cancelled, number restored to active status', refund_amount: 700, status: 'active' }]);
    assert.equal(await balance('INR'), before - 700);
    const restored = (await call('GET', `${A}/numbers?search=${enc(a.e164)}`)).body.items[0];
    assert.deepEqual([restored.status, restored.trunk_group_id ?? null], ['active', null]);
    const again = await call('POST', cancelPath(a.e164), { body: {} });
    assert.deepEqual([again.status, again.body], [400, { error: 'number is not pending release' }]);
    assert.deepEqual((await call('POST', cancelPath(b.e164), { body: {} })).body, { error: 'number not found' });
  });
});

describe('sub-accounts', () => {
  const SUB = `/api/v1/accounts/${MA}/sub-accounts`;

  test('create shows the token once; get/list redact it with explicit nulls; SA token authenticates', async () => {
    const c = await call('POST', `${SUB}/`, { body: { name: 'Customer A' } });
    assert.equal(c.status, 201);
    assert.equal(c.body.message, 'Sub-account created successfully');
    const sa = c.body.sub_account;
    assert.match(sa.auth_id, /^SA_[A-Z0-9]{8}$/);
    assert.match(sa.id, /^\d+$/);
    assert.equal(sa.parent_auth_id, MA);
    const token = c.body.auth_credentials.auth_token;
    assert.equal(sa.auth_token, token);
    assert.notEqual(token, '<redacted>');
    assert.equal(c.body.tokens.token_type, 'bearer');

    const got = await call('GET', `${SUB}/${sa.auth_id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.auth_token, '<redacted>');
    for (const k of ['email', 'phone', 'description', 'permissions', 'last_used']) assert.equal(got.body[k], null, k);
    const list = await call('GET', `${SUB}/`);
    assert.equal(list.status, 200);
    assert.deepEqual([list.body.total, list.body.page, list.body.size], [1, 1, 25]);
    assert.equal(list.body.sub_accounts[0].auth_token, '<redacted>');
    assert.equal(JSON.stringify(await admin('GET', 'state')).includes(token), false);

    const saAuth: [string, string] = [sa.auth_id, token];
    const me = await call('GET', '/api/v1/auth/me', { auth: saAuth });
    assert.deepEqual([me.status, me.body.auth_id], [200, sa.auth_id]);
    const own = await call('GET', `/api/v1/Account/${sa.auth_id}/trunks`, { auth: saAuth });
    assert.equal(own.status, 200);
    const subs = await call('GET', `/api/v1/accounts/${sa.auth_id}/sub-accounts/`, { auth: saAuth });
    assert.equal(subs.status, 403);
    const parentPath = await call('GET', `${A}/trunks`, { auth: saAuth });
    assert.deepEqual([parentPath.status, parentPath.body], [403, { error: { code: 403, message: 'Access denied: account ID mismatch' } }]);
  });

  test('list newest first; update is partial; unknown → 404', async () => {
    for (const name of ['first', 'second']) assert.equal((await call('POST', `${SUB}/`, { body: { name } })).status, 201);
    const list = await call('GET', `${SUB}/?page=1&size=25`);
    assert.deepEqual(list.body.sub_accounts.map((s: any) => s.name), ['second', 'first']);
    const id = list.body.sub_accounts[0].auth_id;
    const up = await call('PUT', `${SUB}/${id}`, { body: { enabled: false, email: 'ops@example.com' } });
    assert.equal(up.status, 200);
    assert.deepEqual([up.body.name, up.body.enabled, up.body.email, up.body.auth_token], ['second', false, 'ops@example.com', '<redacted>']);
    const kyc = await call('PUT', `${SUB}/${list.body.sub_accounts[1].auth_id}`, { body: { kyc_mode: 'customer_use' } });
    assert.deepEqual([kyc.status, kyc.body], [400, { error: 'bad_request', message: 'email is required when kyc_mode is customer_use' }]);
    const missing = await call('GET', `${SUB}/SA_ZZZZZZZZ`);
    assert.deepEqual([missing.status, missing.body], [404, { error: 'not_found', message: 'sub-account not found' }]);
    const noName = await call('POST', `${SUB}/`, { body: {} });
    assert.deepEqual([noName.status, noName.body], [400, { error: 'bad_request', message: 'name is required' }]);
  });

  test('delete: numbers return to parent, SA objects removed, token → 401', async () => {
    const c = (await call('POST', `${SUB}/`, { body: { name: 'temp' } })).body;
    const saAuth: [string, string] = [c.auth_credentials.auth_id, c.auth_credentials.auth_token];
    const sa = saAuth[0];
    const n = await firstInventory('IN');
    const before = await balance('INR');
    assert.equal((await purchase(n.e164, saAuth, sa)).status, 200);
    assert.equal(await balance('INR'), before - n.setup_fee - n.monthly_fee); // parent pays
    const trunk = await call('POST', `/api/v1/Account/${sa}/trunks`, { body: { name: 'sa-trunk' }, auth: saAuth });
    assert.equal(trunk.status, 201);
    const parentView = await call('GET', `${A}/numbers`);
    assert.equal(parentView.body.items[0].account_id, sa);

    const del = await call('DELETE', `${SUB}/${sa}`);
    assert.deepEqual([del.status, del.body], [200, { message: 'Sub-account deleted successfully' }]);
    const me = await call('GET', '/api/v1/auth/me', { auth: saAuth });
    assert.deepEqual([me.status, me.body], [401, { error: 'unauthorized', message: 'invalid credentials' }]);
    const trunks = await call('GET', `/api/v1/Account/${sa}/trunks`, { auth: saAuth });
    assert.deepEqual([trunks.status, trunks.body], [401, { error: { code: 401, message: 'Invalid token' } }]);
    const state = (await admin('GET', 'state')).body;
    assert.equal(state.trunks.length, 0);
    assert.equal(state.accounts.some((a: any) => a.auth_id === sa), false);
    assert.equal(state.numbers.find((x: any) => x.e164 === n.e164).account_id, MA);
  });
});

describe('admin API, request log and persistence', () => {
  test('request log records method, raw path, query, status, idempotency key; admin calls are not logged', async () => {
    await call('DELETE', '/__emulator/requests', { auth: null });
    await call('POST', `${A}/trunks`, { body: { name: 'logged' }, headers: { 'Idempotency-Key': 'idem-123' } });
    await call('GET', `${A}/numbers?search=${enc('+91')}`);
    await call('GET', `${A}/trunks`, { auth: null });
    await admin('GET', 'state');
    const log = (await admin('GET', 'requests')).body.requests;
    assert.equal(log.length, 3);
    assert.deepEqual(
      log.map((e: any) => [e.seq, e.method, e.path, e.query, e.status, e.auth_id, e.idempotency_key]),
      [
        [1, 'POST', `${A}/trunks`, '', 201, MA, 'idem-123'],
        [2, 'GET', `${A}/numbers`, 'search=%2B91', 200, MA, null],
        [3, 'GET', `${A}/trunks`, '', 401, null, null],
      ],
    );
    for (const e of log) {
      assert.match(e.request_id, REQ_ID);
      assert.equal(typeof e.duration_ms, 'number');
    }
    assert.equal((await call('DELETE', '/__emulator/requests', { auth: null })).status, 200);
    assert.deepEqual((await admin('GET', 'requests')).body, { requests: [] });
  });

  test('seed adds inventory and sets balances', async () => {
    const r = await admin('POST', 'seed', { balances: { INR: 1234.5 }, inventory: [{ e164: '+14155550000', country: 'US', region: 'CA', setup_fee: 1, monthly_fee: 2, currency: 'USD' }] });
    assert.deepEqual([r.status, r.body], [200, { ok: true }]);
    assert.equal(await balance('INR'), 1234.5);
    const inv = await call('GET', `${A}/inventory/numbers?search=${enc('+14155550000')}`);
    assert.equal(inv.body.total, 1);
    const state = (await admin('GET', 'state')).body;
    assert.deepEqual(state.accounts[0], {
      auth_id: MA, parent_auth_id: null, name: 'Emulator Main Account', enabled: true,
      email: 'owner@example.com', description: null, kyc_mode: 'personal_use', balances: { INR: 1234.5, USD: 500 },
    });
  });

  test('seed sets a low-balance threshold, shown by the balance endpoint; one without a balance is refused', async () => {
    assert.equal((await admin('POST', 'seed', { low_balance_thresholds: { INR: 2500 } })).status, 200);
    const b = await call('GET', `${A}/balance/INR`);
    assert.equal(b.body.low_balance_threshold, 2500);
    const bad = await admin('POST', 'seed', { low_balance_thresholds: { EUR: 10 } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /no EUR balance to set a low-balance threshold on/);
  });

  test('state persists across restarts with statePath (including sub-account tokens)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vobiz-emu-'));
    const statePath = path.join(dir, 'state.json');
    try {
      const first = await startEmulator({ port: 0, statePath });
      const t = await call('POST', `${A}/trunks`, { body: { name: 'persisted' }, on: first });
      const sa = (await call('POST', `/api/v1/accounts/${MA}/sub-accounts/`, { body: { name: 'p' }, on: first })).body.auth_credentials;
      const n = (await call('GET', `${A}/inventory/numbers?country=IN&per_page=1`, { on: first })).body.items[0];
      assert.equal((await call('POST', `${A}/numbers/purchase-from-inventory`, { body: { e164: n.e164 }, on: first })).status, 200);
      await first.close();
      assert.equal(fs.readFileSync(statePath, 'utf8').includes(sa.auth_token), false);

      const second = await startEmulator({ port: 0, statePath });
      try {
        const got = await call('GET', `${A}/trunks/${t.body.trunk_id}`, { on: second });
        assert.deepEqual([got.status, got.body], [200, t.body]);
        const me = await call('GET', '/api/v1/auth/me', { on: second, auth: [sa.auth_id, sa.auth_token] });
        assert.equal(me.status, 200);
        const bal = await call('GET', `${A}/balance/INR`, { on: second });
        assert.equal(bal.body.available_balance, 100000 - n.setup_fee - n.monthly_fee);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cli', () => {
  const cli = path.join(__dirname, '..', 'emulator', 'cli.js');

  test('prints one listening line without the token and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, '--port', '0', '--auth-id', 'MA_CLITEST1', '--auth-token', 'cli-secret'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out); });
        child.once('exit', (code) => reject(new Error(`cli exited early with ${code}`)));
      });
      const m = /^Vobiz emulator listening on (http:\/\/127\.0\.0\.1:\d+) \(auth id MA_CLITEST1\)\n$/.exec(line);
      assert.ok(m, line);
      assert.equal(line.includes('cli-secret'), false);
      const r = await fetch(`${m[1]}/api/v1/auth/me`, { headers: { 'X-Auth-ID': 'MA_CLITEST1', 'X-Auth-Token': 'cli-secret' } });
      assert.equal(r.status, 200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('bad flags → usage on stderr and exit code 2', () => {
    for (const args of [['--bogus'], ['--port', 'abc'], ['--insufficient-balance-status', '418']]) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /Usage: node dist\/emulator\/cli\.js/);
      assert.equal(r.stdout, '');
    }
  });
});
