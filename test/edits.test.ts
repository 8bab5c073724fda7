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

  it("restores the defaults of trunk settings the program leaves out, after drift and after adopt", async () => {
    const live = async (trunkId: string) => {
      const t = (await client.state()).trunks.find((x: any) => x.trunk_id === trunkId);
      return [t.trunk_direction, t.recording, t.enable_transcription];
    };
    const drifted = { trunk_direction: "outbound", recording: true, enable_transcription: true };
    // Drift: set out of band on a trunk that declares none of them.
    const stack = newStack(emu, "omitted-drift");
    const program = () => {
      const t = new vobiz.Trunk("t", { name: "omits" });
      return { trunkId: t.trunkId };
    };
    const { outputs } = await stack.up(program);
    const trunkId = String(outputs.trunkId);
    assert.equal((await client.api("PUT", client.account(`/trunks/${trunkId}`), drifted)).status, 200);
    await stack.refresh();
    assert.deepEqual((await stack.preview(program)).steps.map((s) => s.op), ["preview-update"]);
    await stack.up(program);
    assert.deepEqual(await live(trunkId), ["both", false, false]);
    assert.deepEqual((await stack.preview(program)).steps.map((s) => s.op), ["same"]);
    await stack.destroy();

    // Adopt: a trunk made elsewhere with them set is brought to what the program declares.
    const made = await client.api("POST", client.account("/trunks"), { name: "legacy", ...drifted });
    const adopting = newStack(emu, "omitted-adopt");
    await adopting.up(() => void new vobiz.Trunk("t", { name: "legacy", adopt: true }));
    assert.deepEqual(await live(made.body.trunk_id), ["both", false, false]);
    assert.deepEqual((await adopting.preview(() => void new vobiz.Trunk("t", { name: "legacy", adopt: true }))).steps.map((s) => s.op), ["same"]);
    await adopting.destroy();
  });

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
