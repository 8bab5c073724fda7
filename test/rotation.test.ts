// examples/rotation: credential rotation by age (rotateAfterDays, with the provider's test clock) and by trigger
// (rotationTrigger), through the real host, with a declared and with a generated password: after
// every change the engine makes, a PBX holding the credential then on the trunk can register.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { rotation } from "../examples/rotation/program";
import { RunningEmulator } from "../emulator";
import { Stack } from "./harness";
import { EmulatorClient, newStack, startTestEmulator } from "./support";

const day = 86_400_000;
const start = Date.parse("2027-01-01T00:00:00Z");

for (const declared of ["Rotate#Me2027", undefined]) {
  describe(`credential rotation, ${declared ? "declared" : "generated"} password`, () => {
    let emu: RunningEmulator;
    let client: EmulatorClient;
    let stack: Stack;
    let trigger: string | undefined;
    /** credential id → what a PBX configured from the outputs would send. */
    const known = new Map<string, { username: string; password: string }>();
    const checks: string[] = [];
    const program = () => rotation({ username: "rot", password: declared && pulumi.secret(declared), rotationTrigger: trigger, trunkName: "rot-trunk" });
    const at = (days: number) => stack.setEnv("VOBIZ_TEST_NOW", new Date(start + days * day).toISOString());
    const remember = (outs: Record<string, unknown> | undefined) => {
      if (outs?.credentialId) known.set(String(outs.credentialId), { username: String(outs.sipUsername), password: String(outs.password) });
    };

    before(async () => {
      ({ emu, client } = await startTestEmulator());
      stack = newStack(emu, "rotation");
      // After every create, update and delete: the trunk has a credential and its holder registers.
      stack.afterChange = async (change) => {
        remember(stack.outputsOf("pbx"));
        const trunk = (await client.state()).trunks[0];
        if (!trunk) return;
        const pbx = known.get(trunk.credential_uuid);
        const auth = pbx ? await client.sipAuth(trunk.trunk_id, pbx.username, pbx.password) : { ok: false, reason: "no known credential on the trunk" };
        checks.push(`${change.method} ${change.name}: ${auth.ok ? "ok" : auth.reason}`);
      };
    });
    after(async () => {
      await emu.close();
    });

    /** One credential, on the trunk; the outputs register, the previous username does not. */
    async function assertAuthenticated(outputs: Record<string, unknown>, previous?: { username: string; password: string }): Promise<void> {
      const st = await client.state();
      assert.equal(st.credentials.length, 1, "exactly one credential after the rotation");
      assert.equal(st.trunks[0].credential_uuid, st.credentials[0].id);
      assert.deepEqual(await client.sipAuth(String(outputs.trunkId), String(outputs.sipUsername), String(outputs.password)), { ok: true });
      if (previous) assert.deepEqual(await client.sipAuth(String(outputs.trunkId), previous.username, previous.password), { ok: false, reason: "username does not match" });
    }

    /** New credential made, trunk re-pointed, then the old one deleted, each step checked as it happened. */
    async function assertMakeBeforeBreak(): Promise<void> {
      const writes = (await client.writes()).map((q) => `${q.method} ${q.path.replace(/^\/api\/v1\/Account\/[^/]+/, "").replace(/[0-9a-f-]{36}/, "{id}")}`);
      assert.deepEqual(writes, ["POST /credentials", "PUT /trunks/{id}", "DELETE /credentials/{id}"]);
      assert.deepEqual(checks, ["create pbx: ok", "update main: ok", "delete pbx: ok"]);
    }

    it("creates, and stays unchanged before the rotation age", async () => {
      at(0);
      const r = await stack.up(program);
      assert.equal(r.outputs.createdAt, "2027-01-01T00:00:00.000Z");
      assert.ok(r.secretOutputs.includes("password"), "the password output is a secret");
      if (declared) assert.equal(r.outputs.password, declared);
      else assert.match(String(r.outputs.password), /^[A-Za-z0-9~!@#$%^&*()_+]{20}$/);
      await assertAuthenticated(r.outputs);
      at(89);
      await client.clearRequests();
      const again = await stack.up(program);
      assert.deepEqual(again.steps.map((s) => s.op), ["same", "same"]);
      assert.equal(again.outputs.password, r.outputs.password, "a generated password is kept while nothing rotates");
      assert.deepEqual(await client.requests(), []);
      // Refresh keeps the (generated) password and plans nothing.
      await stack.refresh();
      assert.deepEqual((await stack.preview(program)).steps.map((s) => s.op), ["same", "same"]);
    });

    it("past rotateAfterDays, preview plans a replacement and up rotates without a gap", async () => {
      at(91);
      const preview = await stack.preview(program);
      assert.deepEqual(
        preview.steps.filter((s) => s.name === "pbx").map((s) => [s.op, s.replaces]),
        [["preview-replace", ["rotateAfterDays"]]],
      );
      at(89);
      const before = (await stack.up(program)).outputs; // nothing to do yet
      at(91);
      await client.clearRequests();
      checks.length = 0;
      const r = await stack.up(program);
      assert.deepEqual(r.steps.map((s) => s.op).sort(), ["replace", "update"]);
      assert.notEqual(r.outputs.sipUsername, before.sipUsername);
      if (!declared) assert.notEqual(r.outputs.password, before.password, "rotation generates a new password");
      assert.equal(r.outputs.createdAt, new Date(start + 91 * day).toISOString());
      await assertMakeBeforeBreak();
      await assertAuthenticated(r.outputs, { username: String(before.sipUsername), password: String(before.password) });
      // The new generation's age starts now: the next up has nothing to do.
      const again = await stack.up(program);
      assert.deepEqual(again.steps.map((s) => s.op), ["same", "same"]);
    });

    it("a new rotationTrigger value rotates at once, also without a gap", async () => {
      const before = (await stack.up(program)).outputs;
      trigger = "incident-4711";
      await client.clearRequests();
      checks.length = 0;
      const r = await stack.up(program);
      // The username suffix (generation) is derived from the trigger, so it changes with it.
      assert.deepEqual(r.steps.find((s) => s.name === "pbx")?.replaces, ["rotationTrigger", "generation"]);
      assert.notEqual(r.outputs.sipUsername, before.sipUsername);
      if (!declared) assert.notEqual(r.outputs.password, before.password);
      await assertMakeBeforeBreak();
      await assertAuthenticated(r.outputs, { username: String(before.sipUsername), password: String(before.password) });
    });

    it("destroy leaves nothing", async () => {
      await stack.destroy();
      const st = await client.state();
      assert.deepEqual([st.credentials.length, st.trunks.length], [0, 0]);
    });
  });
}
