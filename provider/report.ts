// The operations report (vobiz:reportFile / VOBIZ_REPORT_FILE): one JSON file per provider host,
// rewritten at the end of each provider operation, so CI can keep it as an artifact whatever
// happens next: requests by endpoint and status, success rate, latency percentiles, retries,
// 429s and their waits, breaker openings, money spent and released, objects changed.
import * as path from "node:path";
import { metrics } from "./client/guards";
import { writeFileAtomically } from "./files";
import { ledger } from "./money";

interface EndpointFigures {
  byStatus: Record<string, number>;
  latenciesMs: number[];
}

const endpoints = new Map<string, EndpointFigures>();
const objects: Record<string, Record<string, number>> = {};
const startedAt = new Date().toISOString();

/** One API attempt (status 0: no response). */
export function recordRequest(route: string, status: number, latencyMs: number): void {
  let e = endpoints.get(route);
  if (!e) endpoints.set(route, (e = { byStatus: {}, latenciesMs: [] }));
  e.byStatus[status] = (e.byStatus[status] ?? 0) + 1;
  e.latenciesMs.push(latencyMs);
}

/** A provider operation that succeeded: created, updated, deleted, or a replacement planned by diff. */
export function recordObject(typeName: string, what: "created" | "updated" | "deleted" | "replacementsPlanned"): void {
  const t = (objects[typeName] ??= { created: 0, updated: 0, deleted: 0, replacementsPlanned: 0 });
  t[what]++;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function buildReport(): Record<string, unknown> {
  const m = metrics();
  let requests = 0;
  let succeeded = 0;
  const perEndpoint: Record<string, unknown> = {};
  for (const [route, e] of [...endpoints].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...e.latenciesMs].sort((a, b) => a - b);
    const ok = Object.entries(e.byStatus).reduce((n, [s, c]) => n + (Number(s) > 0 && Number(s) < 400 ? c : 0), 0);
    requests += sorted.length;
    succeeded += ok;
    perEndpoint[route] = {
      requests: sorted.length,
      byStatus: e.byStatus,
      latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
    };
  }
  const byCurrency = (map: Map<string, number>) => Object.fromEntries([...map].filter(([, v]) => v !== 0));
  return {
    startedAt,
    writtenAt: new Date().toISOString(),
    requests,
    successRate: requests ? Math.round((succeeded / requests) * 10_000) / 10_000 : 1,
    endpoints: perEndpoint,
    retries: m.retries,
    rateLimited: m.rateLimited,
    rateLimitWaitMs: m.rateLimitWaitMs,
    throttleWaitMs: m.throttleWaitMs,
    breakerOpenings: m.breakerOpens,
    breakerRejections: m.breakerRejections,
    recoveredWrites: m.recoveredWrites,
    money: { spent: byCurrency(ledger.charged), released: byCurrency(ledger.released), numbersBought: ledger.bought, numbersReleased: ledger.releasedCount },
    objects,
  };
}

let warned = false;

/** Rewrites the report (atomically) if a report file is configured; a failure is warned about once. */
export function writeReport(file: string | undefined, warn: (message: string) => void): void {
  if (!file) return;
  try {
    writeFileAtomically(path.resolve(file), JSON.stringify(buildReport(), null, 2) + "\n");
  } catch (e) {
    if (!warned) warn(`cannot write the operations report to ${file}: ${(e as Error).message}`);
    warned = true;
  }
}
