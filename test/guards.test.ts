// The guards every resource shares: the circuit breaker against a dead API (through the host and
// directly against the emulator), the concurrency limit and the requests-per-second limit.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import * as vobiz from "pulumi-vobiz";
import { quickstart } from "../examples/quickstart/program";
import { RunningEmulator } from "../emulator";
import { VobizApi } from "../provider/client/api";
import { VobizApiError } from "../provider/client/errors";
import { GuardSettings } from "../provider/client/guards";
import { RetryLimits } from "../provider/client/transport";
import { StackError } from "./harness";
import { EmulatorClient, newStack, resetEmulator, startTestEmulator } from "./support";

const program = (numbers: string[]) => () =>
  quickstart({ numbers, sipPassword: "Guard#Rail2026", pbxAddresses: ["49.36.12.10", "49.36.12.11"] });

describe("shared guards", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let numbers: string[];

  before(async () => {
    ({ emu, client } = await startTestEmulator());
    numbers = await client.inventory("IN", 2);
  });
  beforeEach(async () => {
    await client.clearFaults();
    await resetEmulator(emu);
  });
  after(async () => {
    await emu.close();
  });

  /** A client straight to the emulator (no host), without retries unless asked. */
  const directApi = (retry: Partial<RetryLimits>, guards: Partial<GuardSettings>) =>
    new VobizApi({
      endpoint: emu.url,
      authId: emu.authId,
      authToken: emu.authToken,
      timeoutMs: 2000,
      retry: { maxRetries: 0, maxRateLimitWaits: 0, backoffBaseMs: 1, maxRetryAfterSeconds: 1, maxRetryTimeMs: 1000, ...retry },
      guards: { breakerThreshold: 5, breakerCooldownMs: 1000, maxConcurrency: 4, maxRequestsPerSecond: 0, ...guards },
      logRequests: false,
    });

  it("a dead API opens the breaker: the run fails fast saying the circuit is open, after a handful of calls", async () => {
    await client.setFaults([{ method: "*", path: "**", errorRate: 1, errorStatuses: [503] }]);
    const parallel = 4;
    const stack = newStack(emu, "dead-api", {}, { parallel });
    const e: StackError = await stack.up(program(numbers)).then(
      () => assert.fail("up should fail"),
      (err) => err,
    );
    assert.match(
      e.message,
      /(SubAccount|SipCredential|IpWhitelist|Trunk) "[a-z]+": create failed: .*(GET|POST) \/\S+ failed: circuit open: not sent: the circuit breaker for http:\/\/127\.0\.0\.1:\d+ is open after 5 consecutive failures; last failure: HTTP 503 \(request id req_[0-9a-f]+\)\. Calls fail fast for 30 s, then one probe decides/,
    );
    assert.ok(e.logs.some((l) => /circuit breaker opened once/.test(l.message)), JSON.stringify(e.logs));
    // Five failures open it; at most the calls already in flight then also land. Without the
    // breaker each of the four steps would make 4 attempts.
    const log = await client.requests();
    assert.ok(log.length >= 5 && log.length <= 5 + parallel - 1, `${log.length} requests reached the dead API`);
    assert.ok(log.every((q) => q.status === 503));
  });

  it("while open, calls fail without a request; after the cooldown one probe decides; a good probe closes it", async () => {
    await client.setFaults([{ method: "*", path: "**", errorRate: 1, errorStatuses: [503] }]);
    const cooldownMs = 300;
    const api = directApi({ maxRateLimitWaits: 0, maxRetryTimeMs: 1000 }, { breakerCooldownMs: cooldownMs, maxConcurrency: 4 });
    const outcomes: string[] = [];
    const deadUntil = Date.now() + 1500;
    while (Date.now() < deadUntil) {
      await api.listTrunks().then(
        () => outcomes.push("ok"),
        (err: VobizApiError) => outcomes.push(err.code === "CIRCUIT_OPEN" ? "refused" : String(err.status)),
      );
      await new Promise((r) => setTimeout(r, 10));
    }
    const dead = (await client.requests()).sort((a, b) => a.at - b.at);
    // The pattern: five failures in a burst, then single probes at least a cooldown apart.
    const gaps = dead.slice(5).map((q, i) => q.at - dead[4 + i].at);
    assert.ok(dead.length >= 6 && dead.length <= 5 + Math.ceil(1500 / cooldownMs), `${dead.length} requests in 1.5 s`);
    assert.ok(gaps.every((g) => g >= cooldownMs - 20), `gaps between probes: ${gaps}`);
    assert.ok(outcomes.filter((o) => o === "refused").length > 20, "most calls were refused without a request");
    assert.deepEqual(outcomes.slice(0, 6), ["503", "503", "503", "503", "503", "refused"]);

    await client.clearFaults();
    await client.clearRequests();
    await new Promise((r) => setTimeout(r, cooldownMs + 20));
    // Read past the shared list cache: every call here must reach the API.
    const listNow = () => api.lists.fresh(() => api.listTrunks());
    await listNow(); // the probe succeeds and closes the circuit
    await Promise.all([listNow(), listNow(), listNow()]);
    assert.equal((await client.requests()).length, 4);
  });

  it("a 429 pauses every request to the API until Retry-After, not only the refused one", async () => {
    await fetch(`${emu.url}/__emulator/rate-limit`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ perSecond: 5 }) });
    try {
      const api = directApi({ maxRateLimitWaits: 10, maxRetryAfterSeconds: 5, maxRetryTimeMs: 30_000 }, { breakerCooldownMs: 1000, maxConcurrency: 8 });
      // New calls keep starting (one every 80 ms), as parallel Pulumi steps do.
      const started = Array.from({ length: 16 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 80)).then(() => api.lists.fresh(() => api.listTrunks())),
      );
      const lists = await Promise.all(started);
      assert.equal(lists.length, 16, "every call succeeded in the end");
      const log = (await client.requests()).sort((a, b) => a.at - b.at);
      const refused = log.filter((q) => q.status === 429);
      assert.ok(refused.length > 0, "the limit was reached");
      // A request already on its way may land just after a 429; none is sent during the pause.
      for (const r of refused) {
        const during = log.filter((q) => q.at > r.at + 100 && q.at < r.at + 900);
        assert.deepEqual(during.map((q) => q.at - r.at), [], `requests sent while paused by the 429 at +${r.at - log[0].at} ms`);
      }
      assert.equal(log.filter((q) => q.status === 200).length, 16);
    } finally {
      await fetch(`${emu.url}/__emulator/rate-limit`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ perSecond: 0 }) });
    }
  });

  it("an API slower than the concurrency limit: the rate is learned from 429s, so most requests are not refused and the run succeeds", async () => {
    await fetch(`${emu.url}/__emulator/rate-limit`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ perSecond: 2 }) });
    try {
      const stack = newStack(emu, "slow-api", {}, { parallel: 8 });
      const r = await stack.up(() => {
        for (let w = 0; w < 8; w++) new vobiz.IpWhitelist(`office-${w}`, { entries: [1, 2].map((a) => ({ ip: `49.36.${w}.${a}`, label: `office-${w}` })) });
      });
      assert.equal(r.steps.filter((s) => s.op === "create").length, 8);
      const log = await client.requests();
      const refused = log.filter((q) => q.status === 429).length;
      // Released together after each pause, 8 parallel requests against 2 per second were refused
      // about 4 times in 5 (and the run failed once a request had waited 10 times).
      assert.ok(refused / log.length < 0.4, `${refused} of ${log.length} requests answered 429`);
      assert.equal((await client.state()).ip_acl.length, 16);
    } finally {
      await fetch(`${emu.url}/__emulator/rate-limit`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ perSecond: 0 }) });
    }
  });

  it("one concurrency limit for every resource type: no two requests overlap at maxConcurrency 1", async () => {
    await client.setFaults([{ method: "*", path: "**", latencyMs: 30 }]);
    const overlaps = async (config: Record<string, string>) => {
      await resetEmulator(emu);
      const stack = newStack(emu, "limits", {}, { parallel: 4, config });
      await stack.up(program(numbers));
      const log = (await client.requests()).sort((a: any, b: any) => a.at - b.at) as any[];
      return log.slice(1).filter((q, i) => q.at < log[i].at + log[i].duration_ms - 2).length;
    };
    assert.ok((await overlaps({})) > 0, "with the default limit, parallel steps do overlap (the check can see it)");
    assert.equal(await overlaps({ "vobiz:maxConcurrency": "1" }), 0);
  });

  it("vobiz:maxRequestsPerSecond spaces requests across parallel steps", async () => {
    const stack = newStack(emu, "rate", {}, { parallel: 4, config: { "vobiz:maxRequestsPerSecond": "5" } });
    const r = await stack.up(program(numbers));
    const log = (await client.requests()).sort((a, b) => a.at - b.at);
    assert.ok(log.length > 5);
    // Send slots are reserved 200 ms apart in absolute time, so arrival jitter cannot add up.
    const span = log[log.length - 1].at - log[0].at;
    assert.ok(span >= (log.length - 1) * 200 * 0.9, `${log.length} requests in ${span} ms at 5 requests per second`);
    assert.ok(r.logs.some((l) => /held back .* by vobiz:maxRequestsPerSecond/.test(l.message)), JSON.stringify(r.logs.map((l) => l.message)));
  });
});
