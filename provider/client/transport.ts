// HTTP transport: one pooled keep-alive undici Agent per process, auth headers, HTTPS rule,
// per-request timeouts, bounded retries for calls that are safe to repeat, and structured
// request logs that cannot contain secrets because they are built only from safe fields.
import { Agent } from "undici";
import { decodeErrorBody, VobizApiError } from "./errors";

export interface TransportSettings {
  /** The API origin, already checked by assertEndpointAllowed, e.g. https://api.vobiz.ai */
  endpoint: string;
  authId: string;
  authToken: string;
  timeoutMs: number;
  maxRetries: number;
  /** Base of the exponential backoff; tests shrink it. */
  backoffBaseMs: number;
  maxRetryAfterSeconds: number;
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

/** The retry decision, pure so it can be tested on its own. */
export function retryDelayMs(input: {
  method: ApiRequest["method"];
  attempt: number; // 1 = the first try has failed
  maxRetries: number;
  status?: number; // undefined when no response arrived
  retryAfterSeconds?: number;
  maxRetryAfterSeconds: number;
  backoffBaseMs: number;
  random?: () => number;
}): number | undefined {
  if (input.attempt > input.maxRetries) return undefined;
  // A POST creates or moves money: repeating it blindly can duplicate an object or a purchase.
  if (input.method === "POST") return undefined;
  const s = input.status;
  const retryable =
    s === undefined || s === 429 || s === 502 || s === 503 || s === 504 || (s === 500 && input.method === "GET");
  if (!retryable) return undefined;
  if (s === 429 && input.retryAfterSeconds !== undefined) {
    return Math.min(input.retryAfterSeconds, input.maxRetryAfterSeconds) * 1000;
  }
  const ceiling = input.backoffBaseMs * 2 ** (input.attempt - 1);
  return Math.round((input.random ?? Math.random)() * ceiling); // full jitter
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

const debugLogging = () => (process.env.VOBIZ_LOG ?? "").toLowerCase() === "debug";

function logRequest(record: Record<string, unknown>): void {
  if (debugLogging()) process.stderr.write(JSON.stringify({ msg: "vobiz request", ...record }) + "\n");
}

function headerValue(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

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
  if (req.idempotencyKey) headers["idempotency-key"] = req.idempotencyKey;
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);

  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    let status: number | undefined;
    let text = "";
    let requestId: string | undefined;
    let retryAfterSeconds: number | undefined;
    let failure: string | undefined;
    try {
      const res = await agent().request({
        origin: settings.endpoint,
        path,
        method: req.method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
      requestId = headerValue(res.headers, "x-request-id");
      retryAfterSeconds = parseRetryAfter(headerValue(res.headers, "retry-after"));
    } catch (e) {
      failure = e instanceof Error && e.name === "TimeoutError" ? `timed out after ${settings.timeoutMs} ms` : `${(e as Error).message || e}`;
    }
    logRequest({ method: req.method, path: req.operation, status: status ?? 0, attempt, durationMs: Date.now() - started, requestId });

    if (status !== undefined && status < 400) {
      return { status, body: text ? safeJson(text) : undefined, requestId };
    }
    const delay = retryDelayMs({
      method: req.method,
      attempt,
      maxRetries: settings.maxRetries,
      status,
      retryAfterSeconds,
      maxRetryAfterSeconds: settings.maxRetryAfterSeconds,
      backoffBaseMs: settings.backoffBaseMs,
    });
    if (delay === undefined) {
      if (status === undefined) {
        throw new VobizApiError({ operation: req.operation, status: 0, apiMessage: failure ?? "no response" });
      }
      const decoded = decodeErrorBody(status, text);
      throw new VobizApiError({
        operation: req.operation,
        status,
        code: decoded.code,
        apiMessage: decoded.message,
        requestId: decoded.requestId ?? requestId,
        retryAfterSeconds,
      });
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
