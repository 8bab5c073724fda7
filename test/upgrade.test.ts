// State written by an earlier release keeps working: its `__provider` shims and output shapes are
// read, previewed and deleted by today's code. The fixture pairs the emulator's own state file with
// the Pulumi state file that release left (scripts/record-upgrade-fixture.ts made it, run from that
// release's checkout), so the objects carry the very ids the old state names.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator, startEmulator } from "../emulator";
import { Stack } from "./harness";
import { StateStore } from "./harness/state";
import { EmulatorClient, newStack, repoRoot } from "./support";

const fixtureFile = path.join(repoRoot, "test", "fixtures", "state-v0.1.0.json");
const fixture = JSON.parse(readFileSync(fixtureFile, "utf8"));
const PASSWORD = "Upgrade#Fixture1";

/** The program the fixture was recorded with. */
const program = async () => {
  const team = new vobiz.SubAccount("team", { name: "upgrade-team", description: "recorded", email: "ops@example.com" });
  const cred = new vobiz.SipCredential("pbx", { username: "upgrade-pbx", password: PASSWORD });
  const wl = new vobiz.IpWhitelist("office", {
    entries: [
      { ip: "49.36.12.20", label: "pbx" },
      { ip: "49.36.12.21", label: "backup" },
    ],
  });
  const trunk = new vobiz.Trunk("main", { name: "upgrade-trunk", credentialId: cred.credentialId, ipAclId: wl.primaryEntryId, concurrentCallsLimit: 10 });
  const line = new vobiz.NumberPurchase("line", { number: fixture.number, trunkId: trunk.trunkId });
  return { team: team.authId, trunk: trunk.trunkId, line: line.numberId } as Record<string, pulumi.Output<string>>;
};

const ops = (r: { steps: Array<{ op: string; name: string }> }) => r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);

describe(`state written by pulumi-vobiz ${fixture.recordedWith}`, () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let stack: Stack;
  const oldResource = (name: string) => fixture.pulumiState.resources.find((r: any) => r.name === name);

  before(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vobiz-upgrade-"));
    const emulatorFile = path.join(dir, "emulator.json");
    writeFileSync(emulatorFile, JSON.stringify(fixture.emulatorState));
    emu = await startEmulator({ port: 0, statePath: emulatorFile });
    client = new EmulatorClient(emu);
    const stateFile = path.join(dir, "state.json");
    new StateStore(stateFile).save(JSON.parse(JSON.stringify(fixture.pulumiState).split("{{endpoint}}").join(emu.url)));
    stack = newStack(emu, "upgrade", {}, { stateFile });
  });
  after(() => emu?.close());

  it("holds the old shims and the objects they name", async () => {
    const shims = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "provider-shims-v0.1.0.json"), "utf8"));
    for (const r of fixture.pulumiState.resources.filter((x: any) => x.custom)) {
      assert.equal(r.outputs.__provider, shims[r.type.split(":").pop()], `${r.name} carries the ${fixture.recordedWith} shim`);
    }
    const st = await client.state();
    assert.deepEqual(st.trunks.map((t: any) => t.trunk_id), [oldResource("main").id]);
    assert.deepEqual(st.credentials.map((c: any) => c.id), [oldResource("pbx").id]);
  });

  it("refresh reads every resource with today's code and keeps the secrets", async () => {
    const r = await stack.refresh();
    assert.deepEqual(r.steps.map((s) => `${s.op} ${s.name}`).sort(), ["refresh line", "refresh main", "refresh office", "refresh pbx", "refresh team"]);
    // A read never overwrites the token Vobiz showed only at create.
    assert.equal(stack.outputsOf("team")?.authToken, oldResource("team").outputs.authToken.value);
    assert.equal(stack.outputsOf("pbx")?.password, PASSWORD);
    const text = stack.stateText();
    assert.ok(!text.includes(PASSWORD), "the credential's password is encrypted in state");
    assert.ok(!text.includes(oldResource("team").outputs.authToken.value), "the sub-account token is encrypted in state");
  });

  it("preview of the same program plans nothing", async () => {
    const r = await stack.preview(program);
    assert.deepEqual(ops(r), []);
  });

  it("destroy deletes everything the old state names", async () => {
    await client.clearRequests();
    const r = await stack.destroy();
    assert.deepEqual(r.steps.map((s) => `${s.op} ${s.name}`).sort(), ["delete line", "delete main", "delete office", "delete pbx", "delete team"]);
    const st = await client.state();
    assert.deepEqual(st.accounts.filter((a: any) => a.parent_auth_id), []);
    assert.deepEqual(st.trunks, []);
    assert.deepEqual(st.credentials, []);
    assert.deepEqual(st.ip_acl, []);
    const number = st.numbers.find((n: any) => n.e164 === fixture.number);
    assert.equal(number.status, "pending_release", "the number is released (cancellable for 24 hours)");
    assert.ok((await client.writes()).every((w) => w.status < 300), "every delete call succeeded");
  });
});
