// Removing an optional input must change the live object too, or it diffs forever.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator } from "../emulator";
import { EmulatorClient, newStack, startTestEmulator } from "./support";

describe("removing optional inputs", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  before(async () => ({ emu, client } = await startTestEmulator()));
  after(async () => emu.close());

  it("clears a sub-account's email and description and a trunk's direction, then stays quiet", async () => {
    const stack = newStack(emu, "removals");
    await stack.up(() => {
      new vobiz.SubAccount("sa", { name: "team", email: "ops@example.com", description: "hello" });
      new vobiz.Trunk("t", { name: "trunk", direction: "inbound" });
    });
    const bare = () => {
      new vobiz.SubAccount("sa", { name: "team" });
      new vobiz.Trunk("t", { name: "trunk" });
    };
    const r = await stack.up(bare);
    assert.deepEqual(r.steps.filter((s) => s.op !== "same").map((s) => s.op), ["update", "update"]);
    const st = await client.state();
    const sa = st.accounts.find((a: any) => a.parent_auth_id);
    const live = await client.api("GET", `/accounts/${emu.authId}/sub-accounts/${sa.auth_id}`);
    assert.equal(live.body.email, null);
    assert.equal(live.body.description, null);
    assert.equal(st.trunks[0].trunk_direction, "both");
    await stack.refresh();
    assert.deepEqual((await stack.up(bare)).steps.filter((s) => s.op !== "same"), []);
    await stack.destroy();
  });
});
