// HTTP transport: one pooled keep-alive undici Agent per process, auth headers, HTTPS rule,
// per-request timeouts, bounded retries for calls that are safe to repeat, the shared guards
// (guards.ts), and structured request logs that cannot contain secrets because they are built
// only from safe fields.
import { Agent } from "undici";
import { recordRequest } from "../report";
import { routeOf } from "./route";
import { BrokenCircuitError, DelegateBackoff, handleWhenResult, retry } from "cockatiel";
import { CIRCUIT_OPEN, decodeErrorBody, VobizApiError } from "./errors";
import { count, GuardSettings, guardsFor, recordLatency } from "./guards";

export interface TransportSettings {
  /** The API origin, already checked by assertEndpointAllowed, e.g. https://api.vobiz.ai */
  endpoint: string;
  authId: string;
  authToken: string;
  /** Per attempt: the dynamic-provider host ignores customTimeouts, so the client enforces its own. */
  timeoutMs: number;
  retry: RetryLimits;
  guards: GuardSettings;
  /** JSON request logs on stderr (vobiz:log=debug or VOBIZ_LOG=debug). */
  logRequests: boolean;
}

export interface ApiRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below /api/v1, already encoded, e.g. `/Account/MA_X/trunks`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  idempotencyKey?: string;
  /** Human label of the call for errors and logs, e.g. "POST /Account/{auth_id}/trunks". */
  operation: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  requestId?: string;
}

let sharedAgent: Agent | undefined;

/** The process-wide connection pool: every resource type in the host shares it. */
export function agent(): Agent {
  if (!sharedAgent) {
    sharedAgent = new Agent({ connections: 8, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 });
  }
  return sharedAgent;
}

const loopbackHosts = new Set(["localhost", "[::1]", "::1"]);

/** HTTPS only, except for loopback addresses (the local emulator). */
export function assertEndpointAllowed(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`vobiz:endpoint "${endpoint}" is not a valid URL`);
  }
  const loopback = loopbackHosts.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
  if (url.pathname !== "/" || url.search) {
    throw new Error(`vobiz:endpoint must be the API origin only, such as https://api.vobiz.ai (the client adds /api/v1); got ${url.origin}${url.pathname}`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && loopback) return url;
  throw new Error(
    `vobiz:endpoint must use https:// (plain http is allowed only for loopback addresses such as a local emulator); got ${url.protocol}//${url.host}`,
  );
}

export interface RetryLimits {
  /** Retries after failures other than 429. */
  maxRetries: number;
  /** Waits after 429 answers; they do not use up maxRetries (a 429 storm should slow a run, not fail it). */
  maxRateLimitWaits: number;
  backoffBaseMs: number;
  maxRetryAfterSeconds: number;
  /** No retry is scheduled that would end later than this after the first attempt started. */
  maxRetryTimeMs: number;
}

/**
 * The retry decision, pure so it can be tested on its own: milliseconds to wait before the next
 * attempt, or undefined to give up. `failures` and `rateLimited` count this attempt too.
 */
export function retryDelayMs(input: {
  method: ApiRequest["method"];
  status: number; // 0 when no response arrived
  retryAfterSeconds?: number;
  failures: number;
  rateLimited: number;
  elapsedMs: number;
  limits: RetryLimits;
  random?: () => number;
}): number | undefined {
  const { method, status, limits } = input;
  let delay: number;
  if (status === 429) {
    // A rate-limited request was refused, not processed, so even a POST may be sent again.
    if (input.rateLimited > limits.maxRateLimitWaits) return undefined;
    delay =
      input.retryAfterSeconds !== undefined
        ? Math.min(input.retryAfterSeconds, limits.maxRetryAfterSeconds) * 1000
        : jitteredBackoff(input.rateLimited, limits.backoffBaseMs, input.random);
  } else {
    // Anything else on a POST may have taken effect; the caller looks before it sends again.
    if (method === "POST" || input.failures > limits.maxRetries) return undefined;
    // 500 is retried for reads and for PUT/DELETE, which HTTP defines as safe to repeat (the
    // Vobiz advice "500 on reads only" guards non-idempotent writes, which are all POSTs here).
    const retryable = status === 0 || status === 500 || status === 502 || status === 503 || status === 504;
    if (!retryable) return undefined;
    delay = jitteredBackoff(input.failures, limits.backoffBaseMs, input.random);
  }
  return input.elapsedMs + delay > limits.maxRetryTimeMs ? undefined : delay;
}

/** Exponential backoff with full jitter: uniform in [0, base * 2^(n-1)]. */
export function jitteredBackoff(n: number, baseMs: number, random: () => number = Math.random): number {
  return Math.round(random() * baseMs * 2 ** Math.max(0, n - 1));
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  // Seconds (a fraction rounds up, never down to "at once"), or an HTTP date.
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value.trim()));
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** A structured debug log line on stderr; callers pass only safe fields (never headers or bodies). */
export function debugLog(settings: TransportSettings, msg: string, record: Record<string, unknown>): void {
  if (settings.logRequests || (process.env.VOBIZ_LOG ?? "").toLowerCase() === "debug") {
    process.stderr.write(JSON.stringify({ msg, ...record }) + "\n");
  }
}

function headerValue(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** One attempt's result; status 0 means no response (timeout, reset, refused). */
interface Attempt {
  status: number;
  text: string;
  requestId?: string;
  retryAfterSeconds?: number;
  failure?: string;
  timedOut?: boolean;
  /** Set when the retry decision says to try again after this many milliseconds. */
  retryInMs?: number;
}

/**
 * Sends one API request through the shared guards: retries (cockatiel) around the circuit breaker
 * around the concurrency bulkhead and rate limiter, so backoff sleeps hold no slot and every
 * attempt is seen by the breaker. Throws VobizApiError for every failure.
 */
export async function send(settings: TransportSettings, req: ApiRequest): Promise<ApiResponse> {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) search.set(k, String(v));
  const qs = search.toString();
  const path = `/api/v1${req.path}${qs ? `?${qs}` : ""}`;
  const headers: Record<string, string> = {
    "x-auth-id": settings.authId,
    "x-auth-token": settings.authToken,
    accept: "application/json",
    "user-agent": "pulumi-vobiz",
  };
  if (req.body !== undefined) headers["content-type"] = "application/json";
  // The same key on every attempt of this request: a server that honours it replays, not repeats.
  if (req.idempotencyKey) headers["idempotency-key"] = req.idempotencyKey;
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  const guards = guardsFor(settings.endpoint, settings.guards);
  const started = Date.now();
  let attempts = 0;
  let failures = 0;
  let rateLimited = 0;

  const attemptOnce = async (): Promise<Attempt> => {
    for (let paused = guards.limiter.pausedFor(Date.now()); paused > 0; paused = guards.limiter.pausedFor(Date.now())) {
      count("rateLimitWaitMs", paused);
      await sleep(paused);
    }
    const learned = guards.limiter.learnedGap > 0;
    const wait = guards.limiter.reserve(Date.now());
    if (wait > 0) {
      // Spacing learned from 429s is rate-limit waiting; the configured spacing is throttling.
      count(learned ? "rateLimitWaitMs" : "throttleWaitMs", wait);
      await sleep(wait);
    }
    attempts++;
    const t0 = Date.now();
    const a: Attempt = { status: 0, text: "" };
    try {
      const res = await agent().request({
        origin: settings.endpoint,
        path,
        method: req.method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      a.status = res.statusCode;
      a.text = await res.body.text();
      a.requestId = headerValue(res.headers, "x-request-id");
      a.retryAfterSeconds = parseRetryAfter(headerValue(res.headers, "retry-after"));
    } catch (e) {
      a.status = 0; // a body cut off mid-way is as good as no answer
      a.timedOut = e instanceof Error && e.name === "TimeoutError";
      a.failure = a.timedOut ? `timed out after ${settings.timeoutMs} ms` : describeNetworkError(e);
    }
    const durationMs = Date.now() - t0;
    recordRequest(routeOf(req.method, path), a.status, durationMs);
    count("requests");
    recordLatency(durationMs);
    if (a.status === 429) guards.limiter.refused(Date.now());
    else if (a.status > 0) guards.limiter.accept(Date.now());
    if (a.status === 0) count("noResponse");
    else if (a.status < 400) count("succeeded");
    else if (a.status === 429) count("rateLimited");
    else if (a.status >= 500) count("serverErrors");
    else count("clientErrors");
    if (a.status >= 400 || a.status === 0) {
      if (a.status === 429) rateLimited++;
      else failures++;
      a.retryInMs = retryDelayMs({
        method: req.method,
        status: a.status,
        retryAfterSeconds: a.retryAfterSeconds,
        failures,
        rateLimited,
        elapsedMs: Date.now() - started,
        limits: settings.retry,
      });
    }
    const capped = a.status === 429 && a.retryAfterSeconds !== undefined && a.retryAfterSeconds > settings.retry.maxRetryAfterSeconds;
    debugLog(settings, "vobiz request", {
      method: req.method,
      path: req.operation,
      status: a.status,
      attempt: attempts,
      durationMs,
      requestId: a.requestId,
      ...(a.failure ? { failure: a.failure } : {}),
      ...(a.retryInMs !== undefined ? { retryInMs: a.retryInMs } : {}),
      ...(capped ? { retryAfterCappedFrom: a.retryAfterSeconds } : {}),
    });
    if (a.retryInMs !== undefined) {
      count("retries");
      // The refused request's own wait is the shared pause, counted once where it is slept.
      if (a.status === 429) guards.limiter.pauseUntil(Date.now() + a.retryInMs);
    }
    return a;
  };

  const retries = retry(handleWhenResult((a) => (a as Attempt).retryInMs !== undefined), {
    maxAttempts: settings.retry.maxRetries + settings.retry.maxRateLimitWaits + 1,
    // After a 429 the wait is the shared pause, slept (and counted) at the start of the next attempt.
    backoff: new DelegateBackoff((ctx) => {
      const a = "value" in ctx.result ? (ctx.result.value as Attempt) : undefined;
      return !a || a.status === 429 ? 0 : (a.retryInMs ?? 0);
    }),
  });
  let final: Attempt;
  try {
    final = await retries.execute(() => guards.breaker.execute(() => guards.bulkhead.execute(attemptOnce)));
  } catch (e) {
    if (!(e instanceof BrokenCircuitError)) throw e;
    count("breakerRejections");
    throw circuitOpenError(settings, req, guards.breaker.lastFailure);
  }
  if (final.status > 0 && final.status < 400) {
    return { status: final.status, body: final.text ? safeJson(final.text) : undefined, requestId: final.requestId };
  }
  if (final.status === 0) {
    throw new VobizApiError({ operation: req.operation, status: 0, apiMessage: final.failure ?? "no response", attempts, timedOut: final.timedOut });
  }
  const decoded = decodeErrorBody(final.status, final.text);
  throw new VobizApiError({
    operation: req.operation,
    status: final.status,
    code: decoded.code,
    apiMessage: decoded.message,
    requestId: decoded.requestId ?? final.requestId,
    retryAfterSeconds: final.retryAfterSeconds,
    attempts,
  });
}

/** The call was not sent: the API failed too often just now. Names the last failure seen. */
function circuitOpenError(settings: TransportSettings, req: ApiRequest, last: unknown): VobizApiError {
  const lastAttempt = (last as { value?: Attempt } | undefined)?.value;
  const lastText = !lastAttempt
    ? ""
    : lastAttempt.status === 0
      ? `; last failure: ${lastAttempt.failure ?? "no response"}`
      : `; last failure: HTTP ${lastAttempt.status}${lastAttempt.requestId ? ` (request id ${lastAttempt.requestId})` : ""}`;
  const g = settings.guards;
  return new VobizApiError({
    operation: req.operation,
    status: 0,
    code: CIRCUIT_OPEN,
    apiMessage:
      `not sent: the circuit breaker for ${settings.endpoint} is open after ${g.breakerThreshold} consecutive failures${lastText}. ` +
      `Calls fail fast for ${Math.round(g.breakerCooldownMs / 1000)} s, then one probe decides whether the API is back`,
  });
}

function describeNetworkError(e: unknown): string {
  const err = e as { message?: string; code?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  const message = err.message || String(e);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
