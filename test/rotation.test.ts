// Credential rotation by age (rotateAfterDays, with the provider's test clock) and by trigger
// (rotationTrigger), through the real host: the trunk stays authenticated at every step.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator } from "../emulator";
import { Stack } from "./harness";
import { EmulatorClient, newStack, startTestEmulator } from "./support";

const password = "Rotate#Me2027";
const day = 86_400_000;
const start = Date.parse("2027-01-01T00:00:00Z");

describe("credential rotation", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let stack: Stack;
  let trigger: string | undefined;
  const program = () => {
    const cred = new vobiz.SipCredential("pbx", { username: "rot", password: pulumi.secret(password), rotateAfterDays: 90, rotationTrigger: trigger });
    const trunk = new vobiz.Trunk("main", { name: "rot-trunk", credentialId: cred.credentialId });
    return { trunkId: trunk.trunkId, sipUsername: cred.sipUsername, createdAt: cred.createdAt };
  };
  const at = (days: number) => stack.setEnv("VOBIZ_TEST_NOW", new Date(start + days * day).toISOString());

  before(async () => {
    ({ emu, client } = await startTestEmulator());
    stack = newStack(emu, "rotation");
  });
  after(async () => {
    await emu.close();
  });

  /** The trunk's credential is the stack's, and a PBX can register with it; the old one cannot. */
  async function assertAuthenticated(outputs: Record<string, unknown>, oldUsername?: string): Promise<void> {
    const st = await client.state();
    assert.equal(st.credentials.length, 1, "exactly one credential after the rotation");
    assert.equal(st.trunks[0].credential_uuid, st.credentials[0].id);
    assert.deepEqual(await client.sipAuth(String(outputs.trunkId), String(outputs.sipUsername), password), { ok: true });
    if (oldUsername) {
      assert.deepEqual(await client.sipAuth(String(outputs.trunkId), oldUsername, password), { ok: false, reason: "username does not match" });
    }
  }

  /** New credential made, trunk re-pointed, then the old one deleted: never a moment without one. */
  async function assertMakeBeforeBreak(): Promise<void> {
    const writes = (await client.writes()).map((q) => `${q.method} ${q.path.replace(/^\/api\/v1\/Account\/[^/]+/, "").replace(/[0-9a-f-]{36}/, "{id}")}`);
    assert.deepEqual(writes, ["POST /credentials", "PUT /trunks/{id}", "DELETE /credentials/{id}"]);
  }

  it("creates, and stays unchanged before the rotation age", async () => {
    at(0);
    const r = await stack.up(program);
    assert.equal(r.outputs.createdAt, "2027-01-01T00:00:00.000Z");
    await assertAuthenticated(r.outputs);
    at(89);
    await client.clearRequests();
    const again = await stack.up(program);
    assert.deepEqual(again.steps.map((s) => s.op), ["same", "same"]);
    assert.deepEqual(await client.requests(), []);
  });

  it("past rotateAfterDays, preview plans a replacement and up rotates without a gap", async () => {
    const before = await stack.up(program);
    at(91);
    const preview = await stack.preview(program);
    assert.deepEqual(
      preview.steps.filter((s) => s.name === "pbx").map((s) => [s.op, s.replaces]),
      [["preview-replace", ["rotateAfterDays"]]],
    );
    await client.clearRequests();
    const r = await stack.up(program);
    assert.deepEqual(r.steps.map((s) => s.op).sort(), ["replace", "update"]);
    assert.notEqual(r.outputs.sipUsername, before.outputs.sipUsername);
    assert.equal(r.outputs.createdAt, new Date(start + 91 * day).toISOString());
    await assertMakeBeforeBreak();
    await assertAuthenticated(r.outputs, String(before.outputs.sipUsername));
    // The new generation's age starts now: the next up has nothing to do.
    const again = await stack.up(program);
    assert.deepEqual(again.steps.map((s) => s.op), ["same", "same"]);
  });

  it("a new rotationTrigger value rotates at once, also without a gap", async () => {
    const before = await stack.up(program);
    trigger = "incident-4711";
    await client.clearRequests();
    const r = await stack.up(program);
    // The username suffix (generation) is derived from the trigger, so it changes with it.
    assert.deepEqual(r.steps.find((s) => s.name === "pbx")?.replaces, ["rotationTrigger", "generation"]);
    assert.notEqual(r.outputs.sipUsername, before.outputs.sipUsername);
    await assertMakeBeforeBreak();
    await assertAuthenticated(r.outputs, String(before.outputs.sipUsername));
  });

  it("destroy leaves nothing", async () => {
    await stack.destroy();
    const st = await client.state();
    assert.deepEqual([st.credentials.length, st.trunks.length], [0, 0]);
  });
});
