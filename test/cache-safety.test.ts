// What the shared list cache must never cost, through the real host against the emulator: a
// purchase whose answer is lost never adopts a number someone else bought during the run (and our
// destroy never releases it), and a refresh never drops an object that a paged list skipped
// because another actor deleted something between two pages. (Found by a breaker run against the
// first version of the cache; both passed before the cache and failed with it.)
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator } from "../emulator";
import { StackError } from "./harness";
import { EmulatorClient, newStack, resetEmulator, startTestEmulator } from "./support";

describe("list cache safety", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;

  before(async () => {
    ({ emu, client } = await startTestEmulator());
  });
  beforeEach(async () => {
    await client.clearFaults();
    await resetEmulator(emu);
  });
  after(async () => {
    await emu.close();
  });

  it("a number bought elsewhere after the run read the list, then a lost purchase answer: refused, not adopted, not released", async () => {
    const [mine, theirs] = await client.inventory("IN", 2);
    const stack = newStack(emu, "bought-elsewhere");
    stack.afterChange = async (change) => {
      if (change.name !== "a" || change.method !== "create") return;
      // Another stack buys the second number now; our purchase of it then meets a 502.
      assert.equal((await client.api("POST", client.account("/numbers/purchase-from-inventory"), { e164: theirs })).status, 200);
      await client.setFaults([{ method: "POST", path: "/api/v1/Account/*/numbers/purchase-from-inventory", errorRate: 1, errorStatuses: [502], times: 1 }]);
    };
    const program = () => {
      const a = new vobiz.NumberPurchase("a", { number: mine });
      new vobiz.NumberPurchase("b", { number: theirs }, { dependsOn: [a] });
    };
    const e: StackError = await stack.up(program).then(() => assert.fail("up should fail"), (x) => x);
    assert.match(e.message, /NumberPurchase "b": create failed: .*number \+\d+ exists already but was not made by this resource .*set the resource's adopt input/);
    await stack.destroy();
    const st = await client.state();
    assert.equal(st.numbers.find((n: any) => n.e164 === theirs).status, "active", "the other stack keeps its number");
    assert.equal(st.transactions.filter((t: any) => t.reference === theirs && /release/.test(t.reference_type)).length, 0, "no release fee for it");
  });

  it("refresh keeps a trunk that a paged list skipped while another actor deleted one of its own", async () => {
    const others: string[] = [];
    for (let i = 0; i < 100; i++) others.push((await client.api("POST", client.account("/trunks"), { name: `other-${i}` })).body.trunk_id);
    const stack = newStack(emu, "paged");
    const program = () => {
      new vobiz.Trunk("main", { name: "ours" });
    };
    await stack.up(program);
    // Pages answer slowly; after the first page, another actor deletes a trunk listed before ours.
    await client.setFaults([{ method: "GET", path: "/api/v1/Account/*/trunks", latencyMs: 300 }]);
    await client.clearRequests();
    const refreshing = stack.refresh();
    while (!(await client.requests()).some((q: any) => q.path.endsWith("/trunks") && /offset=0/.test(q.query))) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 450));
    assert.equal((await client.api("DELETE", client.account(`/trunks/${others[0]}`))).status, 204);
    const refreshed = await refreshing;
    await client.clearFaults();
    assert.deepEqual(refreshed.steps.map((s) => s.op), ["refresh"], "the trunk still exists");
    const again = await stack.up(program);
    assert.deepEqual(again.steps.map((s) => s.op), ["same"]);
    assert.equal((await client.state()).trunks.filter((t: any) => t.name === "ours").length, 1, "no second trunk");
  });
});
