// Rotating the provider's own token is a configuration change: objects made with the old token
// are refreshed, previewed and updated with the new one, and nothing is replaced (the SIP
// username's generation suffix is keyed with the token, but kept while the inputs stay the same).
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { quickstart } from "../examples/quickstart/program";
import { RunningEmulator, startEmulator } from "../emulator";
import { StackError } from "./harness";
import { EmulatorClient, newStack } from "./support";

describe("rotating the provider's own token", () => {
  let emu: RunningEmulator | undefined;
  after(async () => {
    await emu?.close();
  });

  it("needs only the new token in config: refresh, preview and up change nothing, and the old token is refused", async () => {
    // The account's token changes: the same account (state file) answers on the same port with a new token.
    const statePath = path.join(mkdtempSync(path.join(tmpdir(), "vobiz-token-")), "emulator.json");
    emu = await startEmulator({ port: 0, statePath, authToken: "first-token-1111" });
    const port = Number(new URL(emu.url).port);
    let client = new EmulatorClient(emu);
    const numbers = await client.inventory("IN", 2);
    const program = () => quickstart({ numbers, sipPassword: "T0ken#Rotation", pbxAddresses: ["49.36.12.10"] });
    const stack = newStack(emu, "token-rotation");
    await stack.up(program);
    await emu.close();
    emu = await startEmulator({ port, statePath, authToken: "second-token-2222" });
    client = new EmulatorClient(emu);

    const refused: StackError = await stack.refresh().then(() => assert.fail("the old token should be refused"), (e) => e);
    assert.match(refused.message, /HTTP 401/);
    assert.ok(!refused.message.includes("first-token-1111"), "the token is not echoed");

    stack.setConfig("vobiz:authToken", "second-token-2222", true);
    const refreshed = await stack.refresh();
    assert.ok(refreshed.steps.every((s) => s.op === "refresh" || s.op === "same"), JSON.stringify(refreshed.steps.map((s) => s.op)));
    const preview = await stack.preview(program);
    assert.deepEqual([...new Set(preview.steps.map((s) => s.op))], ["same"]);
    await client.clearRequests();
    const up = await stack.up(program);
    assert.deepEqual([...new Set(up.steps.map((s) => s.op))], ["same"]);
    assert.deepEqual((await client.requests()).filter((q) => q.method !== "GET"), [], "no write");
    assert.ok(!stack.stateText().includes("second-token-2222"), "the new token is kept encrypted");
    await stack.destroy();
    const st = await client.state();
    assert.deepEqual([st.trunks.length, st.credentials.length, st.ip_acl.length], [0, 0, 0]);
  });
});
