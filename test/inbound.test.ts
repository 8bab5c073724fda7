// Inbound routing inputs and edge cases through the real host: bad origination URIs fail at check
// naming the field; the trunk's documented traps warn or fail at check; NumberRoute refuses numbers
// the account does not own and a NumberPurchase of the same number (whichever the engine checks
// first, one at a time or in parallel), gives back the route it found, and says so when it cannot.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator } from "../emulator";
import { parseSipUri } from "../provider/sipUri";
import { StackError } from "./harness";
import { EmulatorClient, newStack, resetEmulator, startTestEmulator } from "./support";

let emu: RunningEmulator;
let client: EmulatorClient;

before(async () => {
  ({ emu, client } = await startTestEmulator());
});
after(async () => {
  await emu.close();
});
beforeEach(async () => {
  await resetEmulator(emu);
});

async function ok<T extends { status: number; body: any }>(call: Promise<T>): Promise<T> {
  const r = await call;
  assert.ok(r.status < 300, `emulator call failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail("the up must fail"),
    (e: StackError) => e,
  );

async function ownedNumber(routeTo?: string): Promise<string> {
  const [n] = await client.inventory("IN", 1);
  await ok(client.api("POST", client.account("/numbers/purchase-from-inventory"), { e164: n }));
  if (routeTo) await ok(client.api("POST", client.account(`/numbers/${encodeURIComponent(n)}/assign`), { trunk_group_id: routeTo }));
  return n;
}

async function apiTrunk(name: string): Promise<string> {
  return (await ok(client.api("POST", client.account("/trunks"), { name }))).body.trunk_id;
}

describe("OriginationUri: the uri is validated at check, naming the field", () => {
  const cases: [string, RegExp][] = [
    ["http://agent.example.com", /uri: must be a SIP URI such as sip:agent\.example\.com, not an http URL/],
    ["sip:", /uri: has no host: write sip:host, sip:host:port or sip:user@host:port/],
    ["sip:agent@", /uri: has no host/],
    ["sip:agent.example.com:70000", /uri: port 70000 is out of range; it must be 1-65535/],
    ["agent.example.com", /uri: must start with sip:/],
    ["sip:sip:agent.example.com", /uri: has a stray "sip:" after sip:; write sip:agent\.example\.com/],
    ["sip:sip.vobiz.ai", /uri: points at Vobiz itself \(sip\.vobiz\.ai\): an origination URI is where Vobiz sends inbound calls/],
    ["sip:1a2b3c4d.sip.vobiz.ai:5060", /uri: points at Vobiz itself \(1a2b3c4d\.sip\.vobiz\.ai\)/],
    ["sip:agent.example.com;transport=ws", /uri: transport "ws" is not one of udp, tcp, tls/],
  ];
  for (const [uri, message] of cases) {
    it(`${uri} is refused before any API call`, async () => {
      const stack = newStack(emu, "bad-uri");
      await client.clearRequests();
      const err = await failure(stack.up(() => void new vobiz.OriginationUri("agent", { name: "agent", uri })));
      assert.match(err.message, /vobiz:OriginationUri agent \(check\): agent: /);
      assert.match(err.message, message);
      assert.deepEqual(await client.requests(), []);
    });
  }

  it("accepts the forms the API takes, and reads the transport from them", () => {
    assert.deepEqual(parseSipUri("sip:agent.example.com"), { user: undefined, host: "agent.example.com", port: undefined, transport: undefined });
    assert.deepEqual(parseSipUri("sip:inbound@49.36.21.10:5061;transport=tls"), { user: "inbound", host: "49.36.21.10", port: 5061, transport: "tls" });
    assert.deepEqual(parseSipUri("sip:49.36.21.300"), { problem: 'host "49.36.21.300" is not a valid IPv4 address' });
  });
});

describe("Trunk: the documented traps are caught at check", () => {
  it("TLS without secure, and an outbound trunk with origination URIs, warn but go ahead", async () => {
    const stack = newStack(emu, "traps");
    const r = await stack.up(() => {
      const uri = new vobiz.OriginationUri("agent", { name: "agent", uri: "sip:agent.example.com:5061;transport=tls" });
      new vobiz.Trunk("tls", { name: "tls-no-srtp", transport: "tls", direction: "outbound", primaryUriId: uri.uriId });
      new vobiz.Trunk("srtp", { name: "srtp-udp", secure: true });
    });
    const warnings = r.logs.filter((l) => l.severity === "warning").map((l) => l.message);
    assert.ok(warnings.some((w) => /^Trunk "tls": transport is "tls" but secure is false: signalling is encrypted, media is not \(SRTP is off\)/.test(w)), warnings.join("\n"));
    assert.ok(warnings.some((w) => /^Trunk "tls": direction is outbound, so the origination URIs \(which carry inbound calls\) are never used/.test(w)), warnings.join("\n"));
    assert.ok(warnings.some((w) => /^Trunk "srtp": secure is true but transport is "udp"/.test(w)), warnings.join("\n"));
    const st = await client.state();
    assert.equal(st.trunks.find((t: any) => t.name === "tls-no-srtp").transport, "tls");
    assert.equal(st.origination_uris[0].transport, "tls");
    await stack.destroy();
  });

  it("transcription without recording, and redaction without transcription, fail naming the field", async () => {
    const stack = newStack(emu, "traps-fatal");
    await client.clearRequests();
    const a = await failure(stack.up(() => void new vobiz.Trunk("rec", { name: "rec", enableTranscription: true })));
    assert.match(a.message, /vobiz:Trunk rec \(check\): rec: enableTranscription: needs recording: true/);
    const b = await failure(stack.up(() => void new vobiz.Trunk("rec", { name: "rec", recording: true, piiRedaction: true })));
    assert.match(b.message, /vobiz:Trunk rec \(check\): rec: piiRedaction: needs enableTranscription: true/);
    assert.deepEqual(await client.requests(), []);
  });

  it("a hostile inboundDestination and a webhook URL the API would refuse fail at check, naming the field", async () => {
    const stack = newStack(emu, "trunk-inputs");
    await client.clearRequests();
    const a = await failure(stack.up(() => void new vobiz.Trunk("in", { name: "in", inboundDestination: "x\u0000<script>" })));
    assert.match(a.message, /vobiz:Trunk in \(check\): in: inboundDestination: inboundDestination must not contain control characters, quotes or angle brackets/);
    const b = await failure(stack.up(() => void new vobiz.Trunk("in", { name: "in", webhookUrl: "http://127.0.0.1/hook" })));
    assert.match(b.message, /vobiz:Trunk in \(check\): in: webhookUrl: must be a public http\(s\) URL; 127\.0\.0\.1 is a loopback address, which Vobiz refuses/);
    assert.deepEqual(await client.requests(), []);
  });

  it("recording flags set, then removed, are written and cleared on the live trunk", async () => {
    const stack = newStack(emu, "recording");
    const flags = async () => {
      const t = (await client.state()).trunks[0];
      return [t.recording, t.enable_transcription, t.pii_redaction];
    };
    await stack.up(() => void new vobiz.Trunk("rec", { name: "rec", recording: true, enableTranscription: true, piiRedaction: true }));
    assert.deepEqual(await flags(), [true, true, true]);
    const r = await stack.up(() => void new vobiz.Trunk("rec", { name: "rec" }));
    assert.deepEqual(r.steps.map((s) => s.op), ["update"]);
    assert.deepEqual(await flags(), [false, false, false]);
    assert.deepEqual((await stack.up(() => void new vobiz.Trunk("rec", { name: "rec" }))).steps.map((s) => s.op), ["same"]);
    await stack.destroy();
  });
});

describe("NumberRoute", () => {
  it("fails clearly for a number the account does not own, and routes nothing", async () => {
    const [n] = await client.inventory("IN", 1);
    const stack = newStack(emu, "not-owned");
    await client.clearRequests();
    const err = await failure(
      stack.up(() => {
        const t = new vobiz.Trunk("t", { name: "t" });
        new vobiz.NumberRoute("line", { number: n, trunkId: t.trunkId });
      }),
    );
    assert.match(
      err.message,
      new RegExp(`NumberRoute line \\(create\\): NumberRoute "line": create failed: \\${n} is not a number this account holds .*NumberRoute only routes numbers the account already owns and never buys one`),
    );
    assert.deepEqual((await client.writes()).filter((w) => w.path.includes("/numbers")), [], "no purchase, no assign");
    await stack.destroy();
  });

  it("refuses a NumberPurchase of the same number in the stack, in either order", async () => {
    const [n, m] = await client.inventory("IN", 2);
    // The purchase goes first (dependsOn orders it): it buys and routes; the route's check refuses.
    const first = newStack(emu, "fight-a");
    const a = await failure(
      first.up(() => {
        const t = new vobiz.Trunk("t", { name: "t" });
        const bought = new vobiz.NumberPurchase("bought", { number: n, trunkId: t.trunkId });
        new vobiz.NumberRoute("route", { number: n, trunkId: t.trunkId }, { dependsOn: [bought] });
      }),
    );
    assert.match(a.message, new RegExp(`vobiz:NumberRoute route \\(check\\): route: number: \\${n} is also declared by NumberPurchase "bought" in this stack; two resources would fight over its route`));
    await first.destroy();
    // The route goes first on an owned number; the purchase (adopting it) is refused at its check.
    await ok(client.api("POST", client.account("/numbers/purchase-from-inventory"), { e164: m }));
    const second = newStack(emu, "fight-b");
    const b = await failure(
      second.up(() => {
        const t = new vobiz.Trunk("t", { name: "t" });
        const route = new vobiz.NumberRoute("route", { number: m, trunkId: t.trunkId });
        new vobiz.NumberPurchase("bought", { number: m, trunkId: t.trunkId, adopt: true }, { dependsOn: [route] });
      }),
    );
    assert.match(b.message, new RegExp(`vobiz:NumberPurchase bought \\(check\\): bought: number: \\${m} is also declared by NumberRoute "route" in this stack`));
    assert.equal(second.outputsOf("bought"), undefined, "the purchase never acted");
    await second.destroy();
  });

  for (const parallel of [1, 4]) {
    it(`with no order between them (parallel ${parallel}), at most one of the two ever acts`, async () => {
      for (const owned of [false, true]) {
        await resetEmulator(emu);
        const [n] = await client.inventory("IN", 1);
        if (owned) await ok(client.api("POST", client.account("/numbers/purchase-from-inventory"), { e164: n }));
        const stack = newStack(emu, `fight-${parallel}-${owned}`, {}, { parallel });
        const err = await failure(
          stack.up(() => {
            const t = new vobiz.Trunk("t", { name: "t" });
            new vobiz.NumberRoute("route", { number: n, trunkId: t.trunkId });
            new vobiz.NumberPurchase("bought", { number: n, trunkId: t.trunkId, adopt: owned || undefined });
          }),
        );
        // Refused at the second one's check, or (the route created first, the number not owned yet) at
        // the route's create, whose message points at the purchase.
        assert.match(err.message, /is also declared by (NumberPurchase "bought"|NumberRoute "route") in this stack|not a number this account holds.*NumberPurchase of this number in the same stack is refused/);
        const acted = ["route", "bought"].filter((name) => stack.outputsOf(name) !== undefined);
        assert.ok(acted.length <= 1, `both acted: ${err.message}`);
        await stack.destroy();
      }
    });
  }

  it("two NumberPurchases of one number are refused at the second one's check", async () => {
    const [n] = await client.inventory("IN", 1);
    const stack = newStack(emu, "twin-purchases");
    await client.clearRequests();
    const err = await failure(
      stack.up(() => {
        new vobiz.NumberPurchase("p1", { number: n });
        new vobiz.NumberPurchase("p2", { number: n });
      }),
    );
    assert.match(err.message, new RegExp(`vobiz:NumberPurchase p2 \\(check\\): p2: number: \\${n} is also declared by NumberPurchase "p1" in this stack; two resources would fight over its route\\. declare each number once`));
    assert.equal((await client.requests()).filter((q) => q.method === "POST").length, 1, "bought once, by p1");
    await stack.destroy();
  });

  it("two NumberRoutes of one number are refused too", async () => {
    const n = await ownedNumber();
    const stack = newStack(emu, "twin-routes");
    const err = await failure(
      stack.up(() => {
        const t = new vobiz.Trunk("t", { name: "t" });
        new vobiz.NumberRoute("one", { number: n, trunkId: t.trunkId });
        new vobiz.NumberRoute("two", { number: n, trunkId: t.trunkId });
      }),
    );
    assert.match(err.message, new RegExp(`vobiz:NumberRoute two \\(check\\): two: number: \\${n} is also declared by NumberRoute "one"`));
    await stack.destroy();
  });

  it("when the trunk it found was deleted meanwhile, destroy leaves the number unrouted and says so", async () => {
    const old = await apiTrunk("old-pbx");
    const n = await ownedNumber(old);
    const stack = newStack(emu, "gone-previous");
    const program = () => {
      const t = new vobiz.Trunk("t", { name: "agent" });
      new vobiz.NumberRoute("line", { number: n, trunkId: t.trunkId });
    };
    await stack.up(program);
    assert.equal(stack.outputsOf("line")?.previousTrunkId, old);
    assert.notEqual((await client.state()).numbers.find((x: any) => x.e164 === n).trunk_group_id, old);
    await ok(client.api("DELETE", client.account(`/trunks/${old}`)));
    const d = await stack.destroy();
    assert.ok(
      d.logs.some((l) => l.severity === "warning" && l.message === `NumberRoute "line": ${n} was routed to trunk ${old} before this stack, but that trunk no longer exists, so ${n} is left unrouted`),
      d.logs.map((l) => l.message).join("\n"),
    );
    const after = (await client.state()).numbers.find((x: any) => x.e164 === n);
    assert.deepEqual([after.status, after.trunk_group_id ?? null], ["active", null]);
  });

  it("a route moved outside the stack is left where it is on destroy", async () => {
    const n = await ownedNumber();
    const other = await apiTrunk("someone-else");
    const stack = newStack(emu, "moved-away");
    await stack.up(() => {
      const t = new vobiz.Trunk("t", { name: "agent" });
      new vobiz.NumberRoute("line", { number: n, trunkId: t.trunkId });
    });
    await ok(client.api("DELETE", client.account(`/numbers/${encodeURIComponent(n)}/assign`)));
    await ok(client.api("POST", client.account(`/numbers/${encodeURIComponent(n)}/assign`), { trunk_group_id: other }));
    const d = await stack.destroy();
    assert.ok(d.logs.some((l) => l.message.includes(`${n} is routed to trunk ${other}, which neither this resource nor the route before it set`)), d.logs.map((l) => l.message).join("\n"));
    assert.equal((await client.state()).numbers.find((x: any) => x.e164 === n).trunk_group_id, other);
  });

  it("a number released out of band is gone at refresh, and the next up says it is not owned", async () => {
    const n = await ownedNumber();
    const stack = newStack(emu, "released");
    const program = () => {
      const t = new vobiz.Trunk("t", { name: "agent" });
      new vobiz.NumberRoute("line", { number: n, trunkId: t.trunkId });
    };
    await stack.up(program);
    await ok(client.api("DELETE", client.account(`/numbers/${encodeURIComponent(n)}`)));
    const refreshed = await stack.refresh();
    assert.ok(refreshed.steps.some((s) => s.op === "refresh-gone" && s.name === "line"));
    const err = await failure(stack.up(program));
    assert.match(err.message, new RegExp(`NumberRoute "line": create failed: \\${n} is not a number this account holds`));
    await stack.destroy();
  });
});
