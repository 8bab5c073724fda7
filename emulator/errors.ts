// Every error body the emulator can emit is built here. Vobiz uses several
// shapes (notes §4.2); each route declares its "family" so a handler only says
// what went wrong and this module decides how the body looks.

export type Family = 'trunk' | 'number' | 'subaccount' | 'account' | 'admin';

export class ApiError extends Error {
  constructor(public readonly status: number, public readonly body: unknown) {
    super(typeof body === 'object' ? JSON.stringify(body) : String(body));
  }
}

// `{error, message}` families use a short kind word in `error`.
const KIND: Record<Exclude<Family, 'trunk'>, Record<number, string>> = {
  // Documented number-family kinds: "invalid request", "not_found", "forbidden".
  number: { 400: 'invalid request', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 500: 'internal_server_error' },
  account: { 400: 'invalid request', 403: 'forbidden', 404: 'not_found', 500: 'internal_server_error' },
  // ASSUMPTION: sub-account validation errors use {"error":"bad_request","message":...} (only the 404 shape is hinted at).
  subaccount: { 400: 'bad_request', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 500: 'internal_server_error' },
  admin: { 400: 'bad_request', 404: 'not_found', 413: 'payload_too_large', 500: 'internal_server_error' },
};

// ASSUMPTION: undocumented trunk-family validation errors use {"error":"<reason>","code":400} (notes §13.7).
/** Throw a family-shaped error. Trunk family: `{"error":msg,"code":n}`; others: `{"error":kind,"message":msg}`. */
export function fail(family: Family, status: number, message: string): never {
  if (family === 'trunk') throw new ApiError(status, { error: message, code: status });
  throw new ApiError(status, { error: KIND[family][status] ?? 'error', message });
}

/** Throw an exact, documented body. */
export function raw(status: number, body: unknown): never {
  throw new ApiError(status, body);
}

// Gateway-level bodies (notes §2.1) — identical on every /Account and /accounts route.
export const invalidToken = () => new ApiError(401, { error: { code: 401, message: 'Invalid token' } });
export const meUnauthorized = () => new ApiError(401, { error: 'unauthorized', message: 'invalid credentials' });
export const accountMismatch = () =>
  new ApiError(403, { error: { code: 403, message: 'Access denied: account ID mismatch' } });
// ASSUMPTION: routing failures use {"error":"not_found","message":"route not found"} (notes §2.2).
export const routeNotFound = () => new ApiError(404, { error: 'not_found', message: 'route not found' });
// ASSUMPTION: a known path with an unsupported method → 405 with a body of the same flat shape.
export const methodNotAllowed = () => new ApiError(405, { error: 'method_not_allowed', message: 'method not allowed' });

// Injected faults only (faults.ts); the emulator itself never rate-limits or fails upstream.
/** The documented 429 body. */
export const rateLimited = (retryAfter: number, requestId: string) =>
  new ApiError(429, {
    status: 'error',
    error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Rate limit exceeded', details: { limitType: 'requests', retryAfter } },
    timestamp: new Date().toISOString(),
    requestId,
  });

const GATEWAY: Record<number, [string, string]> = {
  500: ['INTERNAL_ERROR', 'Internal server error'],
  502: ['BAD_GATEWAY', 'Bad gateway'],
  503: ['SERVICE_UNAVAILABLE', 'Service temporarily unavailable'],
  504: ['GATEWAY_TIMEOUT', 'Gateway timeout'],
};
/** Gateway-shaped 5xx (what a proxy in front of the API answers). */
export const gatewayError = (status: number) => {
  const [code, message] = GATEWAY[status];
  return new ApiError(status, { error: { code, message } });
};

// Only in idempotency mode "honour" (idempotency.ts).
export const idempotencyKeyReused = () =>
  new ApiError(422, { status: 'error', error: { code: 'IDEMPOTENCY_KEY_REUSED', message: 'Idempotency-Key was already used with a different request' } });
