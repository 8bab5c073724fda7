// A stack big enough to page (120 IP ACL entries) through the real host, against an emulator
// that limits the request rate: the 429s are absorbed, a refresh costs one list per kind and page
// instead of one scan per resource, a no-op up calls nothing, and the serialized provider is small.
// Speed itself is measured by `npm run bench`, never asserted here.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { RunningEmulator } from "../emulator";
import { program, Shape } from "../scripts/bench";
import { Stack } from "./harness";
import { EmulatorClient, newStack, startTestEmulator } from "./support";

const shape: Shape = { trunks: 6, whitelists: 3, addresses: 40, numbers: 5 };

describe("a large stack against a rate-limited API", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let stack: Stack;
  let prog: () => unknown;
  let stateFile: string;

  before(async () => {
    ({ emu, client } = await startTestEmulator());
    prog = program(shape, await client.inventory("IN", shape.numbers));
    await fetch(`${emu.url}/__emulator/rate-limit`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ perSecond: 25 }) });
    stateFile = path.join(mkdtempSync(path.join(tmpdir(), "vobiz-large-")), "state.json");
    stack = newStack(emu, "large", {}, { parallel: 8, stateFile });
  });
  after(async () => {
    await emu.close();
  });

  it("up converges although the API answers 429: every refusal is waited out, none reaches the user", async () => {
    const r = await stack.up(prog);
    assert.equal(r.steps.filter((s) => s.op === "create").length, 1 + 2 * shape.trunks + shape.whitelists + shape.numbers);
    const log = await client.requests();
    assert.ok(log.some((q) => q.status === 429), "the rate limit was reached (otherwise this test shows nothing)");
    assert.ok(r.logs.some((l) => /rate-limit answers? \(429\), waited [\d.]+ s for Retry-After/.test(l.message)), "the wait is reported");
    const st = await client.state();
    assert.equal(st.ip_acl.length, shape.whitelists * shape.addresses, "no entry created twice");
    assert.equal(st.trunks.length, shape.trunks);
  });

  it("refresh reads each list once per page, not once per resource", async () => {
    await client.clearRequests();
    const r = await stack.refresh();
    assert.equal(r.steps.filter((s) => s.op === "refresh").length, 1 + 2 * shape.trunks + shape.whitelists + shape.numbers);
    const calls = (await client.requests()).filter((q) => q.status !== 429).map((q) => `${q.method} ${q.path.replace(/^\/api\/v1\/Accounts?\/[^/]+/i, "")}`);
    // 120 IP ACL entries are two pages of 100; every other kind fits one page.
    assert.deepEqual(calls.sort(), ["GET /numbers", "GET /sub-accounts/", "GET /trunks", "GET /trunks/credentials", "GET /trunks/ip-acl", "GET /trunks/ip-acl"]);
  });

  it("a no-op up makes no API call, and the serialized provider stays under 1 KB a resource", async () => {
    await client.clearRequests();
    const r = await stack.up(prog);
    assert.deepEqual(r.steps.filter((s) => s.op !== "same"), []);
    assert.deepEqual(await client.requests(), []);
    const state = JSON.parse(readFileSync(stateFile, "utf8"));
    for (const res of state.resources.filter((x: { custom: boolean }) => x.custom)) {
      const bytes = Buffer.byteLength(JSON.stringify(res.inputs.__provider));
      assert.ok(bytes < 1024, `${res.urn}: __provider is ${bytes} bytes`);
    }
  });

  it("destroy leaves nothing", async () => {
    await stack.destroy();
    const st = await client.state();
    assert.deepEqual([st.trunks.length, st.credentials.length, st.ip_acl.length, st.numbers.filter((n: any) => n.account_id && n.status === "active").length], [0, 0, 0, 0]);
  });
});
