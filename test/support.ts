// Shared test helpers: an emulator per test file, direct API access to it (so assertions do
// not go through the provider), and a quickstart stack wired to it.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { RunningEmulator, startEmulator } from "../emulator";
import { Stack } from "./harness";

export const repoRoot = path.resolve(__dirname, "..", "..");
export const quickstartDir = path.join(repoRoot, "examples", "quickstart");

export class EmulatorClient {
  constructor(readonly emu: RunningEmulator) {}

  async api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.emu.url}/api/v1${p}`, {
      method,
      headers: { "X-Auth-ID": this.emu.authId, "X-Auth-Token": this.emu.authToken, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  account(p: string): string {
    return `/Account/${this.emu.authId}${p}`;
  }

  async state(): Promise<any> {
    return (await fetch(`${this.emu.url}/__emulator/state`)).json();
  }

  async requests(): Promise<Array<{ method: string; path: string; query: string; status: number; idempotency_key: string | null; fault: string | null; at: number }>> {
    return ((await (await fetch(`${this.emu.url}/__emulator/requests`)).json()) as any).requests;
  }

  async clearRequests(): Promise<void> {
    await fetch(`${this.emu.url}/__emulator/requests`, { method: "DELETE" });
  }

  async writes() {
    return (await this.requests()).filter((r) => r.method !== "GET");
  }

  async sipAuth(trunkId: string, username: string, password: string): Promise<{ ok: boolean; reason?: string }> {
    const res = await fetch(`${this.emu.url}/__emulator/sip-auth`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ trunk_id: trunkId, username, password }),
    });
    return (await res.json()) as { ok: boolean; reason?: string };
  }

  /** Where an inbound call to `e164` would go: its trunk and the origination URIs Vobiz would try. */
  async inboundRoute(e164: string): Promise<{ ok: boolean; reason?: string; trunk_id?: string; targets?: string[] }> {
    return (await this.adminCall("POST", "inbound-route", { e164 })) as { ok: boolean; reason?: string; trunk_id?: string; targets?: string[] };
  }

  /** Replace the emulator's fault rules (see emulator/faults.ts); throws on a rejected rule. */
  async setFaults(rules: object[], seed?: number): Promise<void> {
    await this.adminCall("PUT", "faults", { rules, seed });
  }

  async clearFaults(): Promise<void> {
    await this.adminCall("DELETE", "faults");
  }

  async setIdempotency(mode: "ignore" | "honour"): Promise<void> {
    await this.adminCall("PUT", "idempotency", { mode });
  }

  private async adminCall(method: string, p: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.emu.url}/__emulator/${p}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const out = await res.json();
    if (!res.ok) throw new Error(`${method} /__emulator/${p} → ${res.status} ${JSON.stringify(out)}`);
    return out;
  }

  async inventory(country: string, count: number): Promise<string[]> {
    const r = await this.api("GET", this.account(`/inventory/numbers?country=${country}&per_page=${count}`));
    return r.body.items.map((n: { e164: string }) => n.e164);
  }
}

export async function startTestEmulator() {
  const emu = await startEmulator({ port: 0 });
  return { emu, client: new EmulatorClient(emu) };
}

export function newStack(
  emu: RunningEmulator,
  name = "test",
  env: Record<string, string> = {},
  extra: { parallel?: number; config?: Record<string, string>; stateFile?: string; programDir?: string; project?: string } = {},
): Stack {
  const dir = mkdtempSync(path.join(tmpdir(), "vobiz-stack-"));
  return new Stack({
    project: extra.project ?? "vobiz-quickstart",
    stack: name,
    programDir: extra.programDir ?? quickstartDir,
    stateFile: extra.stateFile ?? path.join(dir, "state.json"),
    config: { "vobiz:endpoint": emu.url, "vobiz:authId": emu.authId, "vobiz:retryBaseMs": "20", ...extra.config },
    secretConfig: { "vobiz:authToken": emu.authToken },
    // Each stack keeps its own in-flight create records, as separate CI workspaces would.
    env: { VOBIZ_INFLIGHT_DIR: path.join(dir, "inflight"), ...env },
    parallel: extra.parallel,
  });
}

/** Back to the seeded state with an empty request log (fault rules stay as set). */
export async function resetEmulator(emu: RunningEmulator): Promise<void> {
  await fetch(`${emu.url}/__emulator/reset`, { method: "POST" });
}
