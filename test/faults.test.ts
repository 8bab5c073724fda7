// The fault suite: the quickstart's whole life (up, edit, up, destroy) through the real
// dynamic-provider host while the emulator injects faults, with its Idempotency-Key handling
// both ignored (what Vobiz documents) and honoured. Every run must end with exactly the
// declared objects, no duplicate and no second purchase, and no error for absorbable faults.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { quickstart, QuickstartSettings } from "../examples/quickstart/program";
import { RunningEmulator } from "../emulator";
import { RunResult, Stack, StackError } from "./harness";
import { EmulatorClient, newStack, resetEmulator, startTestEmulator } from "./support";

const password = "Fault#Proof2026";

// Retries and breaker sized for an API that fails often at random: five failures in a row happen
// by chance at these rates, and the breaker (tested on its own below) would then fail the run.
const absorbing = {
  "vobiz:maxRetries": "10",
  "vobiz:retryBaseMs": "5",
  "vobiz:breakerThreshold": "1000",
  "vobiz:requestTimeoutMs": "400",
};

const all = { method: "*", path: "**" };
type Log = Awaited<ReturnType<EmulatorClient["requests"]>>;
const scenarios: Array<{ name: string; rules: object[]; parallel?: number; check?: (log: Log) => void }> = [
  { name: "gateway 5xx (20%)", rules: [{ ...all, errorRate: 0.2 }] },
  { name: "429 bursts with Retry-After", rules: [{ ...all, rate429: 0.25, burst429: 2, retryAfterSeconds: 0 }] },
  {
    name: "429 with Retry-After as an HTTP date",
    rules: [{ ...all, rate429: 1, times: 2, retryAfterSeconds: 2, retryAfterForm: "date" }],
    check: (log) => {
      // The client waited before sending again (an HTTP date has 1 s granularity, so 2 s reads as 1-2 s).
      const firstRetry = log.find((q) => q.fault === null)!;
      assert.ok(firstRetry.at - log[0].at >= 900, `waited ${firstRetry.at - log[0].at} ms after a 429 with Retry-After`);
    },
  },
  { name: "connection resets (15%)", rules: [{ ...all, resetRate: 0.15 }] },
  { name: "hangs (8%)", rules: [{ ...all, hangRate: 0.08 }] },
  { name: "commit then drop (20%)", rules: [{ ...all, commitDropRate: 0.2 }] },
  { name: "latency", rules: [{ ...all, latencyMs: 10, jitterMs: 40 }] },
  {
    name: "mix: 20% 5xx, 10% commit-then-drop, 429 bursts, resets, latency; 4 steps in parallel",
    rules: [{ ...all, errorRate: 0.2, commitDropRate: 0.1, rate429: 0.05, burst429: 2, retryAfterSeconds: 0, resetRate: 0.05, jitterMs: 20 }],
    parallel: 4,
  },
];

describe("fault suite: the quickstart lifecycle under injected faults", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let numbers: string[];
  const secrets: string[] = [password];
  const texts: string[] = [];

  before(async () => {
    ({ emu, client } = await startTestEmulator());
    secrets.push(emu.authToken);
    numbers = await client.inventory("IN", 2);
  });
  after(async () => {
    // The scan over every state file, log and host output the suite produced.
    const leaks = secrets.filter((s) => texts.some((t) => t.includes(s)));
    assert.deepEqual(leaks.map((s) => `${s.slice(0, 3)}…`), [], "a secret value appears in a log or state file");
    assert.ok(texts.length > 50);
    await emu.close();
  });

  const keep = (stack: Stack, r: RunResult | StackError): void => {
    texts.push(stack.stateText(), r.hostStderr, r.hostStdout, ...r.logs.map((l) => l.message));
    if ("outputs" in r && typeof r.outputs.subAccountAuthToken === "string") secrets.push(r.outputs.subAccountAuthToken);
  };

  /** The emulator holds exactly what the program declares, once each. */
  async function assertDeclared(addresses: string[], trunkName: string): Promise<void> {
    const st = await client.state();
    const subs = st.accounts.filter((a: any) => a.parent_auth_id === emu.authId);
    assert.deepEqual(subs.map((a: any) => a.name), ["quickstart-team"]);
    assert.deepEqual(st.trunks.map((t: any) => t.name), [trunkName]);
    assert.equal(st.credentials.length, 1);
    assert.deepEqual(st.ip_acl.map((a: any) => a.ip_address).sort(), [...addresses].sort());
    const trunk = st.trunks[0];
    assert.equal(trunk.credential_uuid, st.credentials[0].id);
    assert.ok(st.ip_acl.some((a: any) => a.id === trunk.ipacl_uuid), "the trunk's ACL entry is one of the whitelist's");
    const owned = st.numbers.filter((n: any) => n.account_id === emu.authId && n.status === "active");
    assert.deepEqual(owned.map((n: any) => n.e164).sort(), [...numbers].sort());
    assert.ok(owned.every((n: any) => n.trunk_group_id === trunk.trunk_id), "every number routed to the trunk");
    assertOnePurchaseEach(st);
    assert.deepEqual(await client.sipAuth(trunk.trunk_id, st.credentials[0].username, password), { ok: true });
  }

  function assertOnePurchaseEach(st: any): void {
    const purchases = st.transactions.filter((t: any) => t.reference_type === "did_purchase");
    assert.deepEqual(purchases.map((t: any) => t.reference).sort(), [...numbers].sort(), "exactly one purchase per number");
  }

  async function assertEmpty(): Promise<void> {
    const st = await client.state();
    assert.equal(st.accounts.filter((a: any) => a.parent_auth_id === emu.authId).length, 0);
    assert.deepEqual([st.trunks.length, st.credentials.length, st.ip_acl.length], [0, 0, 0]);
    assert.equal(st.numbers.filter((n: any) => n.account_id === emu.authId && n.status === "active").length, 0);
    assertOnePurchaseEach(st);
  }

  for (const mode of ["ignore", "honour"] as const) {
    for (const scenario of scenarios) {
      it(`${scenario.name}, Idempotency-Key ${mode === "ignore" ? "ignored" : "honoured"}`, async () => {
        await client.clearFaults();
        await resetEmulator(emu);
        await client.setIdempotency(mode);
        await client.setFaults(scenario.rules, 7);
        const stack = newStack(emu, `faults-${mode}`, { VOBIZ_LOG: "debug" }, { parallel: scenario.parallel, config: absorbing });
        const program = (addresses: string[], trunkName: string) => () =>
          quickstart({ numbers, sipPassword: password, pbxAddresses: addresses, trunkName });
        const first = ["49.36.12.10", "49.36.12.11"];
        const edited = ["49.36.12.10", "49.36.12.12"];
        try {
          keep(stack, await stack.up(program(first, "quickstart-trunk")));
          await assertDeclared(first, "quickstart-trunk");
          keep(stack, await stack.up(program(edited, "renamed-trunk")));
          await assertDeclared(edited, "renamed-trunk");
          keep(stack, await stack.destroy());
        } catch (e) {
          if (e instanceof StackError) keep(stack, e);
          throw e;
        }
        await assertEmpty();
        const log = (await client.requests()).sort((a, b) => a.at - b.at);
        scenario.check?.(log);
        const kinds = [...new Set(log.map((q) => q.fault).filter(Boolean))];
        assert.ok(kinds.length > 0 || scenario.name === "latency", `the scenario injected faults: ${log.length} requests, statuses ${[...new Set(log.map((q) => q.status))]}`);
      });
    }
  }

  it("a fault retries cannot absorb names the resource, the call, the status and the request id", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    await client.setIdempotency("ignore");
    await client.setFaults([{ method: "POST", path: "/api/v1/Account/*/trunks", errorRate: 1, errorStatuses: [502] }]);
    const stack = newStack(emu, "unabsorbable", {}, { config: { ...absorbing, "vobiz:maxRetries": "2" } });
    const e = await stack.up(() => quickstart({ numbers, sipPassword: password, pbxAddresses: ["49.36.12.10"] })).then(
      () => assert.fail("up should fail"),
      (err: StackError) => err,
    );
    keep(stack, e);
    assert.match(e.message, /Trunk "main": create failed: POST \/Account\/\{auth_id\}\/trunks failed: HTTP 502 \[BAD_GATEWAY\]: .+ \(request id req_[0-9a-f]+\)/);
    const st = await client.state();
    assert.equal(st.trunks.length, 0, "each failed POST was looked up before it was sent again");
    const posts = (await client.requests()).filter((q) => q.method === "POST" && q.path.endsWith("/trunks"));
    assert.equal(posts.length, 3, "the first send and maxRetries (2) more");
    await client.clearFaults();
  });
});
