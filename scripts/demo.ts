// `npm run demo`: starts the Vobiz emulator on a free port, brings the quickstart stack up,
// shows what was created and the stack outputs (secrets masked), runs a second up that must
// change nothing, destroys the stack, and stops everything it started.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { startEmulator, RunningEmulator } from "../emulator";
import { quickstart } from "../examples/quickstart/program";
import { Stack } from "../test/harness";
import { EmulatorClient } from "../test/support";

const repoRoot = path.resolve(__dirname, "..", "..");

function strongPassword(): string {
  // 16 characters within the Vobiz rules: letters and digits plus one required special.
  return `${randomBytes(9).toString("base64").replace(/[^A-Za-z0-9]/g, "x").slice(0, 12)}#Q7a`;
}

async function snapshot(emu: RunningEmulator): Promise<string[]> {
  const st = await new EmulatorClient(emu).state();
  const main = st.accounts.find((a: any) => a.auth_id === emu.authId);
  return [
    `sub-accounts: ${st.accounts.filter((a: any) => a.parent_auth_id).map((a: any) => `${a.auth_id} (${a.name})`).join(", ") || "none"}`,
    `trunks: ${st.trunks.map((t: any) => `${t.name} ${t.trunk_domain} [${t.trunk_status}]`).join(", ") || "none"}`,
    `SIP credentials: ${st.credentials.map((c: any) => c.username).join(", ") || "none"}`,
    `IP ACL entries: ${st.ip_acl.map((a: any) => `${a.ip_address} (${a.description})`).join(", ") || "none"}`,
    `numbers: ${st.numbers.filter((n: any) => n.account_id === emu.authId).map((n: any) => `${n.e164} [${n.status}]${n.trunk_group_id ? " -> trunk" : ""}`).join(", ") || "none"}`,
    `balance: ${Object.entries(main?.balances ?? {}).map(([c, v]) => `${c} ${v}`).join(", ")}`,
  ];
}

function mask(outputs: Record<string, unknown>, secret: string[]): string[] {
  return Object.entries(outputs).map(([k, v]) => `${k}: ${secret.includes(k) ? "[secret]" : JSON.stringify(v)}`);
}

function hasPulumiCli(): boolean {
  return spawnSync("pulumi", ["version"], { stdio: "ignore" }).status === 0;
}

async function viaCli(emu: RunningEmulator, numbers: string[], password: string): Promise<void> {
  const home = mkdtempSync(path.join(tmpdir(), "vobiz-demo-"));
  const env = { ...process.env, PULUMI_BACKEND_URL: `file://${home}`, PULUMI_CONFIG_PASSPHRASE: "demo", PULUMI_SKIP_UPDATE_CHECK: "1" };
  const pulumi = (...args: string[]) => execFileSync("pulumi", [...args, "--cwd", repoRoot], { env, stdio: "inherit" });
  try {
    pulumi("stack", "init", "demo");
    pulumi("config", "set", "vobiz:endpoint", emu.url);
    pulumi("config", "set", "vobiz:authId", emu.authId);
    execFileSync("pulumi", ["config", "set", "--secret", "vobiz:authToken", "--cwd", repoRoot], { env, input: emu.authToken });
    execFileSync("pulumi", ["config", "set", "--secret", "quickstart:sipPassword", "--cwd", repoRoot], { env, input: password });
    numbers.forEach((n, i) => pulumi("config", "set", "--path", `quickstart:numbers[${i}]`, n));
    ["49.36.12.10", "49.36.12.11"].forEach((ip, i) => pulumi("config", "set", "--path", `quickstart:pbxAddresses[${i}]`, ip));
    pulumi("up", "--yes", "--skip-preview");
    console.log("\nCreated in the emulator:\n  " + (await snapshot(emu)).join("\n  "));
    pulumi("stack", "output");
    pulumi("up", "--yes", "--expect-no-changes");
    pulumi("destroy", "--yes");
    pulumi("stack", "rm", "--yes", "demo");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function viaEngine(emu: RunningEmulator, numbers: string[], password: string): Promise<void> {
  console.log("pulumi CLI not found on PATH: running the quickstart through the bundled lifecycle engine (the real @pulumi/pulumi dynamic-provider host over gRPC, without the CLI).");
  const work = mkdtempSync(path.join(tmpdir(), "vobiz-demo-"));
  try {
    const stack = new Stack({
      project: "vobiz-quickstart",
      stack: "demo",
      programDir: path.join(repoRoot, "examples", "quickstart"),
      stateFile: path.join(work, "state.json"),
      config: { "vobiz:endpoint": emu.url, "vobiz:authId": emu.authId },
      secretConfig: { "vobiz:authToken": emu.authToken },
    });
    const program = () => quickstart({ numbers, sipPassword: password, pbxAddresses: ["49.36.12.10", "49.36.12.11"] });

    const up = await stack.up(program);
    console.log(`\nup: ${up.steps.filter((s) => s.op === "create").length} resources created`);
    console.log("Created in the emulator:\n  " + (await snapshot(emu)).join("\n  "));
    console.log("Stack outputs:\n  " + mask(up.outputs, up.secretOutputs).join("\n  "));

    const again = await stack.up(program);
    const changed = again.steps.filter((s) => s.op !== "same");
    console.log(`\nsecond up: ${changed.length === 0 ? "no changes" : `${changed.length} unexpected changes`}`);

    const down = await stack.destroy();
    console.log(`destroy: ${down.steps.filter((s) => s.op === "delete").length} resources deleted (numbers released: cancellable for 24 hours, release fee charged)`);
    console.log("Left in the emulator:\n  " + (await snapshot(emu)).join("\n  "));
    if (changed.length) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const emu = await startEmulator({ port: 0 });
  console.log(`Vobiz emulator listening on ${emu.url}`);
  try {
    const numbers = await new EmulatorClient(emu).inventory("IN", 2);
    const password = strongPassword();
    if (hasPulumiCli()) await viaCli(emu, numbers, password);
    else await viaEngine(emu, numbers, password);
  } finally {
    await emu.close();
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
