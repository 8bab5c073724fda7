// Strict local emulator of the Vobiz REST API (the shared notes vobiz-api.md, §13).
// This file owns the HTTP server: routing, authentication, body parsing,
// response writing, request log and persistence. Handlers live in routes.ts.
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { ADMIN_WRITES, LogEntry, World, adminRoute } from './admin';
import { ApiError, Family, accountMismatch, fail, invalidToken, meUnauthorized, methodNotAllowed, raw, routeNotFound } from './errors';
import { FaultConfigInput, FaultInjector, faultReply, parseFaultConfig } from './faults';
import { IdempotencyMode, IdempotencyStore, parseIdempotencyMode } from './idempotency';
import { Options, Reply, ROUTES, Route } from './routes';
import { parseRateLimit, RateLimitConfig, RequestRateLimit } from './rateLimit';
import { Account, DEFAULT_BALANCES, DEFAULT_RELEASE_FEES, loadState, saveState, seedState, tick } from './state';
import { hashSecret, newRequestId, nowIso, secretMatches } from './util';

export interface EmulatorOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Main account auth id, default 'MA_EMULATOR'. */
  authId?: string;
  /** Main account token, default 'emulator-secret-token'. */
  authToken?: string;
  /** Persist state as JSON: loaded at start if it exists, saved after every write. */
  statePath?: string;
  /** Accept lower-case `/account/` for the `/Account/` route family. */
  lenientCasing?: boolean;
  /** Status for a purchase with insufficient balance: 500 (documented endpoint behaviour, default) or 402 envelope. */
  insufficientBalanceStatus?: 500 | 402;
  /** Release fee per currency (default INR 700, USD 10). */
  releaseFees?: Record<string, number>;
  /** Seed balances of the main account (default INR 100000, USD 500). */
  balances?: Record<string, number>;
  /** Fault injection for API requests (see faults.ts); also settable via PUT /__emulator/faults. */
  faults?: FaultConfigInput;
  /** Idempotency-Key semantics: 'ignore' (documented Vobiz behaviour, default) or 'honour' (replay). */
  idempotency?: IdempotencyMode;
  /** Requests per second per account, beyond which the API answers 429 with Retry-After (default: none). */
  rateLimit?: RateLimitConfig;
}

export interface RunningEmulator {
  url: string;
  port: number;
  authId: string;
  authToken: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const MAX_LOG = 10_000;

interface Compiled { route: Route; segs: string[] }
const COMPILED: Compiled[] = ROUTES.map((route) => ({ route, segs: route.path.split('/').slice(1) }));

const dropTrailingEmpty = (segs: string[]) => (segs.length > 1 && segs[segs.length - 1] === '' ? segs.slice(0, -1) : segs);

/** Match raw (still percent-encoded) path segments against a route; returns raw params or null. */
function matchRoute(c: Compiled, segs: string[], lenient: boolean): Record<string, string> | null {
  const pat = c.route.slashOptional ? dropTrailingEmpty(c.segs) : c.segs;
  const got = c.route.slashOptional ? dropTrailingEmpty(segs) : segs;
  if (pat.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pat.length; i++) {
    const p = pat[i];
    const g = got[i];
    if (p.startsWith(':')) {
      if (g === '') return null;
      // ASSUMPTION: an unencoded `+` in an E.164 path segment does not route (404), as the docs warn.
      if (p === ':e164' && g.includes('+')) return null;
      params[p.slice(1)] = g;
    } else if (p !== g && !(lenient && p === 'Account' && g === 'account')) {
      return null; // strict casing: /account/, /ACCOUNT/ etc. do not exist (notes §2.2)
    }
  }
  return params;
}

function resolve(method: string, path: string, lenient: boolean): { route: Route; params: Record<string, string> } {
  const segs = path.split('/').slice(1);
  let pathMatched = false;
  for (const c of COMPILED) {
    const params = matchRoute(c, segs, lenient);
    if (!params) continue;
    if (c.route.method === method) return { route: c.route, params };
    pathMatched = true;
  }
  throw pathMatched ? methodNotAllowed() : routeNotFound();
}

function decodeParams(raw: Record<string, string>, family: Family): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      fail(family, 400, `malformed path parameter ${k}`);
    }
  }
  return out;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function authenticate(w: World, req: http.IncomingMessage, route: Route, params: Record<string, string>): Account {
  const unauthorized = route.auth === 'me' ? meUnauthorized : invalidToken;
  const id = header(req, 'x-auth-id');
  const token = header(req, 'x-auth-token');
  if (!id || !token) throw unauthorized();
  const acct = w.state.accounts.find((a) => a.auth_id === id);
  const expected = acct?.parent_auth_id === null ? hashSecret(w.opts.authToken) : acct?.token_hash;
  if (!acct || !expected || !secretMatches(token, expected)) throw unauthorized();
  // ASSUMPTION: the documented 403 mismatch body applies to every /Account and /accounts route.
  if (route.auth !== 'me' && params.auth_id !== acct.auth_id) throw accountMismatch();
  // ASSUMPTION: a sub-account calling the sub-account routes (even on its own id) gets 403 (notes §13.1).
  if (route.auth === 'main' && acct.parent_auth_id !== null)
    throw new ApiError(403, { error: { code: 403, message: 'Access denied: sub-accounts cannot manage sub-accounts' } });
  // ASSUMPTION: a disabled sub-account can still use the REST API (disabling stops call traffic only).
  acct.last_used = nowIso();
  return acct;
}

function parseJsonBody(req: http.IncomingMessage, text: string, family: Family): unknown {
  const ct = header(req, 'content-type') ?? '';
  // Strict: JSON bodies must be declared as JSON (notes §2.1).
  if (!/^application\/json\s*(;|$)/i.test(ct)) fail(family, 400, 'Content-Type must be application/json');
  if (text.trim() === '') fail(family, 400, 'request body is required');
  try {
    return JSON.parse(text);
  } catch {
    return fail(family, 400, 'request body is not valid JSON');
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => (size > MAX_BODY ? reject(new ApiError(413, { error: 'payload_too_large', message: 'request body too large' })) : resolveBody(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/**
 * The single place responses (including every error body) are written.
 * ASSUMPTION: Vobiz's envelope carries `requestId`; the emulator exposes one per request as X-Request-Id.
 */
function send(res: http.ServerResponse, status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('X-Request-Id', requestId);
  if (status === 204 || body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function toReply(e: unknown): Reply {
  if (e instanceof ApiError) return { status: e.status, body: e.body };
  return { status: 500, body: { error: 'internal_server_error', message: `emulator error: ${(e as Error).message}` } };
}

function settle(fn: () => Reply): Reply {
  try {
    return fn();
  } catch (e) {
    return toReply(e);
  }
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms).unref());

/** Invalid EmulatorOptions; the CLI turns these into a usage error (exit 2). */
export class EmulatorOptionsError extends Error {
  override name = 'EmulatorOptionsError';
}

const bad = (m: string): never => { throw new EmulatorOptionsError(m); };

function resolveOptions(opts: EmulatorOptions): Options {
  const authId = opts.authId ?? 'MA_EMULATOR';
  if (!/^MA_[A-Z0-9]{8}$/.test(authId)) bad(`authId must look like a Vobiz main account id (MA_ + 8 upper-case alphanumerics), got ${authId}`);
  const authToken = opts.authToken ?? 'emulator-secret-token';
  if (!authToken) bad('authToken must not be empty');
  const insufficientBalanceStatus = opts.insufficientBalanceStatus ?? 500;
  if (insufficientBalanceStatus !== 500 && insufficientBalanceStatus !== 402) bad('insufficientBalanceStatus must be 500 or 402');
  return {
    authId, authToken, insufficientBalanceStatus, lenientCasing: !!opts.lenientCasing,
    releaseFees: { ...DEFAULT_RELEASE_FEES, ...opts.releaseFees },
    balances: { ...DEFAULT_BALANCES, ...opts.balances },
  };
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const o = resolveOptions(opts);
  const statePath = opts.statePath;
  const loaded = statePath ? loadState(statePath, o.authId) : null;
  const faults = new FaultInjector(opts.faults === undefined ? undefined : parseFaultConfig(opts.faults, bad));
  const idempotency = new IdempotencyStore(parseIdempotencyMode(opts.idempotency ?? 'ignore', bad));
  const rateLimit = new RequestRateLimit(opts.rateLimit === undefined ? undefined : parseRateLimit(opts.rateLimit, bad));
  const w: World = { state: loaded ?? seedState(o.authId, o.balances), opts: o, log: [], seq: 0, faults, idempotency, rateLimit };
  const persist = () => statePath && saveState(statePath, w.state);
  if (!loaded) persist();
  let closed = false;

  function dispatch(req: http.IncomingMessage, method: string, path: string, query: string, text: string, requestId: string): Reply {
    const { route, params: rawParams } = resolve(method, path, o.lenientCasing);
    const params = decodeParams(rawParams, route.family);
    const caller = authenticate(w, req, route, params);
    const handle = (): Reply => {
      const body = method === 'POST' || method === 'PUT' ? parseJsonBody(req, text, route.family) : undefined;
      return route.handler({ s: w.state, opts: o, params, query: new URLSearchParams(query), body, caller, requestId });
    };
    // ASSUMPTION: Vobiz gives Idempotency-Key no semantics; unless mode is "honour" it is only recorded.
    // Checked after authentication so a stored reply is only ever replayed to its own caller.
    const key = header(req, 'idempotency-key');
    if (method === 'GET' || !key) return handle();
    return w.idempotency.run(caller.auth_id, key, `${method} ${path}?${query}\n${text}`, () => settle(handle));
  }

  /** Handle an API request for real: state changes and persistence happen here. */
  function handleApi(req: http.IncomingMessage, method: string, path: string, query: string, text: string, requestId: string): Reply {
    let dirty = tick(w.state, Date.now());
    const reply = settle(() => dispatch(req, method, path, query, text, requestId));
    dirty ||= method !== 'GET' && reply.status < 400;
    if (dirty) persist();
    return reply;
  }

  async function onAdmin(req: http.IncomingMessage, res: http.ServerResponse, method: string, path: string, requestId: string): Promise<void> {
    const run = (text: string) => settle(() => {
      const h = adminRoute(method, path) ?? raw(404, { error: 'not_found', message: 'unknown admin route' });
      const body = (method === 'POST' || method === 'PUT') && text.trim() !== '' ? parseJsonBody(req, text, 'admin') : {};
      const reply = h(w, body);
      if (ADMIN_WRITES.has(`${method} ${path}`)) persist();
      return reply;
    });
    const reply = await readBody(req).then(run, toReply);
    send(res, reply.status, reply.body, requestId);
  }

  async function onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const at = Date.now();
    const requestId = newRequestId();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const query = qi < 0 ? '' : url.slice(qi + 1);
    if (path.startsWith('/__emulator/')) return onAdmin(req, res, method, path, requestId);

    const decided = w.faults.decide(method, path);
    const { delayMs } = decided;
    let fault = decided.fault;
    // The account's rate limit is spent on arrival, like a gateway's; injected faults come first.
    const limitedFor = fault ? undefined : w.rateLimit.take(header(req, 'x-auth-id') ?? '', at);
    if (limitedFor !== undefined) fault = { kind: '429', retryAfterSeconds: limitedFor, retryAfterForm: 'seconds' };
    const entry: LogEntry = {
      seq: ++w.seq, method, path, query, status: 0, request_id: requestId,
      auth_id: header(req, 'x-auth-id') ?? null, idempotency_key: header(req, 'idempotency-key') ?? null,
      duration_ms: 0, fault: limitedFor !== undefined ? 'rate-limit' : (fault?.kind ?? null), at,
    };
    w.log.push(entry);
    if (w.log.length > MAX_LOG) w.log.splice(0, w.log.length - MAX_LOG);
    const finish = (status: number) => {
      entry.status = status;
      entry.duration_ms = Math.round(performance.now() - t0);
    };

    const body = await readBody(req).then((text) => ({ text }), (e: unknown) => ({ error: toReply(e) }));
    if (delayMs > 0) await sleep(delayMs);
    // Woke after close(): never touch state (or the state file) again. A client that merely
    // gave up during the delay is still handled, as a real server would.
    if (closed) return;
    switch (fault?.kind) {
      case 'hang': // close() destroys the socket
        return finish(0);
      case 'reset':
        finish(0);
        req.socket.destroy();
        return;
      case '429': case '5xx': {
        const r = faultReply(fault, requestId);
        finish(r.status);
        return send(res, r.status, r.body, requestId, r.headers);
      }
    }
    const reply = 'error' in body ? body.error : handleApi(req, method, path, query, body.text, requestId);
    finish(reply.status);
    if (fault?.kind === 'commit-drop') req.socket.destroy();
    else if (fault?.kind !== 'commit-hang') send(res, reply.status, reply.body, requestId, reply.headers);
  }

  const server = http.createServer((req, res) => void onRequest(req, res));
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolveListen());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const host = opts.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    authId: o.authId,
    authToken: o.authToken,
    close() {
      closed = true;
      closing ??= new Promise<void>((done, reject) => {
        server.close((err) => (err ? reject(err) : done()));
        server.closeAllConnections(); // drop keep-alive sockets and hanging requests so the process can exit
      });
      return closing;
    },
  };
}
