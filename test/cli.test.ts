// The quickstart through the real Pulumi CLI (Automation API, local file backend) against the
// emulator: up, a preview and a refresh that must show no changes, an edit, destroy. It needs the
// `pulumi` binary, which is downloaded at install time and cannot be fetched where this project's
// CI runs; without it on PATH the suite reports itself skipped. The same lifecycle runs through
// the real dynamic-provider host without the CLI in test/lifecycle.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { RunningEmulator } from "../emulator";
import { EmulatorClient, repoRoot, startTestEmulator } from "./support";

const cli = spawnSync("pulumi", ["version"], { encoding: "utf8" });
const missing = cli.error || cli.status !== 0 ? "the pulumi CLI is not on PATH (install it from https://www.pulumi.com/docs/install/)" : undefined;

// Each test is skipped (not the suite), so the run's summary counts them as skipped.
describe("quickstart through the Pulumi CLI (Automation API)", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let stack: Stack;
  let dir: string;

  before(async () => {
    if (missing) return;
    ({ emu, client } = await startTestEmulator());
    const numbers = await client.inventory("IN", 2);
    dir = mkdtempSync(path.join(tmpdir(), "vobiz-cli-"));
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "cli-test", workDir: repoRoot },
      {
        envVars: {
          PULUMI_BACKEND_URL: `file://${dir}`,
          PULUMI_CONFIG_PASSPHRASE: "cli-test-only",
          PULUMI_SKIP_UPDATE_CHECK: "true",
          VOBIZ_INFLIGHT_DIR: path.join(dir, "inflight"),
        },
      },
    );
    await stack.setAllConfig({
      "vobiz:endpoint": { value: emu.url },
      "vobiz:authId": { value: emu.authId },
      "vobiz:authToken": { value: emu.authToken, secret: true },
      "quickstart:numbers": { value: JSON.stringify(numbers) },
      "quickstart:sipPassword": { value: "Cli#Test2027", secret: true },
      "quickstart:pbxAddresses": { value: JSON.stringify(["49.36.12.10"]) },
    });
  });
  after(async () => {
    await stack?.workspace.removeStack("cli-test", { force: true }).catch(() => undefined);
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("up creates the stack, and the secrets are secret outputs", { skip: missing }, async () => {
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.outputs.sipPassword.secret, true);
    assert.equal(up.outputs.subAccountAuthToken.secret, true);
    assert.equal((await client.state()).trunks.length, 1);
  });

  it("preview and refresh then show no changes", { skip: missing }, async () => {
    await stack.preview({ expectNoChanges: true });
    await stack.refresh({ expectNoChanges: true });
    await stack.preview({ expectNoChanges: true });
  });

  it("an edit updates in place", { skip: missing }, async () => {
    await stack.setConfig("quickstart:trunkName", { value: "cli-renamed" });
    const up = await stack.up();
    assert.equal(up.summary.resourceChanges?.update, 1);
    assert.equal((await client.state()).trunks[0].name, "cli-renamed");
  });

  it("destroy leaves nothing behind", { skip: missing }, async () => {
    await stack.destroy();
    const st = await client.state();
    assert.deepEqual([st.trunks.length, st.credentials.length, st.ip_acl.length], [0, 0, 0]);
  });
});
