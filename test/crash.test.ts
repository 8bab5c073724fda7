// The crash test: the provider host is killed after the API committed a create and before the
// answer was read (the engine then has no id for it and calls create again on the next up).
// The next up must find what was made instead of making, or buying, it a second time.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator } from "../emulator";
import { Stack } from "./harness";
import { EmulatorClient, newStack, resetEmulator, startTestEmulator } from "./support";

const password = "Crash#Safe2026";

describe("a host killed between commit and answer", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  /** Every API request of the current test, across the killed runs (the log is cleared per run). */
  let history: Awaited<ReturnType<EmulatorClient["requests"]>> = [];

  before(async () => {
    ({ emu, client } = await startTestEmulator());
  });
  after(async () => {
    await emu.close();
  });

  /** Starts an up, waits until the emulator has committed the matching POST, kills the host mid-answer. */
  async function upKilledAfterCommit(stack: Stack, program: () => unknown, path: string, skip = 0): Promise<string> {
    await client.clearRequests();
    await client.setFaults([{ method: "POST", path, commitHangRate: 1, skip, times: 1 }]);
    let finished = false;
    const run = stack.up(program).then(
      () => "finished",
      (e: Error) => e.message,
    ).finally(() => (finished = true));
    for (;;) {
      const log = await client.requests();
      if (log.some((q) => q.fault === "commit-hang")) break;
      if (finished) assert.fail(`up ended before POST ${path} was committed: ${await run}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(stack.runningHostPid > 0, "a provider host is running");
    process.kill(stack.runningHostPid, "SIGKILL");
    const message = await run;
    await client.clearFaults();
    history.push(...(await client.requests()));
    return message;
  }

  for (const mode of ["ignore", "honour"] as const) {
    it(`credential, trunk and number each committed then lost to a crash: no duplicate, state converges (Idempotency-Key ${mode === "ignore" ? "ignored" : "honoured"})`, async () => {
      await client.clearFaults();
      await resetEmulator(emu);
      await client.setIdempotency(mode);
      history = [];
      const [number] = await client.inventory("IN", 1);
      const stack = newStack(emu, `crash-${mode}`);
      const program = () => {
        const cred = new vobiz.SipCredential("pbx", { username: "crashpbx", password: pulumi.secret(password) });
        const trunk = new vobiz.Trunk("main", { name: "crash-trunk", credentialId: cred.credentialId });
        const line = new vobiz.NumberPurchase("line", { number, trunkId: trunk.trunkId });
        return { trunkId: trunk.trunkId, credentialId: cred.credentialId, number: line.number };
      };

      // Each up dies at the next create; the one before it is found, not made again.
      for (const path of ["/api/v1/Account/*/credentials", "/api/v1/Account/*/trunks", "/api/v1/Account/*/numbers/purchase-from-inventory"]) {
        const message = await upKilledAfterCommit(stack, program, path);
        assert.ok(message.length > 0);
      }
      let st = await client.state();
      assert.deepEqual([st.credentials.length, st.trunks.length], [1, 1], "the killed creates did commit");

      await client.clearRequests();
      const r = await stack.up(program);
      history.push(...(await client.requests()));
      st = await client.state();
      assert.equal(st.credentials.length, 1, "one credential");
      assert.equal(st.trunks.length, 1, "one trunk");
      const purchases = st.transactions.filter((t: any) => t.reference_type === "did_purchase");
      assert.deepEqual(purchases.map((t: any) => t.reference), [number], "one purchase");
      assert.equal(r.outputs.trunkId, st.trunks[0].trunk_id);
      assert.equal(r.outputs.credentialId, st.credentials[0].id);
      const owned = st.numbers.find((n: any) => n.e164 === number);
      assert.deepEqual([owned.account_id, owned.trunk_group_id], [emu.authId, st.trunks[0].trunk_id]);
      assert.equal(st.trunks[0].credential_uuid, st.credentials[0].id);
      // The adopted credential has the declared password: a PBX can register.
      assert.deepEqual(await client.sipAuth(st.trunks[0].trunk_id, st.credentials[0].username, password), { ok: true });
      // Adoption is reported (an honouring server replays the purchase answer instead), and the run after it has nothing to do.
      assert.ok(r.logs.some((l) => /found number \+\d+, made by an earlier run that was interrupted .*; adopting it/.test(l.message)), JSON.stringify(r.logs.map((l) => l.message)));
      // A logical create keeps its Idempotency-Key across the killed and restarted runs.
      const keys = history.filter((q) => q.method === "POST" && q.path.endsWith("/credentials")).map((q) => q.idempotency_key);
      assert.ok(keys.length >= 2, "the credential was sent again after the crash");
      assert.equal(new Set(keys).size, 1, `one key for the credential: ${keys}`);
      // The purchase was found from the interrupted run's record, not sent a second time.
      assert.equal(history.filter((q) => q.method === "POST" && q.path.endsWith("/purchase-from-inventory")).length, 1);
      const again = await stack.up(program);
      assert.deepEqual(again.steps.map((s) => s.op), ["same", "same", "same"]);

      await stack.destroy();
      st = await client.state();
      assert.deepEqual([st.credentials.length, st.trunks.length], [0, 0]);
      assert.equal(st.numbers.find((n: any) => n.e164 === number).status, "pending_release");
    });
  }

  it("a whitelist killed after some of its entries were made: the rerun takes those over instead of making them again", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    history = [];
    const entries = ["49.36.12.10", "49.36.12.11", "49.36.12.12"].map((ip, i) => ({ ip, label: `pbx-${i}` }));
    const program = () => {
      const office = new vobiz.IpWhitelist("office", { entries });
      return { entryIds: office.entryIds };
    };
    const stack = newStack(emu, "crash-whitelist");
    // The first entry is made and answered, the second committed and never answered.
    await upKilledAfterCommit(stack, program, "/api/v1/Account/*/ip-acl", 1);
    assert.equal((await client.state()).ip_acl.length, 2, "the killed create had made two entries");

    const r = await stack.up(program);
    const st = await client.state();
    assert.deepEqual(st.ip_acl.map((a: any) => a.ip_address).sort(), entries.map((e) => e.ip), "one entry per address, none twice");
    assert.deepEqual(Object.values(r.outputs.entryIds as Record<string, string>).sort(), st.ip_acl.map((a: any) => a.id).sort());
    assert.ok(r.logs.some((l) => /found IP ACL entry 49\.36\.12\.10 \("pbx-0"\), made by an earlier run that was interrupted/.test(l.message)), JSON.stringify(r.logs.map((l) => l.message)));
    assert.deepEqual((await stack.up(program)).steps.map((s) => s.op), ["same"]);
    await stack.destroy();
    assert.equal((await client.state()).ip_acl.length, 0);
  });

  it("another stack's objects with the same settings are never adopted, and a number it holds is refused", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    const [number] = await client.inventory("IN", 1);
    const program = () => {
      new vobiz.Trunk("main", { name: "shared-name" });
      new vobiz.IpWhitelist("office", { entries: [{ ip: "49.36.12.10", label: "pbx" }] });
    };
    const dev = newStack(emu, "dev");
    const prod = newStack(emu, "prod");
    await dev.up(() => {
      program();
      new vobiz.NumberPurchase("line", { number });
    });
    await prod.up(program);
    let st = await client.state();
    assert.deepEqual([st.trunks.length, st.ip_acl.length], [2, 2], "each stack made its own");
    await prod.destroy();
    st = await client.state();
    assert.deepEqual([st.trunks.length, st.ip_acl.length], [1, 1], "destroying prod left dev's objects");
    await assert.rejects(
      prod.up(() => {
        new vobiz.NumberPurchase("line", { number });
      }),
      /NumberPurchase "line": create failed: .*HTTP 404 \[not_found\]: number not found in inventory .*number \+\d+ exists already but was not made by this resource/,
    );
    assert.equal((await client.state()).numbers.find((n: any) => n.e164 === number).status, "active");
    await dev.destroy();
  });

  it("a create after a destroy gets a new Idempotency-Key, so a server that honours keys makes a new object", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    await client.setIdempotency("honour");
    const stack = newStack(emu, "recreate");
    const program = () => {
      const t = new vobiz.Trunk("main", { name: "again" });
      return { trunkId: t.trunkId };
    };
    const first = await stack.up(program);
    await stack.destroy();
    const second = await stack.up(program);
    const st = await client.state();
    assert.deepEqual(st.trunks.map((t: any) => t.trunk_id), [second.outputs.trunkId]);
    assert.notEqual(second.outputs.trunkId, first.outputs.trunkId);
    const keys = (await client.requests()).filter((q) => q.method === "POST").map((q) => q.idempotency_key);
    assert.equal(new Set(keys).size, 2, `two logical creates, two keys: ${keys}`);
    await stack.destroy();
    await client.setIdempotency("ignore");
  });

  it("twin resources with identical settings, created in parallel with a lost answer, get one object each", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    await client.setFaults([{ method: "POST", path: "/api/v1/Account/*/trunks", commitDropRate: 1, times: 1 }]);
    const stack = newStack(emu, "twins", {}, { parallel: 2 });
    const r = await stack.up(() => {
      const a = new vobiz.Trunk("a", { name: "twin" });
      const b = new vobiz.Trunk("b", { name: "twin" });
      return { a: a.trunkId, b: b.trunkId };
    });
    const st = await client.state();
    assert.equal(st.trunks.length, 2);
    assert.deepEqual([r.outputs.a, r.outputs.b].sort(), st.trunks.map((t: any) => t.trunk_id).sort());
    await client.clearFaults();
    await stack.destroy();
    assert.equal((await client.state()).trunks.length, 0);
  });

  it("a failed purchase leaves nothing to adopt: a number bought meanwhile in the console is refused, not released", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    const [number] = await client.inventory("IN", 1);
    const stack = newStack(emu, "failed-then-console", {}, { config: { "vobiz:maxRetries": "1", "vobiz:retryBaseMs": "5" } });
    const program = () => {
      new vobiz.NumberPurchase("line", { number });
    };
    await client.setFaults([{ method: "POST", path: "/api/v1/Account/*/numbers/purchase-from-inventory", errorRate: 1, errorStatuses: [503] }]);
    await assert.rejects(stack.up(program), /NumberPurchase "line": create failed: .*HTTP 503/);
    await client.clearFaults();
    const bought = await client.api("POST", client.account("/numbers/purchase-from-inventory"), { e164: number });
    assert.equal(bought.status, 200);
    await assert.rejects(stack.up(program), /number \+\d+ exists already but was not made by this resource/);
    await stack.destroy();
    assert.equal((await client.state()).numbers.find((n: any) => n.e164 === number).status, "active");
  });

  it("twin purchases of one number in parallel: one buys it at most, the other is refused", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    const [number] = await client.inventory("IN", 1);
    const stack = newStack(emu, "twin-numbers", {}, { parallel: 2 });
    await assert.rejects(
      stack.up(() => {
        new vobiz.NumberPurchase("a", { number });
        new vobiz.NumberPurchase("b", { number });
      }),
      /NumberPurchase [ab] \(check\): [ab]: number: \+\d+ is also declared by NumberPurchase "[ab]" in this stack/,
    );
    const ids = stack.readState().resources.filter((r) => r.type.endsWith(":NumberPurchase")).map((r) => r.name);
    assert.ok(ids.length <= 1, JSON.stringify(ids));
    const st = await client.state();
    assert.ok(st.transactions.filter((t: any) => t.reference_type === "did_purchase").length <= 1, "bought once at most");
    await stack.destroy();
  });

  it("a credential named like one inside a component is a different resource with its own object", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    class Office extends pulumi.ComponentResource {
      constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("test:Office", name, {}, opts);
        new vobiz.SipCredential("pbx", { username: "office", password: pulumi.secret(password) }, { parent: this });
        this.registerOutputs({});
      }
    }
    const stack = newStack(emu, "same-name");
    await stack.up(() => {
      new vobiz.SipCredential("pbx", { username: "office", password: pulumi.secret(password) });
      new Office("branch");
    });
    const st = await client.state();
    assert.equal(st.credentials.length, 2, "two resources, two credentials");
    const ids = stack.readState().resources.filter((r) => r.type.endsWith(":SipCredential")).map((r) => r.id);
    assert.equal(new Set(ids).size, 2);
    await stack.destroy();
    assert.equal((await client.state()).credentials.length, 0);
  });

  it("a create the server commits after the client timed out is found, not sent again", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    await client.setFaults([{ method: "POST", path: "/api/v1/Account/*/trunks", latencyMs: 700 }]);
    const stack = newStack(emu, "slow-commit", {}, { config: { "vobiz:requestTimeoutMs": "500", "vobiz:retryBaseMs": "5" } });
    const r = await stack.up(() => {
      const t = new vobiz.Trunk("main", { name: "slow" });
      return { trunkId: t.trunkId };
    });
    const st = await client.state();
    assert.deepEqual(st.trunks.map((t: any) => t.trunk_id), [r.outputs.trunkId], "one trunk, the one in state");
    assert.ok(r.logs.some((l) => /1 lost answer recovered by lookup/.test(l.message)), JSON.stringify(r.logs.map((l) => l.message)));
    await client.clearFaults();
    await stack.destroy();
  });

  it("an unwritable in-flight folder is reported, and the create still goes ahead", async () => {
    await client.clearFaults();
    await resetEmulator(emu);
    // A folder below a regular file can never be made (ENOTDIR).
    const blocker = path.join(mkdtempSync(path.join(tmpdir(), "vobiz-blocker-")), "a-file");
    writeFileSync(blocker, "");
    const stack = newStack(emu, "no-record", { VOBIZ_INFLIGHT_DIR: path.join(blocker, "inflight") });
    const r = await stack.up(() => {
      new vobiz.Trunk("main", { name: "no-record" });
    });
    assert.equal((await client.state()).trunks.length, 1);
    assert.ok(
      r.logs.some((l) => l.message.includes(`cannot keep an in-flight record in ${path.join(blocker, "inflight")} (set VOBIZ_INFLIGHT_DIR`)),
      JSON.stringify(r.logs.map((l) => l.message)),
    );
    await stack.destroy();
  });
});
