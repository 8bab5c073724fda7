// What a user sees when the API refuses: the resource, the call, the HTTP status, the API's
// message and the request id, through the real host; and never a secret.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator } from "../emulator";
import { EmulatorClient, newStack, startTestEmulator } from "./support";

describe("errors reaching the user", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  before(async () => ({ emu, client } = await startTestEmulator()));
  after(async () => emu.close());

  it("a number that is not in inventory names the resource, call, status, message and request id", async () => {
    const stack = newStack(emu, "not-in-inventory");
    const program = () => {
      new vobiz.NumberPurchase("sales-line", { number: "+919999999999" });
    };
    await assert.rejects(stack.up(program), (e: Error) => {
      assert.match(
        e.message,
        /NumberPurchase "sales-line": create failed: POST \/Account\/\{auth_id\}\/numbers\/purchase-from-inventory \(\+919999999999\) failed: HTTP 404 \[not_found\]: number not found in inventory \(request id req_[0-9a-f]+\)/,
      );
      return true;
    });
    assert.deepEqual(stack.readState().resources.filter((r: any) => r.custom), []);
  });

  it("a number bought but not routable stays in state with a clear error, and destroy releases it", async () => {
    const [number] = await client.inventory("IN", 1);
    const stack = newStack(emu, "unroutable");
    const missingTrunk = "00000000-0000-4000-8000-000000000000";
    await assert.rejects(
      stack.up(() => {
        new vobiz.NumberPurchase("line", { number, trunkId: missingTrunk });
      }),
      new RegExp(`NumberPurchase "line": create failed: bought \\${number} but routing it to trunk ${missingTrunk} failed: POST .*/assign failed: HTTP 404`),
    );
    const kept = stack.readState().resources.filter((r: any) => r.custom);
    assert.deepEqual(kept.map((r: any) => r.id), [number], "the paid-for number is tracked");
    await stack.destroy();
    const st = await client.state();
    assert.equal(st.numbers.find((n: any) => n.e164 === number).status, "pending_release");
  });

  it("destroy finishes when a number was already released out of band", async () => {
    const [number] = await client.inventory("IN", 1);
    const stack = newStack(emu, "released-oob");
    await stack.up(() => {
      new vobiz.NumberPurchase("line", { number });
    });
    const oob = await client.api("DELETE", client.account(`/numbers/${encodeURIComponent(number)}`));
    assert.equal(oob.status, 200);
    await stack.destroy();
    assert.deepEqual(stack.readState().resources.filter((r: any) => r.custom), []);
    const fees = (await client.state()).transactions.filter((t: any) => t.reference === number && t.reference_type === "did_release_fee");
    assert.equal(fees.length, 1, "released (and charged) once");
  });

  it("a whitelist entry the API refuses is named, and the entries made before it are removed", async () => {
    const stack = newStack(emu, "entry-refused", {}, { config: { "vobiz:maxRetries": "0" } });
    await client.setFaults([{ method: "POST", path: "/api/v1/Account/*/ip-acl", errorRate: 1, errorStatuses: [503], skip: 1, times: 1 }]);
    const entries = [
      { ip: "49.36.12.10", label: "a" },
      { ip: "49.36.12.11", label: "b" },
    ];
    await assert.rejects(
      stack.up(() => void new vobiz.IpWhitelist("office", { entries })),
      /IpWhitelist "office": create failed: entry 49\.36\.12\.11 \("b"\): POST \/Account\/\{auth_id\}\/ip-acl failed.*HTTP 503.*\(request id req_[0-9a-f]+\)/,
    );
    await client.clearFaults();
    assert.deepEqual((await client.state()).ip_acl, [], "the first entry was removed again");
  });

  it("a whitelist edit whose delete fails: the rerun takes over the entry it made, and destroy leaves nothing", async () => {
    const stack = newStack(emu, "edit-delete-fails", {}, { config: { "vobiz:maxRetries": "1", "vobiz:breakerThreshold": "100" } });
    const program = (ip: string, label: string) => () => {
      const wl = new vobiz.IpWhitelist("wl", { entries: [{ ip, label }] });
      new vobiz.Trunk("t", { name: "edit-delete", ipAclId: wl.primaryEntryId });
    };
    await stack.up(program("49.36.12.10", "a"));
    await client.setFaults([{ method: "DELETE", path: "/api/v1/Account/*/ip-acl/*", errorRate: 1, errorStatuses: [503] }]);
    await assert.rejects(stack.up(program("49.36.12.11", "b")), /IpWhitelist "wl": update failed: DELETE \/Account\/\{auth_id\}\/ip-acl\/[^ ]+ failed after 2 attempts: HTTP 503/);
    await client.clearFaults();
    const rerun = await stack.up(program("49.36.12.11", "b"));
    const acl = (await client.state()).ip_acl.map((a: any) => `${a.ip_address} ${a.description}`);
    assert.deepEqual(acl, ["49.36.12.11 b"], "the entry made by the failed update was taken over, not made again");
    assert.ok(rerun.logs.some((l) => /found IP ACL entry 49\.36\.12\.11 \("b"\), made by an earlier run/.test(l.message)), JSON.stringify(rerun.logs.map((l) => l.message)));
    await stack.destroy();
    assert.deepEqual((await client.state()).ip_acl, []);
  });

  it("one address listed twice in two forms fails at check, and 0.0.0.0/0 is warned about", async () => {
    const stack = newStack(emu, "whitelist-forms");
    await assert.rejects(
      stack.up(() => void new vobiz.IpWhitelist("office", { entries: [{ ip: "49.36.12.10", label: "a" }, { ip: "49.36.12.10/32", label: "b" }] })),
      /IpWhitelist office \(check\): office: entries\.1\.ip: address 49\.36\.12\.10\/32 is listed twice \(also as 49\.36\.12\.10\)/,
    );
    const r = await stack.up(() => void new vobiz.IpWhitelist("office", { entries: [{ ip: "0.0.0.0/0", label: "anyone" }] }));
    assert.ok(
      r.logs.some((l) => l.message === 'IpWhitelist "office": entries: 0.0.0.0/0 lets every address on the internet in; IP authentication then protects nothing, only the SIP credential does'),
      JSON.stringify(r.logs.map((l) => l.message)),
    );
    await stack.destroy();
  });

  it("removing a trunk from the program leaves the credential and whitelist it pointed to", async () => {
    const stack = newStack(emu, "trunk-removed");
    const parts = () => {
      const cred = new vobiz.SipCredential("cred", { username: "keepme", password: "Keep#Me2026" });
      const wl = new vobiz.IpWhitelist("wl", { entries: [{ ip: "49.36.12.40", label: "pbx" }] });
      return { cred, wl };
    };
    await stack.up(() => {
      const { cred, wl } = parts();
      new vobiz.Trunk("t", { name: "to-remove", credentialId: cred.credentialId, ipAclId: wl.primaryEntryId });
    });
    const r = await stack.up(() => {
      parts();
    });
    assert.deepEqual(r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`), ["delete t"]);
    const st = await client.state();
    assert.equal(st.trunks.length, 0);
    assert.equal(st.credentials.length, 1, "credential survived the trunk delete");
    assert.equal(st.ip_acl.length, 1, "ACL entry survived the trunk delete");
    await stack.destroy();
    assert.equal((await client.state()).credentials.length, 0);
  });

  it("a trunk attached out of band to an entry of another resource: deleting the trunk leaves the entry", async () => {
    const stack = newStack(emu, "trunk-attached-oob");
    const wlOnly = () => {
      const wl = new vobiz.IpWhitelist("wl", { entries: [{ ip: "49.36.12.41", label: "pbx" }] });
      return { entryId: wl.primaryEntryId };
    };
    const { outputs } = await stack.up(() => {
      new vobiz.Trunk("t", { name: "bare" });
      return wlOnly();
    });
    const trunkId = (await client.state()).trunks[0].trunk_id;
    assert.equal((await client.api("PUT", client.account(`/trunks/${trunkId}`), { ipacl_uuid: outputs.entryId })).status, 200);
    await stack.up(wlOnly);
    const st = await client.state();
    assert.deepEqual([st.trunks.length, st.ip_acl.length], [0, 1], "the entry survived the trunk's delete");
    assert.deepEqual((await stack.preview(wlOnly)).steps.map((s) => s.op), ["same"]);
    await stack.destroy();
  });

  it("an adopt id that is not a trunk id, and a malformed VOBIZ_TEST_NOW, fail before any write", async () => {
    const stack = newStack(emu, "bad-ids", { VOBIZ_TEST_NOW: "garbage" });
    await client.clearRequests();
    await assert.rejects(
      stack.up(() => void new vobiz.Trunk("t", { name: "x", adopt: "credentials" })),
      /Trunk t \(check\): t: adopt: must be true or a trunk id, a UUID/,
    );
    await assert.rejects(
      stack.up(() => void new vobiz.SipCredential("c", { username: "clock", password: "Cl0ck#Check", rotateAfterDays: 90 })),
      /VOBIZ_TEST_NOW must be an ISO time such as 2030-01-01T00:00:00Z; got "garbage"/,
    );
    assert.deepEqual((await client.requests()).filter((q) => q.method !== "GET"), [], "nothing written");
  });

  it("a balance spent elsewhere after the provider read it: the API's answer reaches the user, and nothing more is bought", async () => {
    const [first, second] = await client.inventory("IN", 2);
    const stack = newStack(emu, "poor");
    // The balance is read before the first purchase (and cached for a minute); then the console
    // spends it, so the provider's check passes and the API refuses the second purchase.
    stack.afterChange = async (change) => {
      if (change.name === "a") {
        await fetch(`${emu.url}/__emulator/seed`, { method: "POST", body: JSON.stringify({ balances: { INR: 1 } }), headers: { "content-type": "application/json" } });
      }
    };
    await assert.rejects(
      stack.up(() => {
        const a = new vobiz.NumberPurchase("a", { number: first });
        new vobiz.NumberPurchase("line", { number: second }, { dependsOn: [a] });
      }),
      /NumberPurchase "line": create failed: .* failed: HTTP 500 \[internal_server_error\]: failed to purchase number \(request id req_/,
    );
    const st = await client.state();
    assert.equal(st.numbers.find((n: any) => n.e164 === second).account_id, null);
    await fetch(`${emu.url}/__emulator/reset`, { method: "POST" });
  });

  it("a wrong token fails with the gateway's message and the token is not echoed", async () => {
    const stack = newStack(emu, "bad-token");
    stack.setConfig("vobiz:authToken", "definitely-wrong-token", true);
    await assert.rejects(
      stack.up(() => {
        new vobiz.Trunk("t", { name: "x" });
      }),
      (e: Error) => {
        assert.match(e.message, /Trunk "t": create failed: GET \/Account\/\{auth_id\}\/trunks failed: HTTP 401: Invalid token \(request id req_/);
        assert.ok(!e.message.includes("definitely-wrong-token"));
        return true;
      },
    );
  });

  it("missing credentials and a plain-http endpoint are refused before any call", async () => {
    const stack = newStack(emu, "no-creds");
    stack.setConfig("vobiz:authId", "");
    stack.setConfig("vobiz:authToken", "", true);
    await client.clearRequests();
    await assert.rejects(
      stack.up(() => {
        new vobiz.Trunk("t", { name: "x" });
      }),
      /Trunk "t": create failed: Vobiz credentials are not configured: missing vobiz:authId \(or VOBIZ_AUTH_ID\) and vobiz:authToken \(or VOBIZ_AUTH_TOKEN\)/,
    );
    const insecure = newStack(emu, "http");
    insecure.setConfig("vobiz:endpoint", "http://api.vobiz.ai");
    await assert.rejects(
      insecure.up(() => {
        new vobiz.Trunk("t", { name: "x" });
      }),
      /Trunk "t": create failed: vobiz:endpoint must use https:\/\//,
    );
    // Timer settings Node cannot hold, and counts that are not whole numbers.
    for (const [key, value, rule] of [
      ["vobiz:requestTimeoutMs", "3000000000", "a whole number from 1 to 2147483647"],
      ["vobiz:requestTimeoutMs", "1.5", "a whole number from 1 to 2147483647"],
      ["vobiz:maxRetries", "2.5", "a whole number from 0 to 2147483647"],
      ["vobiz:maxRequestsPerSecond", "-1", "a whole number from 0 to 2147483647"],
    ]) {
      const bad = newStack(emu, "bad-setting");
      bad.setConfig(key, value);
      await assert.rejects(
        bad.up(() => {
          new vobiz.Trunk("t", { name: "x" });
        }),
        new RegExp(`Trunk "t": create failed: ${key} must be ${rule}; got "${value.replace(".", "\\.")}"`),
      );
    }
    assert.deepEqual(await client.requests(), []);
  });
});
