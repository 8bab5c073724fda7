// The examples/voice-agent program through its whole life, through the real host, against the
// emulator: it comes up, a second up is a no-op, a new platform SIP host replaces the origination URI
// with the trunk re-pointed first, the number moves to another trunk and back, and destroy gives the
// number back to the trunk it was on before the stack existed. After every create, update and delete
// of each up the emulator is asked where an inbound call to the number would go.
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator } from "../emulator";
import { byocCarrier, voiceAgent, VoiceAgentSettings } from "../examples/voice-agent/program";
import { Stack } from "./harness";
import { EmulatorClient, newStack, repoRoot, startTestEmulator } from "./support";

const voiceAgentDir = path.join(repoRoot, "examples", "voice-agent");
const stackFor = (emu: RunningEmulator, name: string) => newStack(emu, name, {}, { programDir: voiceAgentDir, project: "voice-agent" });
const short = (p: string) => p.replace(/^\/api\/v1\/Account\/[^/]+/, "").replace(/[0-9a-f-]{36}/g, "{id}").replace(/%2B\d+/g, "{number}");

async function ok<T extends { status: number; body: any }>(call: Promise<T>): Promise<T> {
  const r = await call;
  assert.ok(r.status < 300, `emulator call failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

describe("voice-agent example: a voice-AI platform both ways", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let stack: Stack;
  let number: string;
  let legacyTrunk: string;
  let settings: VoiceAgentSettings;
  let overflow = false;
  /** One line per change of an up: the change, then where an inbound call to the number goes. */
  const routes: string[] = [];

  const program = () => {
    if (!overflow) return voiceAgent(settings);
    // A second inbound trunk with its own destination, for moving the number.
    const uri = new vobiz.OriginationUri("overflow-uri", { name: "overflow", uri: "sip:overflow.example-voice.ai" });
    const trunk = new vobiz.Trunk("overflow", { name: "overflow-inbound", direction: "inbound", primaryUriId: uri.uriId });
    return { ...voiceAgent({ ...settings, numberTrunkId: trunk.trunkId }), overflowTrunkId: trunk.trunkId };
  };
  const trunkName = async (id?: string) => (await client.state()).trunks.find((t: any) => t.trunk_id === id)?.name ?? id;

  before(async () => {
    ({ emu, client } = await startTestEmulator());
    [number] = await client.inventory("IN", 1);
    // Before the stack: the account owns the number, routed to its old PBX trunk.
    await ok(client.api("POST", client.account("/numbers/purchase-from-inventory"), { e164: number }));
    legacyTrunk = (await ok(client.api("POST", client.account("/trunks"), { name: "legacy-pbx" }))).body.trunk_id;
    await ok(client.api("POST", client.account(`/numbers/${encodeURIComponent(number)}/assign`), { trunk_group_id: legacyTrunk }));
    settings = { platformSipHost: "agents.example-voice.ai", fallbackSipHost: "backup.example-voice.ai", transport: "tcp", number };
    stack = stackFor(emu, "voice-agent");
    stack.afterChange = async (change) => {
      const r = await client.inboundRoute(number);
      routes.push(`${change.method} ${change.name}: ${r.ok ? `${await trunkName(r.trunk_id)} -> ${r.targets!.join(" | ")}` : r.reason}`);
    };
  });
  after(async () => {
    await emu.close();
  });

  it("comes up: the platform gets a working outbound credential, inbound calls to the owned number reach the platform", async () => {
    const r = await stack.up(program);
    const st = await client.state();
    const outbound = st.trunks.find((t: any) => t.trunk_id === r.outputs.outboundTrunkId);
    assert.equal(r.outputs.sipDomain, outbound.trunk_domain);
    assert.match(String(r.outputs.sipDomain), /^[0-9a-f]{8}\.sip\.vobiz\.ai$/);
    assert.equal(outbound.trunk_direction, "outbound");
    assert.deepEqual(await client.sipAuth(String(r.outputs.outboundTrunkId), String(r.outputs.sipUsername), String(r.outputs.sipPassword)), { ok: true });
    // The generated password is a secret output, and nowhere in plaintext.
    assert.ok(r.secretOutputs.includes("sipPassword"), `secret outputs: ${r.secretOutputs}`);
    const password = String(r.outputs.sipPassword);
    for (const [where, text] of [["state", stack.stateText()], ["logs", JSON.stringify(r.logs)], ["host stderr", r.hostStderr]]) {
      assert.ok(!text.includes(password), `password in ${where}`);
    }
    assert.deepEqual(await client.inboundRoute(number), {
      ok: true,
      trunk_id: r.outputs.inboundTrunkId,
      targets: ["sip:agents.example-voice.ai;transport=tcp", "sip:backup.example-voice.ai;transport=tcp"],
    });
    assert.equal(r.outputs.previousTrunkId, legacyTrunk, "the route found before the stack is recorded");
    // Until the route moved, calls went to the old PBX trunk (which has no origination URI here).
    assert.equal(routes.at(-1), "create agent-number: voice-agent-inbound -> sip:agents.example-voice.ai;transport=tcp | sip:backup.example-voice.ai;transport=tcp");
  });

  it("a second up is a no-op and calls no API", async () => {
    await client.clearRequests();
    const r = await stack.up(program);
    assert.deepEqual(r.steps.filter((s) => s.op !== "same"), []);
    assert.deepEqual(await client.requests(), []);
  });

  it("a new platform SIP host replaces the primary URI: created, trunk re-pointed, old one deleted, inbound never broken", async () => {
    settings = { ...settings, platformSipHost: "agents-eu.example-voice.ai" };
    const preview = await stack.preview(program);
    assert.deepEqual(preview.steps.filter((s) => s.op !== "same").map((s) => [s.op, s.name, s.replaces]), [
      ["preview-replace", "agent-primary", ["uri"]],
      ["preview-update", "inbound", undefined],
      // In a preview the trunk's outputs are not known yet, so the route shows an update too.
      ["preview-update", "agent-number", undefined],
    ]);
    await client.clearRequests();
    routes.length = 0;
    const r = await stack.up(program);
    assert.deepEqual(r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`), ["replace agent-primary", "update inbound"]);
    assert.deepEqual((await client.writes()).map((w) => `${w.method} ${short(w.path)}`), [
      "POST /origination-uris",
      "PUT /trunks/{id}",
      "DELETE /origination-uris/{id}",
    ]);
    assert.deepEqual(routes, [
      "create agent-primary: voice-agent-inbound -> sip:agents.example-voice.ai;transport=tcp | sip:backup.example-voice.ai;transport=tcp",
      "update inbound: voice-agent-inbound -> sip:agents-eu.example-voice.ai;transport=tcp | sip:backup.example-voice.ai;transport=tcp",
      "delete agent-primary: voice-agent-inbound -> sip:agents-eu.example-voice.ai;transport=tcp | sip:backup.example-voice.ai;transport=tcp",
    ]);
    assert.deepEqual((await client.state()).origination_uris.map((u: any) => u.uri).sort(), [
      "sip:agents-eu.example-voice.ai;transport=tcp",
      "sip:backup.example-voice.ai;transport=tcp",
    ]);
    assert.deepEqual((await stack.up(program)).steps.filter((s) => s.op !== "same"), [], "and then nothing to do");
  });

  it("moves the number to another trunk and back, each step leaving it routable", async () => {
    overflow = true;
    routes.length = 0;
    await client.clearRequests();
    const r = await stack.up(program);
    assert.deepEqual(r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`), ["create overflow-uri", "create overflow", "update agent-number"]);
    // Vobiz moves a number by unassign, then assign (notes §10.5).
    const numberWrites = (await client.writes()).filter((w) => w.path.includes("/numbers/")).map((w) => `${w.method} ${short(w.path)}`);
    assert.deepEqual(numberWrites, ["DELETE /numbers/{number}/assign", "POST /numbers/{number}/assign"]);
    assert.equal(routes.at(-1), "update agent-number: overflow-inbound -> sip:overflow.example-voice.ai");
    assert.ok(routes.every((l) => l.includes(" -> ")), routes.join("\n"));
    assert.equal((await client.inboundRoute(number)).trunk_id, r.outputs.overflowTrunkId);

    overflow = false;
    routes.length = 0;
    const back = await stack.up(program);
    assert.deepEqual(back.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`), ["update agent-number", "delete overflow", "delete overflow-uri"]);
    assert.deepEqual(routes, [
      "update agent-number: voice-agent-inbound -> sip:agents-eu.example-voice.ai;transport=tcp | sip:backup.example-voice.ai;transport=tcp",
      "delete overflow: voice-agent-inbound -> sip:agents-eu.example-voice.ai;transport=tcp | sip:backup.example-voice.ai;transport=tcp",
      "delete overflow-uri: voice-agent-inbound -> sip:agents-eu.example-voice.ai;transport=tcp | sip:backup.example-voice.ai;transport=tcp",
    ]);
  });

  it("destroy gives the number back to the trunk it had before the stack, and leaves nothing else", async () => {
    await stack.destroy();
    const st = await client.state();
    const n = st.numbers.find((x: any) => x.e164 === number);
    assert.deepEqual([n.account_id, n.status], [emu.authId, "active"], "still owned and active");
    assert.equal(n.trunk_group_id, legacyTrunk, "routed to the trunk it was on before");
    assert.deepEqual(st.trunks.map((t: any) => t.name), ["legacy-pbx"]);
    assert.deepEqual([st.origination_uris.length, st.credentials.length], [0, 0]);
  });
});

describe("voice-agent example: a BYOC carrier authenticated by IP, with failover origination URIs", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let numbers: string[];
  const carrier = () =>
    byocCarrier({ carrierAddresses: ["49.36.20.10", "49.36.20.0/29"], carrierSipHosts: ["49.36.21.10", "sbc2.carrier.example"], carrierPort: 5080, numbers });

  before(async () => {
    ({ emu, client } = await startTestEmulator());
    numbers = await client.inventory("IN", 2);
    for (const e164 of numbers) await ok(client.api("POST", client.account("/numbers/purchase-from-inventory"), { e164 }));
  });
  after(async () => {
    await emu.close();
  });

  it("comes up with the whitelist on the trunk and both URIs tried in order, is a no-op again, and destroys to unrouted numbers", async () => {
    const stack = stackFor(emu, "byoc");
    const r = await stack.up(carrier);
    const st = await client.state();
    const trunk = st.trunks.find((t: any) => t.trunk_id === r.outputs.trunkId);
    const entryIds = r.outputs.entryIds as Record<string, string>;
    assert.equal(trunk.ipacl_uuid, entryIds["49.36.20.10"]);
    assert.deepEqual(st.ip_acl.map((a: any) => a.ip_address).sort(), ["49.36.20.0/29", "49.36.20.10"]);
    for (const e164 of numbers) {
      assert.deepEqual(await client.inboundRoute(e164), { ok: true, trunk_id: r.outputs.trunkId, targets: ["sip:49.36.21.10:5080", "sip:sbc2.carrier.example:5080"] });
    }
    await client.clearRequests();
    assert.deepEqual((await stack.up(carrier)).steps.filter((s) => s.op !== "same"), []);
    assert.deepEqual(await client.requests(), []);
    await stack.destroy();
    const after = await client.state();
    assert.deepEqual(
      after.numbers.filter((n: any) => numbers.includes(n.e164)).map((n: any) => [n.status, n.trunk_group_id ?? null]),
      [["active", null], ["active", null]],
      "owned, active and unrouted, as they were found",
    );
    assert.deepEqual([after.trunks.length, after.ip_acl.length, after.origination_uris.length], [0, 0, 0]);
  });
});
