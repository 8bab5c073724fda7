// `npm run bench [-- --scale K] [-- --json]`: how fast a large stack converges against an API
// that limits its request rate. Builds a stack (default: 1 sub-account, 20 trunks each with a
// SIP credential, 20 whitelists of 25 addresses, 50 numbers; times K), and runs up, a no-op up,
// refresh and destroy through the real provider host against the emulator with a set latency and
// rate limit. Prints per phase the wall time, API calls by method and route, 429s, the lower
// bound (accepted calls / rate limit), the ratio of wall time to it, the host's peak memory, and
// the sizes of the serialized provider and the state file. A measurement, never a test.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as vobiz from "pulumi-vobiz";
import { startEmulator } from "../emulator";
import { routeOf as route } from "../provider/client/route";
import { RunResult, Stack } from "../test/harness";
import { EmulatorClient, quickstartDir } from "../test/support";

export interface Shape {
  trunks: number;
  whitelists: number;
  addresses: number;
  numbers: number;
}

interface Settings extends Shape {
  latencyMs: number;
  rate: number;
  parallel: number;
  json: boolean;
}

function parseArgs(argv: string[]): Settings {
  const s: Settings = { trunks: 20, whitelists: 20, addresses: 25, numbers: 50, latencyMs: 50, rate: 20, parallel: 16, json: false };
  let scale = 1;
  const ints: Record<string, (n: number) => void> = {
    "--scale": (n) => (scale = n),
    "--trunks": (n) => (s.trunks = n),
    "--whitelists": (n) => (s.whitelists = n),
    "--addresses": (n) => (s.addresses = n),
    "--numbers": (n) => (s.numbers = n),
    "--latency": (n) => (s.latencyMs = n),
    "--rate": (n) => (s.rate = n),
    "--parallel": (n) => (s.parallel = n),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--json") {
      s.json = true;
      continue;
    }
    if (flag === "--help") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    }
    const set = ints[flag];
    const v = argv[++i];
    if (!set) usage(`unknown argument ${flag}`);
    if (v === undefined || !/^\d+$/.test(v)) usage(`${flag} needs a whole number, got ${v ?? "nothing"}`);
    set(Number(v));
  }
  if (scale < 1 || s.rate < 1 || s.parallel < 1 || s.addresses < 1 || s.trunks < 1) usage("--scale, --rate, --parallel, --addresses and --trunks must be at least 1");
  if (s.addresses > 250) usage("--addresses must be at most 250 (one /24 per whitelist)");
  if (s.rate > 100_000) usage("--rate must be at most 100000");
  s.trunks *= scale;
  s.whitelists *= scale;
  s.numbers *= scale;
  return s;
}

const USAGE = `usage: npm run bench -- [--scale K] [--trunks N] [--whitelists N] [--addresses N] [--numbers N] [--latency MS] [--rate RPS] [--parallel P] [--json]
  --scale K        multiply trunks, whitelists and numbers by K, a whole number (default 1)
  --trunks N       trunks, each with a SIP credential (default 20)
  --whitelists N   IP whitelists (default 20)
  --numbers N      numbers bought and routed to the trunks in turn (default 50)
  --addresses N    addresses per whitelist (default 25, at most 250)
  --latency MS     the emulator's answer delay (default 50)
  --rate RPS       the emulator's requests per second per account, 429 beyond (default 20)
  --parallel P     steps of an up run at once (default 16)
  --json           print the figures as one JSON object on the last line`;

function usage(problem: string): never {
  process.stderr.write(`error: ${problem}\n${USAGE}\n`);
  process.exit(2);
}

/** The benchmark stack. Trunk i uses credential i and whitelist i (when there is one); numbers go round the trunks. */
export const program = (shape: Shape, numbers: string[]) => () => {
  new vobiz.SubAccount("team", { name: "bench-team" });
  const lists = Array.from({ length: shape.whitelists }, (_, w) =>
    new vobiz.IpWhitelist(`office-${w}`, {
      // Public, non-documentation addresses, one /24 per whitelist (49.36.0.0/16 belongs to an Indian ISP).
      entries: Array.from({ length: shape.addresses }, (_, a) => ({ ip: `49.${36 + Math.floor(w / 256)}.${w % 256}.${a + 1}`, label: `office-${w}-${a}` })),
    }),
  );
  const trunks = Array.from({ length: shape.trunks }, (_, t) => {
    const cred = new vobiz.SipCredential(`pbx-${t}`, { username: `benchpbx${t}` });
    return new vobiz.Trunk(`trunk-${t}`, { name: `bench-trunk-${t}`, credentialId: cred.credentialId, ipAclId: lists[t]?.primaryEntryId });
  });
  numbers.forEach((number, i) => new vobiz.NumberPurchase(`number-${i}`, { number, trunkId: trunks[i % trunks.length]?.trunkId }));
  return {};
};

interface Phase {
  phase: string;
  wallSeconds: number;
  calls: number;
  acceptedCalls: number;
  rateLimited: number;
  /** Accepted calls divided by the rate limit: no client can be faster. */
  lowerBoundSeconds: number;
  ratio: number;
  byRoute: Record<string, number>;
  hostPeakMemoryMiB: number;
}

/** The host's peak resident memory, sampled from /proc while the phase runs. */
function watchHostMemory(stack: Stack): { stop(): number } {
  let peakKiB = 0;
  const sample = () => {
    if (stack.runningHostPid <= 0) return;
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${stack.runningHostPid}/status`, "utf8"));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {
      // the host has just exited
    }
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.round((peakKiB / 1024) * 10) / 10;
    },
  };
}

async function runPhase(name: string, stack: Stack, client: EmulatorClient, rate: number, run: () => Promise<RunResult>): Promise<Phase> {
  await client.clearRequests();
  const memory = watchHostMemory(stack);
  const t0 = Date.now();
  await run();
  const wallSeconds = (Date.now() - t0) / 1000;
  const hostPeakMemoryMiB = memory.stop();
  const log = await client.requests();
  const byRoute: Record<string, number> = {};
  for (const q of log) byRoute[route(q.method, q.path)] = (byRoute[route(q.method, q.path)] ?? 0) + 1;
  const rateLimited = log.filter((q) => q.status === 429).length;
  const acceptedCalls = log.length - rateLimited;
  const lowerBoundSeconds = acceptedCalls / rate;
  return {
    phase: name,
    wallSeconds: round(wallSeconds),
    calls: log.length,
    acceptedCalls,
    rateLimited,
    lowerBoundSeconds: round(lowerBoundSeconds),
    ratio: lowerBoundSeconds > 0 ? round(wallSeconds / lowerBoundSeconds) : 0,
    byRoute: Object.fromEntries(Object.entries(byRoute).sort(([a], [b]) => a.localeCompare(b))),
    hostPeakMemoryMiB,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const s = parseArgs(process.argv.slice(2));
  const emu = await startEmulator({ port: 0, rateLimit: { perSecond: s.rate }, faults: { rules: [{ method: "*", path: "**", latencyMs: s.latencyMs }] } });
  const client = new EmulatorClient(emu);
  const dir = mkdtempSync(path.join(tmpdir(), "vobiz-bench-"));
  try {
    // Inventory and money for any scale: numbers +91 79 xxxxxxxx (Ahmedabad), cheap, plenty of balance.
    const inventory = Array.from({ length: s.numbers }, (_, i) => ({
      e164: `+9179${String(10_000_000 + i)}`, country: "IN", region: "Ahmedabad", setup_fee: 10, monthly_fee: 50, currency: "INR",
    }));
    const seeded = await fetch(`${emu.url}/__emulator/seed`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inventory, balances: { INR: 10_000_000 } }),
    });
    if (!seeded.ok) throw new Error(`seeding the emulator failed: ${await seeded.text()}`);
    const stateFile = path.join(dir, "state.json");
    const stack = new Stack({
      project: "vobiz-bench",
      stack: "bench",
      programDir: quickstartDir,
      stateFile,
      config: { "vobiz:endpoint": emu.url, "vobiz:authId": emu.authId },
      secretConfig: { "vobiz:authToken": emu.authToken },
      env: { VOBIZ_INFLIGHT_DIR: path.join(dir, "inflight") },
      parallel: s.parallel,
    });
    const prog = program(s, inventory.map((n) => n.e164));
    const phases: Phase[] = [];
    phases.push(await runPhase("up", stack, client, s.rate, () => stack.up(prog)));
    const state = JSON.parse(readFileSync(stateFile, "utf8"));
    const custom = state.resources.filter((r: any) => r.custom);
    const providerBytes = custom.map((r: any) => Buffer.byteLength(JSON.stringify(r.inputs.__provider ?? "")));
    const stateBytes = statSync(stateFile).size;
    phases.push(await runPhase("no-op up", stack, client, s.rate, () => stack.up(prog)));
    phases.push(await runPhase("refresh", stack, client, s.rate, () => stack.refresh()));
    phases.push(await runPhase("destroy", stack, client, s.rate, () => stack.destroy()));
    const leftovers = await client.state();
    const left =
      leftovers.trunks.length + leftovers.credentials.length + leftovers.ip_acl.length + leftovers.origination_uris.length +
      leftovers.numbers.filter((n: { account_id: string | null; status: string }) => n.account_id && n.status === "active").length +
      leftovers.accounts.filter((a: { parent_auth_id: string | null }) => a.parent_auth_id).length;
    const result = {
      settings: (({ json, ...shown }) => shown)(s),
      resources: custom.length,
      providerBytesPerResource: Math.max(...providerBytes),
      stateFileBytes: stateBytes,
      phases,
      leftAfterDestroy: left,
    };
    if (s.json) {
      process.stdout.write(JSON.stringify(result) + "\n");
      return;
    }
    print(result);
  } finally {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(r: { settings: Omit<Settings, "json">; resources: number; providerBytesPerResource: number; stateFileBytes: number; phases: Phase[]; leftAfterDestroy: number }): void {
  const s = r.settings;
  const out: string[] = [];
  out.push(`stack: ${r.resources} resources (1 sub-account, ${s.trunks} trunks + credentials, ${s.whitelists} whitelists x ${s.addresses} addresses, ${s.numbers} numbers)`);
  out.push(`API: ${s.latencyMs} ms latency, ${s.rate} requests/s per account (429 + Retry-After beyond); up runs ${s.parallel} steps in parallel`);
  out.push("");
  out.push("phase      wall s  accepted  429s  bound s  wall/bound  host peak MiB   (accepted: calls answered without 429)");
  for (const p of r.phases) {
    out.push(
      `${p.phase.padEnd(9)} ${p.wallSeconds.toFixed(1).padStart(7)} ${String(p.acceptedCalls).padStart(9)} ${String(p.rateLimited).padStart(5)} ${p.lowerBoundSeconds.toFixed(1).padStart(8)} ${(p.lowerBoundSeconds ? p.ratio.toFixed(2) : "-").padStart(11)} ${p.hostPeakMemoryMiB.toFixed(1).padStart(14)}`,
    );
  }
  for (const p of r.phases) {
    out.push("", `${p.phase}: calls by route`);
    for (const [k, n] of Object.entries(p.byRoute)) out.push(`  ${String(n).padStart(6)}  ${k}`);
  }
  out.push("", `serialized provider: ${r.providerBytesPerResource} bytes per resource (the largest); state file: ${r.stateFileBytes} bytes`);
  out.push(`left after destroy: ${r.leftAfterDestroy} objects (trunks, credentials, IP ACL entries, origination URIs, active numbers, sub-accounts)`);
  process.stdout.write(out.join("\n") + "\n");
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
