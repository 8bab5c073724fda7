// `npm run resilience [-- --json] [-- --seed N]`: what resilience costs. Runs the quickstart
// lifecycle (up, edit, up, destroy) through the real provider host against the emulator, once
// without faults and once under a fault mix, and prints API calls, retries, 429 waits, lost
// answers recovered by lookup, and wall time, with the fault run's ratios to the clean run.
// A measurement, not a test: it asserts nothing except that both runs succeed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { startEmulator } from "../emulator";
import { quickstart } from "../examples/quickstart/program";
import type { CallStats } from "../provider/client/guards";
import { RunResult, Stack } from "../test/harness";
import { EmulatorClient, quickstartDir } from "../test/support";

const MIX = [
  { method: "*", path: "**", errorRate: 0.2, commitDropRate: 0.1, rate429: 0.05, burst429: 2, retryAfterSeconds: 1, resetRate: 0.05, jitterMs: 20 },
];

interface Figures {
  apiCalls: number;
  retries: number;
  rateLimitAnswers: number;
  rateLimitWaitSeconds: number;
  recoveredWrites: number;
  breakerOpens: number;
  wallSeconds: number;
}

/** Sums the per-operation metrics the provider writes to its debug log. */
function providerStats(results: RunResult[]): Partial<CallStats> {
  const sum: Record<string, number> = {};
  for (const r of results) {
    for (const line of r.hostStderr.split("\n")) {
      if (!line.startsWith("{")) continue;
      const rec = JSON.parse(line);
      if (rec.msg !== "vobiz metrics") continue;
      for (const [k, v] of Object.entries(rec.operation as Record<string, number>)) sum[k] = (sum[k] ?? 0) + v;
    }
  }
  return sum;
}

async function lifecycle(rules: object[], seed: number): Promise<Figures> {
  const emu = await startEmulator({ port: 0 });
  const client = new EmulatorClient(emu);
  const dir = mkdtempSync(path.join(tmpdir(), "vobiz-resilience-"));
  try {
    const stack = new Stack({
      project: "vobiz-quickstart",
      stack: "resilience",
      programDir: quickstartDir,
      stateFile: path.join(dir, "state.json"),
      config: { "vobiz:endpoint": emu.url, "vobiz:authId": emu.authId, "vobiz:log": "debug", "vobiz:requestTimeoutMs": "2000" },
      secretConfig: { "vobiz:authToken": emu.authToken },
      parallel: 4,
    });
    const numbers = await client.inventory("IN", 2);
    await client.setFaults(rules, seed);
    await client.clearRequests();
    const program = (addresses: string[]) => () => quickstart({ numbers, sipPassword: "Measure#2026x", pbxAddresses: addresses });
    const started = Date.now();
    const results = [
      await stack.up(program(["49.36.12.10", "49.36.12.11"])),
      await stack.up(program(["49.36.12.10", "49.36.12.12"])),
      await stack.destroy(),
    ];
    const wallSeconds = (Date.now() - started) / 1000;
    const s = providerStats(results);
    return {
      apiCalls: (await client.requests()).length,
      retries: s.retries ?? 0,
      rateLimitAnswers: s.rateLimited ?? 0,
      rateLimitWaitSeconds: (s.rateLimitWaitMs ?? 0) / 1000,
      recoveredWrites: s.recoveredWrites ?? 0,
      breakerOpens: s.breakerOpens ?? 0,
      wallSeconds,
    };
  } finally {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const seedAt = process.argv.indexOf("--seed");
  const seed = seedAt > 0 ? Number(process.argv[seedAt + 1]) : 11;
  const clean = await lifecycle([], seed);
  const faulty = await lifecycle(MIX, seed);
  const ratio = (k: keyof Figures) => (clean[k] ? +(faulty[k] / clean[k]).toFixed(2) : null);
  const report = { seed, faultMix: MIX[0], clean, faulty, ratios: { apiCalls: ratio("apiCalls"), wallSeconds: ratio("wallSeconds") } };
  if (json) {
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    return;
  }
  const rows: Array<[string, keyof Figures]> = [
    ["API calls", "apiCalls"],
    ["retries", "retries"],
    ["429 answers", "rateLimitAnswers"],
    ["429 wait (s)", "rateLimitWaitSeconds"],
    ["lost answers recovered", "recoveredWrites"],
    ["breaker opens", "breakerOpens"],
    ["wall time (s)", "wallSeconds"],
  ];
  console.log(`quickstart lifecycle (up, edit, up, destroy), 4 steps in parallel, fault seed ${seed}`);
  console.log(`fault mix: ${JSON.stringify(MIX[0])}\n`);
  console.log(`${"".padEnd(24)}${"no faults".padStart(10)}${"fault mix".padStart(11)}${"ratio".padStart(8)}`);
  for (const [label, k] of rows) {
    const r = ratio(k);
    console.log(`${label.padEnd(24)}${String(+clean[k].toFixed(1)).padStart(10)}${String(+faulty[k].toFixed(1)).padStart(11)}${(r === null ? "-" : `${r}x`).padStart(8)}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
