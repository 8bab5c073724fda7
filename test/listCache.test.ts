// The shared list cache on its own, with a hand-driven clock and hand-resolved fetches.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LIST_TTL_MS, ListCache, patches } from "../provider/client/listCache";

type Obj = { id: string; v?: number };
const idOf = (o: Obj) => o.id;

/** A fetch whose answers the test hands out, counting calls. */
function fetcher() {
  const waiting: Array<(list: Obj[]) => void> = [];
  let calls = 0;
  return {
    fetch: () => {
      calls++;
      return new Promise<Obj[]>((resolve) => waiting.push(resolve));
    },
    answer(list: Obj[]) {
      waiting.shift()!(list);
    },
    get calls() {
      return calls;
    },
  };
}

describe("list cache", () => {
  it("one fetch serves every reader until the time to live ends; concurrent readers share it", async () => {
    let now = 0;
    const cache = new ListCache(() => now);
    const f = fetcher();
    const a = cache.get("trunks", f.fetch);
    const b = cache.get("trunks", f.fetch);
    f.answer([{ id: "t1" }]);
    assert.deepEqual(await a, [{ id: "t1" }]);
    assert.equal(await b, await a);
    now += LIST_TTL_MS.trunks - 1;
    assert.deepEqual(await cache.get("trunks", f.fetch), [{ id: "t1" }]);
    assert.equal(f.calls, 1);
    now += 1;
    const c = cache.get("trunks", f.fetch);
    f.answer([]);
    assert.deepEqual(await c, []);
    assert.equal(f.calls, 2);
    assert.deepEqual(cache.counters, { hits: 1, fetches: 2, shared: 1 });
  });

  it("kinds have their own time to live: account info 15 minutes, trunk lists 5", async () => {
    let now = 0;
    const cache = new ListCache(() => now);
    const f = fetcher();
    for (const kind of ["trunks", "subAccounts"] as const) {
      const p = cache.get(kind, f.fetch);
      f.answer([]);
      await p;
    }
    now = 6 * 60_000;
    void cache.get("trunks", f.fetch);
    await cache.get("subAccounts", f.fetch);
    assert.equal(f.calls, 3, "the trunk list is fetched again, the sub-account list is not");
  });

  it("a successful write patches the cached list; a failed one drops it", async () => {
    const cache = new ListCache(() => 0);
    const f = fetcher();
    const p = cache.get("ipAcl", f.fetch);
    f.answer([{ id: "a" }, { id: "b" }]);
    await p;
    await cache.write("ipAcl", async () => ({ id: "c" }), patches.upsert(idOf));
    await cache.write("ipAcl", async () => ({ id: "a", v: 2 }), patches.upsert(idOf));
    await cache.write("ipAcl", async () => undefined, patches.remove(idOf, "b"));
    assert.deepEqual(await cache.get("ipAcl", f.fetch), [{ id: "c" }, { id: "a", v: 2 }]);
    await assert.rejects(cache.write("ipAcl", async () => Promise.reject(new Error("HTTP 502")), patches.remove(idOf, "c")), /HTTP 502/);
    const again = cache.get("ipAcl", f.fetch);
    f.answer([{ id: "x" }]);
    assert.deepEqual(await again, [{ id: "x" }]);
    assert.equal(f.calls, 2);
  });

  it("a write that ends while a fetch runs is replayed onto its answer, which the API may give with or without it", async () => {
    for (const answer of [[{ id: "old" }], [{ id: "old" }, { id: "new" }]]) {
      const cache = new ListCache(() => 0);
      const f = fetcher();
      let finishWrite!: (o: Obj) => void;
      const write = cache.write("credentials", () => new Promise<Obj>((r) => (finishWrite = r)), patches.upsert(idOf));
      const during = cache.get("credentials", f.fetch);
      const joined = cache.get("credentials", f.fetch);
      finishWrite({ id: "new" });
      await write;
      f.answer(answer);
      assert.deepEqual(await during, [{ id: "old" }, { id: "new" }]);
      assert.deepEqual(await joined, [{ id: "old" }, { id: "new" }]);
      assert.deepEqual(await cache.get("credentials", f.fetch), [{ id: "old" }, { id: "new" }], "kept");
      assert.equal(f.calls, 1);
    }
  });

  it("under a steady stream of writes the list is fetched once, not once per reader", async () => {
    const cache = new ListCache(() => 0);
    const f = fetcher();
    const first = cache.get("ipAcl", f.fetch);
    const writes = Array.from({ length: 50 }, (_, i) => cache.write("ipAcl", async () => ({ id: `e${i}` }), patches.upsert(idOf)));
    await Promise.all(writes);
    f.answer([{ id: "e0" }]);
    assert.equal((await first).length, 50);
    for (let i = 0; i < 50; i++) {
      const w = cache.write("ipAcl", async () => ({ id: `f${i}` }), patches.upsert(idOf));
      assert.equal((await cache.get("ipAcl", f.fetch)).length, 50 + i);
      await w;
    }
    assert.equal((await cache.get("ipAcl", f.fetch)).length, 100);
    assert.equal(f.calls, 1);
  });

  it("a write of unknown effect while a fetch runs: the answer is returned but not kept", async () => {
    const cache = new ListCache(() => 0);
    const f = fetcher();
    const during = cache.get("numbers", f.fetch);
    await assert.rejects(cache.write("numbers", async () => Promise.reject(new Error("no response")), patches.remove(idOf, "n1")), /no response/);
    const afterDrop = cache.get("numbers", f.fetch);
    assert.equal(f.calls, 2, "a reader after the failure does not join the fetch it may spoil");
    f.answer([{ id: "n1" }]);
    f.answer([]);
    assert.deepEqual(await during, [{ id: "n1" }]);
    assert.deepEqual(await afterDrop, []);
    assert.deepEqual(await cache.get("numbers", f.fetch), []);
    assert.equal(f.calls, 2);
  });

  it("fresh() never uses an answer fetched before it; recent(ms) takes one started at most ms before", async () => {
    let now = 1000;
    const cache = new ListCache(() => now);
    const f = fetcher();
    const early = cache.get("trunks", f.fetch);
    const freshRead = cache.fresh(() => cache.get("trunks", f.fetch));
    assert.equal(f.calls, 2, "fresh() does not join the fetch already running");
    const joined = cache.fresh(() => cache.get("trunks", f.fetch));
    assert.equal(f.calls, 3, "nor one started before it was called");
    f.answer([{ id: "early" }]);
    f.answer([{ id: "fresh" }]);
    f.answer([{ id: "fresher" }]);
    assert.deepEqual([await early, await freshRead, await joined], [[{ id: "early" }], [{ id: "fresh" }], [{ id: "fresher" }]]);
    assert.deepEqual(await cache.get("trunks", f.fetch), [{ id: "fresher" }], "the newest answer is kept");
    now += 500;
    assert.deepEqual(await cache.recent(600, () => cache.get("trunks", f.fetch)), [{ id: "fresher" }]);
    const older = cache.recent(400, () => cache.get("trunks", f.fetch));
    assert.equal(f.calls, 4, "a list fetched 500 ms ago is too old for recent(400)");
    f.answer([{ id: "new" }]);
    assert.deepEqual(await older, [{ id: "new" }]);
  });

  it("side-effect kinds are dropped by a write; fresh() reads past the cache", async () => {
    const cache = new ListCache(() => 0);
    const f = fetcher();
    for (const kind of ["trunks", "numbers"] as const) {
      const p = cache.get(kind, f.fetch);
      f.answer([{ id: kind }]);
      await p;
    }
    await cache.write("trunks", async () => undefined, patches.remove(idOf, "trunks"), ["numbers"]);
    assert.deepEqual(await cache.get("trunks", f.fetch), [], "patched, not fetched");
    const numbers = cache.get("numbers", f.fetch);
    f.answer([{ id: "n2" }]);
    assert.deepEqual(await numbers, [{ id: "n2" }]);
    assert.equal(f.calls, 3);
    const fresh = cache.fresh(() => cache.get("numbers", f.fetch));
    f.answer([{ id: "n3" }]);
    assert.deepEqual(await fresh, [{ id: "n3" }]);
    assert.deepEqual(await cache.get("numbers", f.fetch), [{ id: "n3" }], "what fresh() read is kept for the others");
    assert.equal(f.calls, 4);
  });
});
