// Money guardrails through the real host against the emulator: exact cost lines and totals in a
// preview, the per-run spend limit, the balance check before a purchase, the low-balance warning.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator } from "../emulator";
import { StackError } from "./harness";
import { EmulatorClient, newStack, resetEmulator, startTestEmulator } from "./support";

interface Offer {
  e164: string;
  setup_fee: number;
  monthly_fee: number;
}
const inr = (n: number) => `${n.toFixed(2)} INR`;
const program = (numbers: string[]) => () => {
  numbers.forEach((number, i) => new vobiz.NumberPurchase(`n${i}`, { number }));
  return {};
};
/** The same numbers routed to a trunk of the same stack: in a first preview their trunkId is unknown. */
const routedProgram = (numbers: string[]) => () => {
  const trunk = new vobiz.Trunk("line", { name: "money-line" });
  numbers.forEach((number, i) => new vobiz.NumberPurchase(`n${i}`, { number, trunkId: trunk.trunkId }));
  return {};
};
const messages = (r: { logs: { message: string }[] }) => r.logs.map((l) => l.message);

describe("money guardrails", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let offers: Offer[];

  const purchases = async () => (await client.requests()).filter((q) => q.method === "POST" && /purchase-from-inventory/.test(q.path));
  const seedBalance = (inrBalance: number) =>
    fetch(`${emu.url}/__emulator/seed`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ balances: { INR: inrBalance } }) });

  before(async () => {
    ({ emu, client } = await startTestEmulator());
    const r = await client.api("GET", client.account("/inventory/numbers?country=IN&per_page=8"));
    // Numbers with a setup fee, so setup and monthly totals differ.
    offers = (r.body.items as Offer[]).filter((o) => o.setup_fee > 0).slice(0, 4);
    assert.equal(offers.length, 4);
  });
  beforeEach(async () => {
    await resetEmulator(emu);
  });
  after(async () => {
    await emu.close();
  });

  it("a preview says what each purchase and release costs, and the run's total", async () => {
    const [a, b, c] = offers;
    const stack = newStack(emu, "costs");
    // Routed to a trunk the preview has not made yet: the price needs only the number.
    const first = await stack.preview(routedProgram([a.e164, b.e164]));
    const lines = messages(first).filter((m) => / buys \+/.test(m));
    assert.deepEqual(lines.map((m) => m.split(";")[0]).sort(), [
      `NumberPurchase "n0": buys ${a.e164}: setup ${inr(a.setup_fee)} + ${inr(a.monthly_fee)} per month (the first month is charged with the setup)`,
      `NumberPurchase "n1": buys ${b.e164}: setup ${inr(b.setup_fee)} + ${inr(b.monthly_fee)} per month (the first month is charged with the setup)`,
    ].sort());
    const total = `this update buys 2 numbers: ${inr(a.setup_fee + b.setup_fee)} setup + ${inr(a.monthly_fee + b.monthly_fee)} per month; releases 0 numbers: 0 in fees`;
    assert.ok(lines.at(-1)!.endsWith(total), lines.at(-1));
    assert.deepEqual(await purchases(), [], "a preview buys nothing");

    await stack.up(routedProgram([a.e164, b.e164]));
    // Replace b by c: c is bought, b released (the emulator's fee, 700 INR, is the provider's default).
    const second = await stack.preview(routedProgram([a.e164, c.e164]));
    const cost = messages(second).filter((m) => / (buys|releases) \+/.test(m));
    assert.ok(cost.some((m) => m.startsWith(`NumberPurchase "n1": releases ${b.e164}: release fee ${inr(700)} (cancellable for 24 hours);`)), cost.join("\n"));
    assert.ok(cost.some((m) => m.startsWith(`NumberPurchase "n1": buys ${c.e164}: setup ${inr(c.setup_fee)}`)), cost.join("\n"));
    assert.ok(cost.at(-1)!.endsWith(`this update buys 1 number: ${inr(c.setup_fee)} setup + ${inr(c.monthly_fee)} per month; releases 1 number: ${inr(700)} in fees`), cost.at(-1));
    assert.ok(!cost.some((m) => m.includes(a.e164)), "an unchanged number costs nothing");

    const quiet = await stack.preview(routedProgram([a.e164, b.e164]));
    assert.deepEqual(messages(quiet).filter((m) => /buys|releases/.test(m)), [], "a no-op preview has no cost lines");
    // Destroy names the fee of each release (the emulator answers 700 INR, as the API does).
    const destroyed = messages(await stack.destroy()).filter((m) => / released \+/.test(m));
    assert.deepEqual(destroyed.sort(), [a.e164, b.e164].sort().map((n) => `NumberPurchase "n${n === a.e164 ? 0 : 1}": released ${n}: release fee ${inr(700)}; the number stays cancellable for 24 hours (cancel-release in the console or API, or declare it again)`).sort());
  });

  for (const lost of [false, true]) {
  it(`a spend limit stops the run before the purchase that would cross it${lost ? ", counting a purchase whose answer was lost" : ""}`, async () => {
    const [a, b, c] = offers;
    if (lost) await client.setFaults([{ method: "POST", path: "/api/v1/Account/*/numbers/purchase-from-inventory", commitDropRate: 1, times: 1 }]);
    const cost = (o: Offer) => o.setup_fee + o.monthly_fee;
    const limit = cost(a) + cost(b) + cost(c) - 1;
    const stack = newStack(emu, "limit", {}, { config: { "vobiz:maxSpendPerRun": `${limit} INR` } });
    const e: StackError = await stack.up(program([a.e164, b.e164, c.e164])).then(() => assert.fail("up should fail"), (x) => x);
    assert.match(
      e.message,
      new RegExp(
        `NumberPurchase "n2": create failed: spend limit reached: vobiz:maxSpendPerRun is ${inr(limit)}, this run has spent ${inr(cost(a) + cost(b))}, ` +
          `and \\${c.e164} costs ${inr(cost(c))} \\(setup ${inr(c.setup_fee)} \\+ first month ${inr(c.monthly_fee)}\\); not bought`,
      ),
    );
    assert.deepEqual((await purchases()).map((q) => q.status), [200, 200], "two bought, the third never sent");
    if (lost) assert.equal((await purchases())[0].fault, "commit-drop", "the first purchase's answer was lost");
    await client.clearFaults();
    await stack.destroy();
  });
  }

  it("a purchase the balance cannot pay fails with the figures, and nothing is sent", async () => {
    const [a] = offers;
    const price = a.setup_fee + a.monthly_fee;
    await seedBalance(price - 0.5);
    const stack = newStack(emu, "poor");
    const e: StackError = await stack.up(program([a.e164])).then(() => assert.fail("up should fail"), (x) => x);
    assert.match(e.message, new RegExp(`NumberPurchase "n0": create failed: insufficient balance: need ${inr(price)}, available ${inr(price - 0.5)} \\(\\${a.e164} costs`));
    assert.deepEqual(await purchases(), []);
    const balanceReads = (await client.requests()).filter((q) => /\/balance\/INR$/.test(q.path));
    assert.equal(balanceReads.length, 1);
  });

  it("warns when the balance after a purchase drops below vobiz:lowBalanceThreshold, and not above it", async () => {
    const [a, b] = offers;
    const start = 5000;
    await seedBalance(start);
    const afterA = start - a.setup_fee - a.monthly_fee;
    const afterB = afterA - b.setup_fee - b.monthly_fee;
    // The threshold lies between the two balances: only the second purchase crosses it.
    const threshold = (afterA + afterB) / 2;
    const stack = newStack(emu, "low", {}, { config: { "vobiz:lowBalanceThreshold": `${threshold} INR` } });
    const r = await stack.up(program([a.e164, b.e164]));
    const warnings = r.logs.filter((l) => /low balance/.test(l.message)).map((l) => l.message);
    assert.deepEqual(warnings, [`NumberPurchase "n1": low balance: after buying ${b.e164} the INR balance is ${inr(afterB)}, below the low-balance threshold of ${inr(threshold)}`]);
    const st = await client.state();
    assert.equal(st.accounts.find((x: any) => x.parent_auth_id === null)?.balances?.INR ?? afterB, afterB);
    await stack.destroy();
  });

  it("without the setting, the account's own low-balance threshold is used", async () => {
    const [a] = offers;
    const start = 5000;
    const after = start - a.setup_fee - a.monthly_fee;
    await fetch(`${emu.url}/__emulator/seed`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ balances: { INR: start }, low_balance_thresholds: { INR: after + 1 } }),
    });
    const stack = newStack(emu, "account-threshold");
    const r = await stack.up(program([a.e164]));
    assert.deepEqual(
      r.logs.filter((l) => /low balance/.test(l.message)).map((l) => l.message),
      [`NumberPurchase "n0": low balance: after buying ${a.e164} the INR balance is ${inr(after)}, below the low-balance threshold of ${inr(after + 1)}`],
    );
    await stack.destroy();
  });

  it("a malformed money setting fails naming it, in a preview as in an up", async () => {
    const stack = newStack(emu, "badcfg", {}, { config: { "vobiz:maxSpendPerRun": "lots" } });
    for (const run of [() => stack.preview(program([offers[0].e164])), () => stack.up(program([offers[0].e164]))]) {
      const e: StackError = await run().then(() => assert.fail("the run should fail"), (x) => x);
      assert.match(e.message, /NumberPurchase.*vobiz:maxSpendPerRun must be an amount and an ISO 4217 currency, such as "5000 INR"; got "lots"/);
    }
    assert.deepEqual(await purchases(), []);
  });
});
