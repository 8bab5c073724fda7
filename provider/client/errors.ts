// One error type for everything the Vobiz API answers with a non-2xx status, and for
// transport failures, so resources can decide (gone? retry? report?) on fields, not text.

/** The code of a call the circuit breaker refused: it was never sent. */
export const CIRCUIT_OPEN = "CIRCUIT_OPEN";

export interface ApiErrorFields {
  /** e.g. "POST /Account/{auth_id}/trunks": the call, with ids but never secrets. */
  operation: string;
  /** HTTP status; 0 when no response arrived (timeout, reset, refused). */
  status: number;
  /** The API's own code ("RATE_LIMIT_EXCEEDED", "not_found", 409 ...) when the body had one. */
  code?: string;
  /** The API's message, or a description of the transport failure. */
  apiMessage: string;
  requestId?: string;
  /** Seconds from a Retry-After header, when the server sent one. */
  retryAfterSeconds?: number;
  /** How many times the request was sent, when more than once. */
  attempts?: number;
  /** No answer within the request timeout: the server may still be working on it. */
  timedOut?: boolean;
}

export class VobizApiError extends Error {
  readonly operation: string;
  readonly status: number;
  readonly code?: string;
  readonly apiMessage: string;
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;
  readonly attempts?: number;
  readonly timedOut: boolean;

  constructor(fields: ApiErrorFields) {
    super(describeApiError(fields));
    this.name = "VobizApiError";
    this.operation = fields.operation;
    this.status = fields.status;
    this.code = fields.code;
    this.apiMessage = fields.apiMessage;
    this.requestId = fields.requestId;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.attempts = fields.attempts;
    this.timedOut = fields.timedOut ?? false;
  }

  /**
   * The object does not exist. A 404 for an unknown route (wrong base path or casing) is a
   * configuration error, not a missing object: treating it as "gone" would let refresh drop
   * resources and destroy "succeed" while numbers keep billing.
   */
  get isNotFound(): boolean {
    return this.status === 404 && !/route not found/i.test(this.apiMessage);
  }
}

export function describeApiError(f: ApiErrorFields): string {
  const status = f.status === 0 ? (f.code === CIRCUIT_OPEN ? "circuit open" : "no response") : `HTTP ${f.status}`;
  const code = f.code !== undefined && f.code !== String(f.status) && f.code !== CIRCUIT_OPEN ? ` [${f.code}]` : "";
  const reqId = f.requestId ? ` (request id ${f.requestId})` : "";
  const tries = f.attempts && f.attempts > 1 ? ` after ${f.attempts} attempts` : "";
  return `${f.operation} failed${tries}: ${status}${code}: ${f.apiMessage}${reqId}`;
}

/**
 * Vobiz answers errors in at least four shapes (notes §4.2): the standard envelope
 * {status,error:{code,message},requestId}, the flat {error,message}, the trunk-family
 * {error,code} and the gateway {error:{code,message}}. Read all of them defensively.
 */
export function decodeErrorBody(status: number, bodyText: string): { code?: string; message: string; requestId?: string } {
  let body: unknown;
  try {
    body = bodyText ? JSON.parse(bodyText) : undefined;
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== "object") {
    const text = bodyText.trim().slice(0, 200);
    return { message: text || "(empty response body)" };
  }
  const b = body as Record<string, unknown>;
  const requestId = stringOr(b.requestId) ?? stringOr(b.request_id);
  const err = b.error;
  if (err && typeof err === "object") {
    const e = err as Record<string, unknown>;
    return {
      code: e.code !== undefined ? String(e.code) : undefined,
      message: stringOr(e.message) ?? stringOr(b.message) ?? `HTTP ${status}`,
      requestId,
    };
  }
  const errString = stringOr(err);
  const message = stringOr(b.message) ?? errString ?? stringOr(b.detail) ?? `HTTP ${status}`;
  // In the flat {error, message} shape the `error` string is the code; in {error, code} it is the message.
  const code = b.code !== undefined ? String(b.code) : b.message !== undefined ? errString : undefined;
  return { code, message, requestId };
}

function stringOr(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** Wraps any failure with the resource it happened to, keeping the API details in the text. */
export class ResourceOperationError extends Error {
  readonly cause: unknown;
  constructor(resource: string, action: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${resource}: ${action} failed: ${detail}`);
    this.name = "ResourceOperationError";
    this.cause = cause;
  }
}

/** A 404 means the object is gone (undefined); every other failure throws. */
export async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof VobizApiError && e.isNotFound) return undefined;
    throw e;
  }
}
