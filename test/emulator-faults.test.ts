// Fault injection and the Idempotency-Key switch of the emulator, over real HTTP.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { EmulatorOptionsError, RunningEmulator, startEmulator } from '../emulator';
import { parseArgs, parseFaultFlag } from '../emulator/cli';
import { EmulatorClient } from './support';

const REQ_ID = /^req_[0-9a-f]{16}$/;
const GATEWAY_CODES: Record<number, string> = { 500: 'INTERNAL_ERROR', 502: 'BAD_GATEWAY', 503: 'SERVICE_UNAVAILABLE', 504: 'GATEWAY_TIMEOUT' };

let emu: RunningEmulator;
let client: EmulatorClient;
let A: string;
let TRUNKS: string;

interface Res { status: number; body: any; headers: Headers }

/** One API call as the main account unless `on`/`auth` say otherwise; rejects on a network error. */
async function call(method: string, url: string, o: { body?: unknown; key?: string; auth?: [string, string]; signal?: AbortSignal } = {}): Promise<Res> {
  const [id, token] = o.auth ?? [emu.authId, emu.authToken];
  const headers: Record<string, string> = { 'X-Auth-ID': id, 'X-Auth-Token': token, 'Content-Type': 'application/json' };
  if (o.key) headers['Idempotency-Key'] = o.key;
  const res = await fetch(url, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body), signal: o.signal });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function admin(method: string, p: string, body?: unknown): Promise<Res> {
  const res = await fetch(`${emu.url}/__emulator/${p}`, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const trunkCount = async () => (await client.state()).trunks.length;
const lastLog = async () => (await client.requests()).at(-1)!;
const statuses = async (n: number, url = TRUNKS) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call('GET', url)).status);
  return out;
};

before(async () => {
  emu = await startEmulator({ port: 0 });
  client = new EmulatorClient(emu);
  A = `${emu.url}/api/v1/Account/${emu.authId}`;
  TRUNKS = `${A}/trunks`;
});
after(async () => {
  await emu.close();
});
beforeEach(async () => {
  await admin('POST', 'reset');
  await client.clearFaults();
  await client.setIdempotency('ignore');
  await admin('PUT', 'rate-limit', { perSecond: 0 });
});

describe('fault kinds', () => {
  test('5xx: gateway body per status, X-Request-Id, logged as fault "5xx"; nothing handled', async () => {
    for (const s of [500, 502, 503, 504]) {
      await client.setFaults([{ method: 'POST', path: '/api/v1/Account/*/trunks', errorRate: 1, errorStatuses: [s] }]);
      const r = await call('POST', TRUNKS, { body: { name: 'never' } });
      assert.equal(r.status, s);
      assert.deepEqual(r.body, { error: { code: GATEWAY_CODES[s], message: r.body.error.message } });
      assert.equal(typeof r.body.error.message, 'string');
      const id = r.headers.get('x-request-id')!;
      assert.match(id, REQ_ID);
      const log = await lastLog();
      assert.deepEqual([log.status, log.fault, (log as any).request_id], [s, '5xx', id]);
    }
    assert.equal(await trunkCount(), 0);
  });

  test('5xx: statuses are picked from errorStatuses (all four by default)', async () => {
    await client.setFaults([{ errorRate: 1 }]);
    const seen = new Set(await statuses(60));
    assert.deepEqual([...seen].sort(), [500, 502, 503, 504]);
    await client.setFaults([{ errorRate: 1, errorStatuses: [502, 504] }]);
    assert.deepEqual([...new Set(await statuses(30))].sort(), [502, 504]);
  });

  test('429 with Retry-After in seconds: documented body, request id in body and header', async () => {
    await client.setFaults([{ rate429: 1, retryAfterSeconds: 7 }]);
    const r = await call('GET', TRUNKS);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    const id = r.headers.get('x-request-id')!;
    assert.match(id, REQ_ID);
    assert.deepEqual(r.body, {
      status: 'error',
      error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Rate limit exceeded', details: { limitType: 'requests', retryAfter: 7 } },
      timestamp: r.body.timestamp,
      requestId: id,
    });
    assert.ok(Math.abs(Date.parse(r.body.timestamp) - Date.now()) < 60_000, r.body.timestamp);
    assert.equal((await lastLog()).fault, '429');
  });

  test('429 with Retry-After as an HTTP-date ≈ now + seconds', async () => {
    await client.setFaults([{ rate429: 1, retryAfterSeconds: 30, retryAfterForm: 'date' }]);
    const r = await call('GET', TRUNKS);
    assert.equal(r.status, 429);
    const header = r.headers.get('retry-after')!;
    assert.match(header, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const seconds = (Date.parse(header) - Date.now()) / 1000;
    assert.ok(seconds > 27 && seconds <= 31, `Retry-After ${header} is ${seconds}s away`);
    assert.equal(r.body.error.details.retryAfter, 30);
  });

  test('reset: the client sees a network error and nothing was handled', async () => {
    await client.setFaults([{ method: 'POST', resetRate: 1 }]);
    await assert.rejects(call('POST', TRUNKS, { body: { name: 'reset' } }), TypeError);
    assert.equal(await trunkCount(), 0);
    const log = await lastLog();
    assert.deepEqual([log.method, log.status, log.fault], ['POST', 0, 'reset']);
  });

  test('commit-drop: the client sees a network error but the trunk exists; the log keeps the handler status', async () => {
    await client.setFaults([{ method: 'POST', commitDropRate: 1 }]);
    await assert.rejects(call('POST', TRUNKS, { body: { name: 'dropped' } }), TypeError);
    const state = await client.state();
    assert.deepEqual(state.trunks.map((t: any) => t.name), ['dropped']);
    const log = await lastLog();
    assert.deepEqual([log.status, log.fault], [201, 'commit-drop']);
  });

  test('commit-hang: handled and logged with its status, never answered', async () => {
    await client.setFaults([{ method: 'POST', commitHangRate: 1 }]);
    await assert.rejects(call('POST', TRUNKS, { body: { name: 'waiting' }, signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
    assert.equal(await trunkCount(), 1);
    const log = await lastLog();
    assert.deepEqual([log.status, log.fault], [201, 'commit-hang']);
  });

  test('hang: the client times out, the log already shows the request, nothing was handled', async () => {
    await client.setFaults([{ hangRate: 1 }]);
    await assert.rejects(call('POST', TRUNKS, { body: { name: 'hung' }, signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
    await assert.rejects(call('GET', TRUNKS, { signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
    const log = await client.requests();
    assert.deepEqual(log.map((e) => [e.method, e.status, e.fault]), [['POST', 0, 'hang'], ['GET', 0, 'hang']]);
    await client.clearFaults();
    assert.equal(await trunkCount(), 0);
  });

  test('latency: a fixed delay before handling, summed over matching rules, not a fault kind', async () => {
    await client.setFaults([{ latencyMs: 150 }, { method: 'GET', path: '/api/**', latencyMs: 100 }]);
    const t0 = performance.now();
    const r = await call('GET', TRUNKS);
    const elapsed = performance.now() - t0;
    assert.equal(r.status, 200);
    assert.ok(elapsed >= 0.8 * 250, `took ${elapsed}ms`);
    assert.equal((await lastLog()).fault, null);
  });

  test('every log entry carries fault and the arrival time', async () => {
    const before = Date.now();
    await call('GET', TRUNKS);
    const e = await lastLog();
    assert.equal(e.fault, null);
    assert.ok(e.at >= before && e.at <= Date.now(), String(e.at));
  });
});

describe('rule evaluation', () => {
  test('times limits injections; latency still applies afterwards', async () => {
    await client.setFaults([{ errorRate: 1, errorStatuses: [503], times: 2, latencyMs: 100 }]);
    assert.deepEqual(await statuses(4), [503, 503, 200, 200]);
    const t0 = performance.now();
    await call('GET', TRUNKS);
    assert.ok(performance.now() - t0 >= 80);
  });

  test('skip lets the first matching requests through, so a fault hits the Nth call', async () => {
    await client.setFaults([{ errorRate: 1, errorStatuses: [502], skip: 2, times: 1 }]);
    assert.deepEqual(await statuses(5), [200, 200, 502, 200, 200]);
    assert.deepEqual((await client.requests()).map((e) => e.fault), [null, null, '5xx', null, null]);
  });

  test('burst429: the requests after a 429 are 429 too; a burst is one injection for times', async () => {
    await client.setFaults([{ rate429: 1, burst429: 2, times: 1 }]);
    assert.deepEqual(await statuses(5), [429, 429, 429, 200, 200]);
    assert.deepEqual((await client.requests()).map((e) => e.fault), ['429', '429', '429', null, null]);
  });

  test('burst429 with a random trigger: every run of 429s is at least 1 + burst long', async () => {
    await client.setFaults([{ rate429: 0.3, burst429: 3 }], 7);
    const got = (await statuses(60)).map((s) => (s === 429 ? 'x' : '.')).join('');
    assert.match(got, /x/);
    const runs = got.replace(/x+$/, '').match(/x+/g) ?? [];
    for (const run of runs) assert.ok(run.length >= 4, got);
  });

  test('method and path globs: a rule for POST trunks leaves GET trunks and other paths alone', async () => {
    await client.setFaults([{ method: 'POST', path: '/api/v1/Account/*/trunks', errorRate: 1, errorStatuses: [500] }]);
    assert.equal((await call('GET', TRUNKS)).status, 200);
    assert.equal((await call('POST', TRUNKS, { body: { name: 'x' } })).status, 500);
    assert.equal((await call('POST', `${A}/credentials`, { body: { username: 'u1', password: 'Passw0rd!' } })).status, 201);
    // `*` is exactly one non-empty segment; `**` is any number, including none.
    const cases: [string, string, boolean][] = [
      ['/api/*/me', '/api/v1/auth/me', false],
      ['/api/*/*/me', '/api/v1/auth/me', true],
      ['/api/**/me', '/api/v1/auth/me', true],
      ['/api/v1/auth/me/**', '/api/v1/auth/me', true],
      ['**/me', '/api/v1/auth/me', true],
      ['/api/v1/*', '/api/v1/auth/me', false],
    ];
    for (const [glob, p, hit] of cases) {
      await client.setFaults([{ method: '*', path: glob, errorRate: 1 }]);
      const r = await call('GET', emu.url + p);
      assert.equal(r.status >= 500, hit, `${glob} vs ${p}: ${r.status}`);
    }
  });

  test('the first rule that injects wins; later rules are not consulted', async () => {
    await client.setFaults([{ errorRate: 1, errorStatuses: [502] }, { rate429: 1 }]);
    assert.deepEqual(await statuses(3), [502, 502, 502]);
    await client.setFaults([{ errorRate: 1, errorStatuses: [502], times: 1 }, { rate429: 1 }]);
    assert.deepEqual(await statuses(3), [502, 429, 429]);
  });

  test('a seed reproduces the same fault pattern, also through the startEmulator option', async () => {
    const rules = [{ errorRate: 0.5, errorStatuses: [503] }];
    await client.setFaults(rules, 12345);
    const first = await statuses(50);
    assert.ok(first.includes(200) && first.includes(503), first.join());
    await client.setFaults(rules, 12345);
    assert.deepEqual(await statuses(50), first);
    await client.setFaults(rules, 54321);
    assert.notDeepEqual(await statuses(50), first);

    const other = await startEmulator({ port: 0, faults: { rules, seed: 12345 } });
    try {
      const got: number[] = [];
      for (let i = 0; i < 50; i++) got.push((await call('GET', `${other.url}/api/v1/Account/${other.authId}/trunks`)).status);
      assert.deepEqual(got, first);
    } finally {
      await other.close();
    }
  });

  test('reset keeps fault rules; admin routes are never faulted or logged', async () => {
    await client.setFaults([{ errorRate: 1 }], 99);
    await admin('POST', 'reset');
    const got = await admin('GET', 'faults');
    assert.equal(got.status, 200);
    assert.equal(got.body.seed, 99);
    assert.equal(got.body.rules.length, 1);
    assert.equal((await admin('GET', 'state')).status, 200);
    assert.deepEqual(await client.requests(), []);
  });
});

describe('idempotency switch', () => {
  const key = 'idem-key-1';

  test('ignore (default): the same key twice creates two trunks', async () => {
    assert.deepEqual((await admin('GET', 'idempotency')).body, { mode: 'ignore' });
    const a = await call('POST', TRUNKS, { body: { name: 't' }, key });
    const b = await call('POST', TRUNKS, { body: { name: 't' }, key });
    assert.deepEqual([a.status, b.status], [201, 201]);
    assert.notEqual(a.body.trunk_id, b.body.trunk_id);
    assert.equal(b.headers.get('idempotent-replayed'), null);
    assert.equal(await trunkCount(), 2);
  });

  test('honour: a repeat is replayed (same status and body, fresh request id); a changed request → 422', async () => {
    await client.setIdempotency('honour');
    const a = await call('POST', TRUNKS, { body: { name: 't' }, key });
    const b = await call('POST', TRUNKS, { body: { name: 't' }, key });
    assert.deepEqual([a.status, b.status], [201, 201]);
    assert.deepEqual(b.body, a.body);
    assert.equal(a.headers.get('idempotent-replayed'), null);
    assert.equal(b.headers.get('idempotent-replayed'), 'true');
    assert.match(b.headers.get('x-request-id')!, REQ_ID);
    assert.notEqual(b.headers.get('x-request-id'), a.headers.get('x-request-id'));
    assert.equal(await trunkCount(), 1);

    const c = await call('POST', TRUNKS, { body: { name: 'other' }, key });
    assert.deepEqual([c.status, c.body], [422, {
      status: 'error',
      error: { code: 'IDEMPOTENCY_KEY_REUSED', message: 'Idempotency-Key was already used with a different request' },
    }]);
    assert.equal((await call('POST', TRUNKS, { body: { name: 't' }, key: 'idem-key-2' })).status, 201);
    assert.equal((await call('POST', TRUNKS, { body: { name: 't' } })).status, 201);
    assert.equal(await trunkCount(), 3);
  });

  test('honour: keys are scoped per caller and only replayed after authentication', async () => {
    await client.setIdempotency('honour');
    const sa = (await call('POST', `${emu.url}/api/v1/accounts/${emu.authId}/sub-accounts/`, { body: { name: 'sa' }, key })).body.auth_credentials;
    const saTrunks = `${emu.url}/api/v1/Account/${sa.auth_id}/trunks`;
    const mine = await call('POST', TRUNKS, { body: { name: 't' }, key: 'shared' });
    const theirs = await call('POST', saTrunks, { body: { name: 't' }, key: 'shared', auth: [sa.auth_id, sa.auth_token] });
    assert.deepEqual([mine.status, theirs.status], [201, 201]);
    assert.equal(theirs.headers.get('idempotent-replayed'), null);
    const wrongToken = await call('POST', TRUNKS, { body: { name: 't' }, key: 'shared', auth: [emu.authId, 'wrong'] });
    assert.deepEqual([wrongToken.status, wrongToken.headers.get('idempotent-replayed')], [401, null]);
  });

  test('honour: 4xx replies are replayed, 5xx are not stored', async () => {
    await client.setIdempotency('honour');
    const bad = await call('POST', TRUNKS, { body: { name: '' }, key });
    const again = await call('POST', TRUNKS, { body: { name: '' }, key });
    assert.equal(bad.status, 400);
    assert.deepEqual([again.status, again.body, again.headers.get('idempotent-replayed')], [400, bad.body, 'true']);
  });

  test('honour + commit-drop: the retry with the same key is replayed and there is still one trunk', async () => {
    await client.setIdempotency('honour');
    await client.setFaults([{ method: 'POST', path: '/api/v1/Account/*/trunks', commitDropRate: 1, times: 1 }]);
    await assert.rejects(call('POST', TRUNKS, { body: { name: 'once' }, key }), TypeError);
    const retry = await call('POST', TRUNKS, { body: { name: 'once' }, key });
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    const state = await client.state();
    assert.deepEqual(state.trunks.map((t: any) => t.trunk_id), [retry.body.trunk_id]);
  });

  test('the mode is settable by option and survives reset; stored replies do not', async () => {
    const other = await startEmulator({ port: 0, idempotency: 'honour' });
    try {
      const res = await fetch(`${other.url}/__emulator/idempotency`);
      assert.deepEqual(await res.json(), { mode: 'honour' });
    } finally {
      await other.close();
    }
    await client.setIdempotency('honour');
    await call('POST', TRUNKS, { body: { name: 't' }, key });
    await admin('POST', 'reset');
    assert.deepEqual((await admin('GET', 'idempotency')).body, { mode: 'honour' });
    const fresh = await call('POST', TRUNKS, { body: { name: 't' }, key });
    assert.deepEqual([fresh.status, fresh.headers.get('idempotent-replayed')], [201, null]);
  });
});

describe('request-rate limit', () => {
  test('off by default; beyond perSecond the documented 429 with Retry-After, logged as rate-limit; refilled a second later', async () => {
    assert.deepEqual((await admin('GET', 'rate-limit')).body, { perSecond: 0 });
    assert.deepEqual(await statuses(12), Array(12).fill(200));
    assert.deepEqual((await admin('PUT', 'rate-limit', { perSecond: 5 })).body, { perSecond: 5 });
    const burst = await Promise.all(Array.from({ length: 8 }, () => call('GET', TRUNKS)));
    assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 429, 429, 429]);
    const limited = burst.find((r) => r.status === 429)!;
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal(limited.body.error.code, 'RATE_LIMIT_EXCEEDED');
    assert.match(limited.body.requestId, REQ_ID);
    const log = (await client.requests()).slice(-8);
    assert.equal(log.filter((e) => e.fault === 'rate-limit' && e.status === 429).length, 3);
    // Another account has its own bucket.
    const other = await call('GET', `${emu.url}/api/v1/Account/MA_OTHER000/trunks`, { auth: ['MA_OTHER000', 'x'] });
    assert.equal(other.status, 401);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await statuses(5), Array(5).fill(200));
  });

  test('bad settings are refused by the admin API, the options and the CLI', async () => {
    const bad = await admin('PUT', 'rate-limit', { perSecond: -1 });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /perSecond must be an integer from 0 to 100000, got -1/);
    assert.match(JSON.stringify((await admin('PUT', 'rate-limit', { perSecond: 5, burst: 2 })).body), /unknown rate limit key \\"burst\\"/);
    assert.match(JSON.stringify((await admin('PUT', 'rate-limit', {})).body), /perSecond is required/);
    await assert.rejects(startEmulator({ port: 0, rateLimit: { perSecond: 1.5 } }), /perSecond must be an integer/);
    assert.deepEqual(parseArgs(['--rate-limit', '20'], {}).rateLimit, { perSecond: 20 });
    const cli = path.join(__dirname, '..', 'emulator', 'cli.js');
    const r = spawnSync(process.execPath, [cli, '--rate-limit', 'fast'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--rate-limit must be an integer from 0 to 100000, got fast/);
  });
});

describe('configuration', () => {
  test('GET returns rules with defaults filled in; DELETE clears', async () => {
    await client.setFaults([{ method: 'POST', errorRate: 0.25 }]);
    assert.deepEqual((await admin('GET', 'faults')).body, {
      rules: [{
        method: 'POST', path: '**', latencyMs: 0, jitterMs: 0, errorRate: 0.25, errorStatuses: [500, 502, 503, 504],
        rate429: 0, burst429: 0, retryAfterSeconds: 1, retryAfterForm: 'seconds', resetRate: 0, hangRate: 0,
        commitDropRate: 0, commitHangRate: 0, skip: 0,
      }],
      seed: (await admin('GET', 'faults')).body.seed,
    });
    const cleared = await admin('DELETE', 'faults');
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body.rules, []);
  });

  test('admin validation: 400 naming the field, rules unchanged', async () => {
    await client.setFaults([{ latencyMs: 1 }]);
    const cases: [unknown, RegExp][] = [
      [{}, /rules must be an array/],
      [{ rules: [], extra: 1 }, /unknown key "extra"/],
      [{ rules: [], seed: -1 }, /seed must be/],
      [{ rules: [], seed: 'x' }, /seed must be/],
      [{ rules: ['x'] }, /rules\[0\] must be an object/],
      [{ rules: [{ errorRat: 1 }] }, /rules\[0\] has unknown key "errorRat"/],
      [{ rules: [{}, { errorRate: 2 }] }, /rules\[1\]\.errorRate must be a number from 0 to 1/],
      [{ rules: [{ rate429: '0.5' }] }, /rules\[0\]\.rate429/],
      [{ rules: [{ errorStatuses: [418] }] }, /rules\[0\]\.errorStatuses/],
      [{ rules: [{ errorStatuses: [] }] }, /rules\[0\]\.errorStatuses/],
      [{ rules: [{ method: 'PATCH' }] }, /rules\[0\]\.method/],
      [{ rules: [{ method: 'post' }] }, /rules\[0\]\.method/],
      [{ rules: [{ path: 'api/v1' }] }, /rules\[0\]\.path/],
      [{ rules: [{ path: '/api/tr*' }] }, /rules\[0\]\.path/],
      [{ rules: [{ times: 1.5 }] }, /rules\[0\]\.times must be an integer >= 0/],
      [{ rules: [{ skip: -1 }] }, /rules\[0\]\.skip must be an integer >= 0/],
      [{ rules: [{ burst429: -1 }] }, /rules\[0\]\.burst429/],
      [{ rules: [{ latencyMs: -5 }] }, /rules\[0\]\.latencyMs must be a number >= 0/],
      [{ rules: [{ retryAfterForm: 'minutes' }] }, /rules\[0\]\.retryAfterForm/],
      [{ rules: [{ retryAfterSeconds: 1.5 }] }, /rules\[0\]\.retryAfterSeconds/],
    ];
    for (const [body, message] of cases) {
      const r = await admin('PUT', 'faults', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error, 'bad_request');
      assert.match(r.body.message, message);
    }
    assert.deepEqual((await admin('GET', 'faults')).body.rules.map((r: any) => r.latencyMs), [1]);
    for (const body of [{ mode: 'maybe' }, {}, { mode: 'honour', extra: true }]) {
      const r = await admin('PUT', 'idempotency', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.message, /mode|unknown key/);
    }
  });

  test('startEmulator rejects bad fault and idempotency options', async () => {
    await assert.rejects(startEmulator({ port: 0, faults: { rules: [{ errorRate: 2 }] } }), (e: Error) => e instanceof EmulatorOptionsError && e.name === 'EmulatorOptionsError' && /errorRate/.test(e.message));
    await assert.rejects(startEmulator({ port: 0, idempotency: 'sometimes' as 'honour' }), EmulatorOptionsError);
  });

  test('CLI: --fault shorthand, --fault-seed and --idempotency', () => {
    const o = parseArgs([
      '--fault', 'POST /api/v1/Account/*/trunks errorRate=0.5 errorStatuses=502,503 times=3',
      '--fault', '* ** latencyMs=50 jitterMs=10 rate429=0.1 burst429=2 retryAfterSeconds=5 retryAfterForm=date',
      '--fault-seed', '42', '--idempotency', 'honour',
    ], {});
    assert.equal(o.idempotency, 'honour');
    assert.equal(o.faults?.seed, 42);
    assert.deepEqual(o.faults?.rules.map((r) => ({ ...r })), [
      {
        method: 'POST', path: '/api/v1/Account/*/trunks', latencyMs: 0, jitterMs: 0, errorRate: 0.5, errorStatuses: [502, 503],
        rate429: 0, burst429: 0, retryAfterSeconds: 1, retryAfterForm: 'seconds', resetRate: 0, hangRate: 0,
        commitDropRate: 0, commitHangRate: 0, skip: 0, times: 3,
      },
      {
        method: '*', path: '**', latencyMs: 50, jitterMs: 10, errorRate: 0, errorStatuses: [500, 502, 503, 504],
        rate429: 0.1, burst429: 2, retryAfterSeconds: 5, retryAfterForm: 'date', resetRate: 0, hangRate: 0,
        commitDropRate: 0, commitHangRate: 0, skip: 0,
      },
    ]);
    assert.equal(parseArgs([], {}).faults, undefined);
    const thrower = (m: string): never => { throw new Error(m); };
    assert.throws(() => parseFaultFlag('POST /x errorRate=2', thrower), /--fault 'POST \/x errorRate=2'\.errorRate must be/);
    assert.throws(() => parseFaultFlag('POST /x errorRate=half', thrower), /errorRate must be/);
    assert.throws(() => parseFaultFlag('POST', thrower), /expected 'METHOD PATH/);
    assert.throws(() => parseFaultFlag('POST /x errorRate', thrower), /expected key=value/);
    assert.throws(() => parseFaultFlag('POST /x times=1 times=2', thrower), /times given twice/);
  });

  test('CLI: bad fault flags → usage and exit code 2', () => {
    const cli = path.join(__dirname, '..', 'emulator', 'cli.js');
    for (const args of [['--fault', 'POST /x bogus=1'], ['--fault', 'GET'], ['--fault-seed', '-1'], ['--idempotency', 'maybe']]) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /^error: .*\n/);
      assert.match(r.stderr, /--fault 'METHOD PATH key=value \.\.\.'/);
    }
  });
});

describe('shutdown', () => {
  test('close() resolves promptly while a request hangs, and the client is cut off', async () => {
    const hung = await startEmulator({ port: 0, faults: { rules: [{ hangRate: 1 }] } });
    const pending = fetch(`${hung.url}/api/v1/auth/me`).then(() => 'answered', () => 'cut off');
    const probe = new EmulatorClient(hung);
    while ((await probe.requests()).length === 0) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await probe.requests())[0].fault, 'hang');
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<string>((r) => { timer = setTimeout(r, 5000, 'stuck'); });
    const closed = await Promise.race([hung.close().then(() => 'closed'), stuck]);
    clearTimeout(timer);
    assert.equal(closed, 'closed');
    assert.equal(await pending, 'cut off');
  });
});
