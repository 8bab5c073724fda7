// Records test/fixtures/state-v0.1.0.json: what a released version leaves behind for one of each
// resource type, as a pair: the emulator's own state file (the objects, with the ids the API gave
// them) and the Pulumi state file (with the version's `__provider` shims and output shapes).
// test/upgrade.test.ts loads both and runs today's code on them. Run it from a checkout of the
// version being recorded, after `npx tsc -p tsconfig.json`:
//   node dist/scripts/record-upgrade-fixture.js > test/fixtures/state-vX.Y.Z.json
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as vobiz from "pulumi-vobiz";
import { startEmulator } from "../emulator";
import { EmulatorClient, newStack } from "../test/support";

async function main(): Promise<void> {
  const statePath = path.join(mkdtempSync(path.join(tmpdir(), "vobiz-record-")), "emulator.json");
  const emu = await startEmulator({ port: 0, statePath });
  try {
    const [number] = await new EmulatorClient(emu).inventory("IN", 1);
    const stack = newStack(emu, "upgrade");
    await stack.up(async () => {
      const team = new vobiz.SubAccount("team", { name: "upgrade-team", description: "recorded", email: "ops@example.com" });
      const cred = new vobiz.SipCredential("pbx", { username: "upgrade-pbx", password: "Upgrade#Fixture1" });
      const wl = new vobiz.IpWhitelist("office", {
        entries: [
          { ip: "49.36.12.20", label: "pbx" },
          { ip: "49.36.12.21", label: "backup" },
        ],
      });
      const trunk = new vobiz.Trunk("main", {
        name: "upgrade-trunk",
        credentialId: cred.credentialId,
        ipAclId: wl.primaryEntryId,
        concurrentCallsLimit: 10,
      });
      const line = new vobiz.NumberPurchase("line", { number, trunkId: trunk.trunkId });
      return { team: team.authId, trunk: trunk.trunkId, line: line.numberId } as Record<string, pulumi.Output<string>>;
    });
    // Through the store rather than a Stack method, so that older harnesses can run this too.
    const pulumiState = JSON.parse(JSON.stringify((stack as any).store.load()).split(emu.url).join("{{endpoint}}"));
    const emulatorState = JSON.parse(readFileSync(statePath, "utf8"));
    const recordedWith = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")).version;
    process.stdout.write(JSON.stringify({ recordedWith, number, emulatorState, pulumiState }, null, 1) + "\n");
    await stack.destroy();
  } finally {
    await emu.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
