// Lists of objects shared by every resource in a provider host. Vobiz has no single-object GET
// for credentials, IP ACL entries or origination URIs, so without sharing, a refresh pages
// through a whole list once per resource. A list is fetched once per kind and account, reused
// until its time to live ends, shared by concurrent readers while in flight, and kept true by
// this process's own writes: a write that succeeds patches the cached list (and the answer of a
// fetch that was running meanwhile), and one whose effect is unknown drops it.
import { AsyncLocalStorage } from "node:async_hooks";

/** How long a list stays fresh (the Vobiz guidance: 5 minutes for trunk lists, 15 for account info). */
export const LIST_TTL_MS = {
  trunks: 5 * 60_000,
  credentials: 5 * 60_000,
  ipAcl: 5 * 60_000,
  originationUris: 5 * 60_000,
  // ASSUMPTION: owned numbers change as rarely as trunks; they take the trunk lists' five minutes.
  numbers: 5 * 60_000,
  subAccounts: 15 * 60_000,
} as const;
export type ListKind = keyof typeof LIST_TTL_MS;

type Patch = (list: readonly unknown[]) => readonly unknown[];

interface Slot {
  value?: readonly unknown[];
  /** When (clock) and in which order (tick) the fetch behind `value` started. */
  fetchedAt?: number;
  fetchedTick?: number;
  /** Counts the writes that ended (and the drops), so a fetch knows which ones it may predate. */
  seq: number;
  /** The seq of the last write whose effect is unknown: a fetch that started before it is not kept. */
  droppedAt: number;
  /** Patches of writes that ended while a fetch was running, replayed onto that fetch's answer. */
  recent: { seq: number; patch: Patch }[];
  /** The seq each running fetch started at. */
  running: number[];
  pending?: { promise: Promise<readonly unknown[]>; at: number; tick: number };
}

/** What a reader accepts: a fetch started after `tick`, or at or after `at` (clock). */
interface Freshness {
  tick?: number;
  at?: number;
}

export interface CacheCounters {
  hits: number;
  fetches: number;
  shared: number;
}

export class ListCache {
  private slots = new Map<ListKind, Slot>();
  private readonly freshScope = new AsyncLocalStorage<Freshness>();
  private ticks = 0;
  readonly counters: CacheCounters = { hits: 0, fetches: 0, shared: 0 };

  constructor(private readonly now: () => number = Date.now) {}

  private slot(kind: ListKind): Slot {
    let s = this.slots.get(kind);
    if (!s) this.slots.set(kind, (s = { seq: 0, droppedAt: -1, recent: [], running: [] }));
    return s;
  }

  /**
   * The list of `kind`: the cached one if it is younger than its time to live (and new enough
   * for a fresh() or recent() scope), else the one being fetched, else a new fetch.
   */
  get<T>(kind: ListKind, fetch: () => Promise<T[]>): Promise<readonly T[]> {
    const s = this.slot(kind);
    const need = this.freshScope.getStore();
    const newEnough = (at: number, tick: number) => !need || (need.tick !== undefined ? tick > need.tick : at >= need.at!);
    if (s.value && this.now() - s.fetchedAt! < LIST_TTL_MS[kind] && newEnough(s.fetchedAt!, s.fetchedTick!)) {
      this.counters.hits++;
      return Promise.resolve(s.value as readonly T[]);
    }
    if (s.pending && newEnough(s.pending.at, s.pending.tick)) {
      this.counters.shared++;
      return s.pending.promise as Promise<readonly T[]>;
    }
    this.counters.fetches++;
    const startSeq = s.seq;
    const startedAt = this.now();
    const tick = ++this.ticks;
    s.running.push(startSeq);
    const done = () => {
      s.running.splice(s.running.indexOf(startSeq), 1);
      // Patches are kept only as long as a fetch that started before them is still running.
      const oldest = Math.min(...s.running);
      s.recent = s.recent.filter((r) => r.seq > oldest);
    };
    const promise = fetch().then(
      (fetched) => {
        // The API may have answered before or after the writes that ended meanwhile: their
        // patches give the same list either way. A write of unknown effect spoils the answer.
        const spoiled = s.droppedAt > startSeq;
        let list: readonly unknown[] = fetched;
        if (!spoiled) for (const r of s.recent) if (r.seq > startSeq) list = r.patch(list);
        done();
        if (spoiled) return fetched;
        // A newer fetch may have answered first: keep the newest.
        if (!s.value || s.fetchedTick === undefined || tick > s.fetchedTick) {
          s.value = list;
          s.fetchedAt = startedAt;
          s.fetchedTick = tick;
        }
        return list as readonly T[];
      },
      (e) => {
        done();
        throw e;
      },
    );
    s.pending = { promise, at: startedAt, tick };
    const clear = () => {
      if (s.pending?.promise === promise) s.pending = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }

  /**
   * Runs a write that changes `kind`. On success `patch` turns the list into the list after the
   * write; patches must give the same result when applied twice (the list may already show the
   * write). Kinds in `touches` may change as a side effect the client cannot predict, so they are
   * dropped; so is `kind` when the write fails (it may have taken effect) or has no patch.
   */
  async write<R>(kind: ListKind, op: () => Promise<R>, patch?: (list: readonly unknown[], result: R) => readonly unknown[], touches: ListKind[] = []): Promise<R> {
    let result: R;
    try {
      result = await op();
    } catch (e) {
      for (const k of [kind, ...touches]) this.drop(k);
      throw e;
    }
    if (patch) {
      const s = this.slot(kind);
      const bound: Patch = (list) => patch(list, result);
      s.seq++;
      if (s.running.length) s.recent.push({ seq: s.seq, patch: bound });
      if (s.value) s.value = bound(s.value);
    } else {
      this.drop(kind);
    }
    for (const k of touches) this.drop(k);
    return result;
  }

  /**
   * Runs fn with every list read from the API after this call, never an earlier answer: for
   * lookups whose answer decides whether to send a write again.
   */
  fresh<T>(fn: () => Promise<T>): Promise<T> {
    return this.freshScope.run({ tick: this.ticks }, fn);
  }

  /**
   * Runs fn with lists fetched at most `ms` before this call: for the snapshot of what exists
   * before a create, which must be recent but may be shared by creates that start together.
   */
  recent<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    return this.freshScope.run({ at: this.now() - ms }, fn);
  }

  drop(kind: ListKind): void {
    const s = this.slot(kind);
    s.seq++;
    s.droppedAt = s.seq;
    s.value = undefined;
    s.pending = undefined;
  }
}

/** Patches for lists of objects with an id field. */
export const patches = {
  /** The written object replaces the one with its id, or joins the list. */
  upsert<T>(idOf: (o: T) => string) {
    return (list: readonly unknown[], written: T): readonly unknown[] => [...(list as T[]).filter((o) => idOf(o) !== idOf(written)), written];
  },
  remove<T>(idOf: (o: T) => string, id: string) {
    return (list: readonly unknown[]): readonly unknown[] => (list as T[]).filter((o) => idOf(o) !== id);
  },
  change<T>(idOf: (o: T) => string, id: string, change: (o: T) => T) {
    return (list: readonly unknown[]): readonly unknown[] => (list as T[]).map((o) => (idOf(o) === id ? change(o) : o));
  },
};
