// The operations report (VOBIZ_REPORT_FILE) after a run under injected faults: its counts match
// the emulator's own request log, endpoint by endpoint and status by status, and its money and
// object figures match what the run did.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as vobiz from "pulumi-vobiz";
import { quickstart } from "../examples/quickstart/program";
import { RunningEmulator } from "../emulator";
import { routeOf } from "../provider/client/route";
import { Stack } from "./harness";
import { EmulatorClient, newStack, startTestEmulator } from "./support";

const absorbing = {
  "vobiz:maxRetries": "10",
  "vobiz:maxRateLimitWaits": "20",
  "vobiz:breakerThreshold": "1000",
  "vobiz:retryBaseMs": "5",
  "vobiz:maxRetryAfterSeconds": "1",
};

describe("operations report", () => {
  let emu: RunningEmulator;
  let client: EmulatorClient;
  let numbers: string[];
  let stack: Stack;
  const dir = mkdtempSync(path.join(tmpdir(), "vobiz-report-"));

  before(async () => {
    ({ emu, client } = await startTestEmulator());
    numbers = await client.inventory("IN", 2);
  });
  after(async () => {
    await emu.close();
  });

  const program = () => quickstart({ numbers, sipPassword: "Rep0rt#2027", pbxAddresses: ["49.36.12.10", "49.36.12.11"] });

  it("after a faulty up, counts every request by endpoint and status exactly as the emulator logged them", async () => {
    const file = path.join(dir, "up", "vobiz-report.json");
    // 5xx and 429 only: both sides see the same status (a dropped connection is 0 to the client but committed on the server).
    await client.setFaults([{ method: "*", path: "**", errorRate: 0.2, errorStatuses: [502, 503], rate429: 0.15, retryAfterSeconds: 1 }], 7);
    await client.clearRequests();
    stack = newStack(emu, "report", { VOBIZ_REPORT_FILE: file }, { config: absorbing, parallel: 3 });
    const up = await stack.up(program);
    await client.clearFaults();
    const log = await client.requests();
    const report = JSON.parse(readFileSync(file, "utf8"));

    const expected: Record<string, Record<string, number>> = {};
    for (const q of log) {
      const byStatus = (expected[routeOf(q.method, q.path)] ??= {});
      byStatus[q.status] = (byStatus[q.status] ?? 0) + 1;
    }
    const got = Object.fromEntries(Object.entries(report.endpoints as Record<string, { byStatus: Record<string, number> }>).map(([k, v]) => [k, v.byStatus]));
    assert.deepEqual(got, expected);
    assert.ok(log.some((q) => q.status >= 500) && log.some((q) => q.status === 429), "the faults fired");
    assert.equal(report.requests, log.length);
    assert.equal(report.rateLimited, log.filter((q) => q.status === 429).length);
    assert.equal(report.successRate, Math.round((log.filter((q) => q.status < 400).length / log.length) * 10_000) / 10_000);
    assert.ok(report.retries > 0 && report.rateLimitWaitMs > 0);
    assert.equal(report.breakerOpenings, 0);
    for (const e of Object.values(report.endpoints as Record<string, { latencyMs: Record<string, number> }>)) {
      assert.ok(e.latencyMs.p50 <= e.latencyMs.p90 && e.latencyMs.p90 <= e.latencyMs.p99 && e.latencyMs.p99 <= e.latencyMs.max);
    }

    // Money: what the emulator debited for the purchases.
    const st = await client.state();
    const debits = st.transactions.filter((t: any) => t.reference_type === "did_purchase");
    const total = Math.round(debits.reduce((n: number, t: any) => n + t.amount, 0) * 100) / 100;
    assert.deepEqual(report.money.spent, { INR: total });
    assert.equal(report.money.numbersBought, 2);
    const created = up.steps.filter((s) => s.op === "create").length;
    const objects = Object.values(report.objects as Record<string, { created: number }>).reduce((n, o) => n + o.created, 0);
    assert.equal(objects, created);
    assert.ok(!JSON.stringify(report).includes("Rep0rt#2027") && !JSON.stringify(report).includes(emu.authToken), "no secret in the report");
  });

  it("destroy writes its own report with the numbers released and their fees", async () => {
    const file = path.join(dir, "destroy.json");
    stack.setEnv("VOBIZ_REPORT_FILE", file);
    await stack.destroy();
    const report = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(report.money.numbersReleased, 2);
    assert.deepEqual(report.money.released, { INR: 1400 });
    assert.ok(Object.values(report.objects as Record<string, { deleted: number }>).reduce((n, o) => n + o.deleted, 0) >= 5);
  });

  // Paths that cannot be written: the run goes on, warns once, and leaves nothing behind. Under /proc,
  // Node 20's recursive mkdir never returned (the host spun until killed).
  for (const [what, file] of [
    ["a folder that cannot be made", "/proc/no-such-folder/report.json"],
    ["a path that is a folder", path.join(dir, "a-folder")],
  ]) {
    it(`a report path to ${what} is warned about and the run finishes`, { timeout: 60_000 }, async () => {
      if (file.startsWith(dir)) mkdirSync(file, { recursive: true });
      const stack = newStack(emu, `badreport-${readdirSync(dir).length}`, { VOBIZ_REPORT_FILE: file });
      const trunk = () => {
        new vobiz.Trunk("main", { name: "report-path" });
      };
      const r = await stack.up(trunk);
      const warnings = r.logs.filter((l) => l.message.includes("cannot write the operations report"));
      assert.equal(warnings.length, 1, JSON.stringify(r.logs.map((l) => l.message)));
      assert.match(warnings[0].message, new RegExp(`cannot write the operations report to ${file.replace(/[/.]/g, "\\$&")}: (ENOENT|EISDIR|EACCES)`));
      await stack.destroy();
      if (file.startsWith(dir)) assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
    });
  }

  it("without VOBIZ_REPORT_FILE nothing is written", async () => {
    const file = path.join(dir, "none.json");
    const stack = newStack(emu, "noreport");
    await stack.preview(program);
    assert.equal(existsSync(file), false);
  });
});
