// Lists of objects shared by every resource in a provider host. Vobiz has no single-object GET
// for credentials, IP ACL entries or origination URIs, so without sharing, a refresh pages
// through a whole list once per resource. A list is fetched once per kind and account, reused
// until its time to live ends, shared by concurrent readers while in flight, and kept true by
// this process's own writes: a write that succeeds patches the cached list, one that fails drops
// it, and a list fetched while a write was under way is never kept (it may predate the write).
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

interface Slot {
  /** Bumped when a write starts and when it ends: a fetch that saw another generation is not kept. */
  generation: number;
  value?: readonly unknown[];
  fetchedAt?: number;
  pending?: { generation: number; promise: Promise<readonly unknown[]> };
}

export interface CacheCounters {
  hits: number;
  fetches: number;
  shared: number;
}

export class ListCache {
  private slots = new Map<ListKind, Slot>();
  private readonly freshScope = new AsyncLocalStorage<true>();
  readonly counters: CacheCounters = { hits: 0, fetches: 0, shared: 0 };

  constructor(private readonly now: () => number = Date.now) {}

  private slot(kind: ListKind): Slot {
    let s = this.slots.get(kind);
    if (!s) this.slots.set(kind, (s = { generation: 0 }));
    return s;
  }

  /**
   * The list of `kind`: the cached one if it is younger than its time to live (or `maxAgeMs`),
   * else the one being fetched, else a new fetch.
   */
  get<T>(kind: ListKind, fetch: () => Promise<T[]>, maxAgeMs: number = LIST_TTL_MS[kind]): Promise<readonly T[]> {
    const s = this.slot(kind);
    const mustFetch = this.freshScope.getStore() === true;
    if (!mustFetch && s.value && this.now() - s.fetchedAt! < Math.min(maxAgeMs, LIST_TTL_MS[kind])) {
      this.counters.hits++;
      return Promise.resolve(s.value as readonly T[]);
    }
    if (!mustFetch && s.pending && s.pending.generation === s.generation) {
      this.counters.shared++;
      return s.pending.promise as Promise<readonly T[]>;
    }
    this.counters.fetches++;
    const generation = s.generation;
    const startedAt = this.now();
    const promise = fetch().then((list) => {
      if (s.generation === generation) {
        s.value = list;
        s.fetchedAt = startedAt;
      }
      return list;
    });
    s.pending = { generation, promise };
    const clear = () => {
      if (s.pending?.promise === promise) s.pending = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }

  /**
   * Runs a write that changes `kind`. On success `patch` turns the cached list (if any) into the
   * list after the write; patches must give the same result when applied twice. Kinds in `touches`
   * may change as a side effect the client cannot predict exactly, so they are dropped.
   */
  async write<R>(kind: ListKind, op: () => Promise<R>, patch?: (list: readonly unknown[], result: R) => readonly unknown[], touches: ListKind[] = []): Promise<R> {
    const kinds = [kind, ...touches];
    for (const k of kinds) this.slot(k).generation++;
    let result: R;
    try {
      result = await op();
    } catch (e) {
      for (const k of kinds) this.drop(k);
      throw e;
    }
    const s = this.slot(kind);
    s.generation++;
    if (s.value && patch) s.value = patch(s.value, result);
    else s.value = undefined;
    for (const k of touches) this.drop(k);
    return result;
  }

  /**
   * Runs fn with every list read from the API, not from the cache or an earlier fetch: for
   * lookups whose answer decides whether to send a write again.
   */
  fresh<T>(fn: () => Promise<T>): Promise<T> {
    return this.freshScope.run(true, fn);
  }

  drop(kind: ListKind): void {
    const s = this.slot(kind);
    s.generation++;
    s.value = undefined;
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
