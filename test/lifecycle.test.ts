// The quickstart's whole life through the real @pulumi/pulumi dynamic-provider host against
// the emulator: up, no-op up, in-place edits, a credential rotation, drift repair, destroy.
// Every assertion about what exists is made through the emulator's API, not the provider.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { quickstart, QuickstartSettings } from "../examples/quickstart/program";
import { RunningEmulator } from "../emulator";
import { canonicalJson } from "../provider/lifecycle";
import { Stack } from "./harness";
import { EmulatorClient, newStack, startTestEmulator } from "./support";

const password1 = "Quick#Start2026";
const password2 = "Rotated#Pass2027";

describe("quickstart lifecycle through the dynamic-provider host", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let stack: Stack;
  let settings: QuickstartSettings;
  const program = (s: Partial<QuickstartSettings> = {}) => () => quickstart({ ...settings, ...s });
  const secrets: string[] = [password1, password2];
  const texts: string[] = []; // every log, stderr and state text the suite produced, scanned at the end

  before(async () => {
    ({ emu, client } = await startTestEmulator());
    secrets.push(emu.authToken);
    stack = newStack(emu, "lifecycle", { VOBIZ_LOG: "debug" });
    settings = { numbers: await client.inventory("IN", 2), sipPassword: password1, pbxAddresses: ["49.36.12.10", "49.36.12.11"] };
  });
  after(async () => {
    await emu.close();
  });

  const record = <R extends { logs: { message: string }[]; hostStderr: string; hostStdout: string }>(r: R): R => {
    texts.push(stack.stateText(), r.hostStderr, r.hostStdout, ...r.logs.map((l) => l.message));
    return r;
  };

  it("preview of a new stack passes unknown ids through check and diff, and only reads the prices it shows", async () => {
    await client.clearRequests();
    const r = record(await stack.preview(program()));
    assert.equal(r.steps.filter((s) => s.op === "preview-create").length, 6);
    // The numbers are routed to a trunk the preview has not made: their cost lines need one price read each.
    const calls = (await client.requests()).map((q) => `${q.method} ${q.path}?${q.query}`);
    assert.deepEqual(calls.sort(), settings.numbers.map((n) => `GET /api/v1/Account/${emu.authId}/inventory/numbers?search=${encodeURIComponent(n)}&per_page=100&page=1`).sort());
    assert.equal(r.logs.filter((l) => / buys \+/.test(l.message)).length, settings.numbers.length);
  });

  it("up creates exactly the declared objects", async () => {
    const r = record(await stack.up(program()));
    assert.equal(r.steps.filter((s) => s.op === "create").length, 6);
    const st = await client.state();
    assert.equal(st.accounts.filter((a: any) => a.parent_auth_id === emu.authId).length, 1);
    assert.equal(st.trunks.length, 1);
    const trunk = st.trunks[0];
    assert.equal(trunk.name, "quickstart-trunk");
    assert.equal(st.credentials.length, 1);
    assert.equal(trunk.credential_uuid, st.credentials[0].id);
    assert.deepEqual(st.ip_acl.map((a: any) => a.ip_address).sort(), ["49.36.12.10", "49.36.12.11"]);
    const owned = st.numbers.filter((n: any) => n.account_id === emu.authId);
    assert.deepEqual(owned.map((n: any) => n.e164).sort(), [...settings.numbers].sort());
    assert.ok(owned.every((n: any) => n.trunk_group_id === trunk.trunk_id && n.status === "active"));
    assert.equal(r.outputs.trunkDomain, trunk.trunk_domain);
    assert.equal(r.outputs.sipUsername, st.credentials[0].username);
    assert.deepEqual([...r.secretOutputs].sort(), ["sipPassword", "subAccountAuthToken"]);
    // Every create carries an Idempotency-Key; assigning a number to a trunk is not a create.
    const creates = (await client.requests()).filter((q) => q.method === "POST" && !q.path.endsWith("/assign"));
    assert.equal(creates.length, 7); // sub-account, credential, 2 ACL entries, trunk, 2 purchases
    assert.ok(creates.every((q) => /^pulumi-vobiz-[0-9a-f]{40}$/.test(q.idempotency_key ?? "")), JSON.stringify(creates));
    assert.equal(new Set(creates.map((q) => q.idempotency_key)).size, 7);
    // The credential's key must not be a hash of its password (a dictionary-attack oracle in a header).
    const passwordKeyed = createHash("sha256")
      .update("vobiz-quickstart/lifecycle/SipCredential/pbx\n")
      .update(canonicalJson({ username: r.outputs.sipUsername, password: password1 }))
      .digest("hex")
      .slice(0, 40);
    assert.ok(!creates.some((q) => q.idempotency_key?.endsWith(passwordKeyed)));
    // The PBX can register with what the stack exported.
    assert.deepEqual(await client.sipAuth(trunk.trunk_id, String(r.outputs.sipUsername), password1), { ok: true });
    secrets.push(String(r.outputs.subAccountAuthToken));
  });

  it("a second up changes nothing and makes no write calls", async () => {
    await client.clearRequests();
    const r = record(await stack.up(program()));
    assert.deepEqual(r.steps.map((s) => s.op).filter((op) => op !== "same"), []);
    assert.deepEqual(await client.writes(), []);
  });

  it("renaming the trunk updates it in place", async () => {
    const before = (await client.state()).trunks[0];
    await client.clearRequests();
    const r = record(await stack.up(program({ trunkName: "quickstart-trunk-renamed" })));
    assert.deepEqual(r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`), ["update main"]);
    const after = (await client.state()).trunks;
    assert.equal(after.length, 1);
    assert.equal(after[0].trunk_id, before.trunk_id);
    assert.equal(after[0].name, "quickstart-trunk-renamed");
    assert.deepEqual((await client.writes()).map((w) => w.method), ["PUT"]);
  });

  it("a new SIP password replaces the credential: created and attached before the old one is deleted", async () => {
    const old = (await client.state()).credentials[0];
    await client.clearRequests();
    const r = record(await stack.up(program({ trunkName: "quickstart-trunk-renamed", sipPassword: password2 })));
    assert.deepEqual(
      r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`),
      ["replace pbx", "update main"],
    );
    const writes = (await client.writes()).map((w) => `${w.method} ${w.path.replace(emu.authId, "{id}")}`);
    assert.deepEqual(writes, [
      "POST /api/v1/Account/{id}/credentials",
      `PUT /api/v1/Account/{id}/trunks/${(await client.state()).trunks[0].trunk_id}`,
      `DELETE /api/v1/Account/{id}/credentials/${old.id}`,
    ]);
    const st = await client.state();
    assert.equal(st.credentials.length, 1);
    assert.notEqual(st.credentials[0].id, old.id);
    assert.equal(st.trunks[0].credential_uuid, st.credentials[0].id);
    assert.deepEqual(await client.sipAuth(st.trunks[0].trunk_id, String(r.outputs.sipUsername), password2), { ok: true });
    assert.equal((await client.sipAuth(st.trunks[0].trunk_id, old.username, password1)).ok, false);
  });

  it("adding and then removing a whitelist address touches only that entry", async () => {
    const base = { trunkName: "quickstart-trunk-renamed", sipPassword: password2 };
    const untouched = (await client.state()).ip_acl.map((a: any) => a.id).sort();
    await client.clearRequests();
    record(await stack.up(program({ ...base, pbxAddresses: ["49.36.12.10", "49.36.12.11", "49.36.12.12"] })));
    assert.deepEqual((await client.writes()).map((w) => `${w.method} ${w.path.split("/").slice(-1)[0]}`), ["POST ip-acl"]);
    const three = (await client.state()).ip_acl;
    assert.equal(three.length, 3);
    assert.deepEqual(three.filter((a: any) => a.ip_address !== "49.36.12.12").map((a: any) => a.id).sort(), untouched);

    await client.clearRequests();
    record(await stack.up(program({ ...base, pbxAddresses: ["49.36.12.10", "49.36.12.12"] })));
    const removed = three.find((a: any) => a.ip_address === "49.36.12.11").id;
    assert.deepEqual((await client.writes()).map((w) => `${w.method} ${w.path.split("/").slice(-1)[0]}`), [`DELETE ${removed}`]);
    assert.deepEqual((await client.state()).ip_acl.map((a: any) => a.ip_address).sort(), ["49.36.12.10", "49.36.12.12"]);
  });

  it("refresh finds a trunk renamed out of band and the next up puts it back", async () => {
    const desired = { trunkName: "quickstart-trunk-renamed", sipPassword: password2, pbxAddresses: ["49.36.12.10", "49.36.12.12"] };
    const trunk = (await client.state()).trunks[0];
    const oob = await client.api("PUT", client.account(`/trunks/${trunk.trunk_id}`), { name: "renamed-in-console" });
    assert.equal(oob.status, 200);

    const refreshed = record(await stack.refresh());
    const main = stack.readState().resources.find((res: any) => res.name === "main");
    assert.equal(main?.outputs.name, "renamed-in-console");
    assert.ok(refreshed.steps.some((s) => s.name === "main" && s.op === "refresh"));

    const r = record(await stack.up(program(desired)));
    assert.deepEqual(r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`), ["update main"]);
    assert.equal((await client.state()).trunks[0].name, "quickstart-trunk-renamed");
  });

  // `pulumi up` previews first, so a check failure stops the run before any create.
  it("bad inputs fail at check (preview) with the field named and no API call", async () => {
    const cases: Array<[Partial<QuickstartSettings>, RegExp]> = [
      [{ numbers: ["919876543210"] }, /number-1: number: must be an E\.164 number/],
      [{ pbxAddresses: ["2001:db8::1"] }, /office: entries\.0\.ip: IPv6 addresses are not supported/],
      [{ pbxAddresses: ["10.0.0.1/33"] }, /office: entries\.0\.ip: CIDR prefix "\/33" must be a whole number from \/0 to \/32/],
      [{ trunkName: "t".repeat(101) }, /main: name: name must be at most 100 characters/],
      [{ sipPassword: "password" }, /pbx: password: the SIP password must contain at least one of/],
    ];
    for (const [bad, message] of cases) {
      const fresh = newStack(emu, "bad-input");
      await client.clearRequests();
      await assert.rejects(fresh.preview(program(bad)), (e: Error) => {
        assert.match(e.message, message);
        assert.ok(!e.message.includes("password\""), "no secret echoed");
        return true;
      });
      assert.deepEqual(await client.requests(), [], `no API call for ${JSON.stringify(bad)}`);
      assert.equal(fresh.readState().resources?.length ?? 0, 0);
    }
  });

  it("destroy leaves nothing the stack created and releases the numbers", async () => {
    const r = record(await stack.destroy());
    assert.equal(r.steps.filter((s) => s.op === "delete").length, 6);
    const st = await client.state();
    assert.deepEqual(st.trunks, []);
    assert.deepEqual(st.credentials, []);
    assert.deepEqual(st.ip_acl, []);
    assert.equal(st.accounts.filter((a: any) => a.parent_auth_id).length, 0);
    const ours = st.numbers.filter((n: any) => settings.numbers.includes(n.e164));
    assert.ok(ours.every((n: any) => n.status === "pending_release" && !n.trunk_group_id), JSON.stringify(ours));
    assert.ok(r.logs.some((l) => l.severity === "warning" && /release fee/.test(l.message)));
    assert.deepEqual(stack.readState().resources, []);
  });

  it("no secret appears in __provider texts, state outside secret values, or any log", () => {
    assert.ok(texts.length > 10);
    // The scan covers what matters: debug request logs, __provider texts and encrypted secrets.
    assert.ok(texts.some((t) => t.includes('"msg":"vobiz request"')), "debug request logs were captured");
    assert.ok(texts.some((t) => t.includes("pulumi-vobiz/provider")), "state with __provider texts was captured");
    assert.ok(texts.some((t) => t.includes("ciphertext")), "state holds encrypted secrets");
    for (const secret of secrets) {
      for (const text of texts) assert.ok(!text.includes(secret), `a secret leaked into: ${text.slice(0, 200)}`);
    }
  });
});
