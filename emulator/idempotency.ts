// Idempotency-Key handling. Vobiz documents the header but no semantics, so by default
// ("ignore") it is only recorded in the request log. "honour" lets retry tests check a
// client against a server that replays: the first reply per (caller, key) is kept and an
// identical retry gets it back without being handled again.
// Stored replies live in memory only (not in the state file): a restart forgets them.
import { createHash } from 'node:crypto';
import { idempotencyKeyReused } from './errors';
import type { Reply } from './routes';

export const IDEMPOTENCY_MODES = ['ignore', 'honour'] as const;
export type IdempotencyMode = (typeof IDEMPOTENCY_MODES)[number];

const MAX_STORED = 10_000;

export function parseIdempotencyMode(v: unknown, bad: (message: string) => never): IdempotencyMode {
  if (!(IDEMPOTENCY_MODES as readonly unknown[]).includes(v)) bad(`idempotency mode must be one of: ${IDEMPOTENCY_MODES.join(', ')}`);
  return v as IdempotencyMode;
}

export class IdempotencyStore {
  private replies = new Map<string, { fingerprint: string; reply: Reply }>();

  constructor(private current: IdempotencyMode = 'ignore') {}

  get mode(): IdempotencyMode {
    return this.current;
  }

  /** Switching mode also forgets stored replies, so a test starts from a clean slate. */
  setMode(mode: IdempotencyMode): void {
    this.current = mode;
    this.replies.clear();
  }

  clear(): void {
    this.replies.clear();
  }

  /**
   * Run `handle` (which must turn errors into replies) unless this caller already used `key`.
   * `request` is the fingerprint source: method, path, query and raw body text.
   * Only replies below 500 are kept: a server error leaves the key free for a retry.
   */
  run(authId: string, key: string, request: string, handle: () => Reply): Reply {
    if (this.current === 'ignore') return handle();
    const id = `${authId}\n${key}`;
    const fingerprint = createHash('sha256').update(request).digest('hex');
    const prior = this.replies.get(id);
    if (prior) {
      if (prior.fingerprint !== fingerprint) throw idempotencyKeyReused();
      return { ...prior.reply, headers: { ...prior.reply.headers, 'Idempotent-Replayed': 'true' } };
    }
    const reply = handle();
    if (reply.status < 500) {
      this.replies.set(id, { fingerprint, reply });
      // Map keeps insertion order: drop the oldest beyond the cap.
      if (this.replies.size > MAX_STORED) this.replies.delete(this.replies.keys().next().value!);
    }
    return reply;
  }
}
