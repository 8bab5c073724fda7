#!/usr/bin/env node
// Command-line entry point: `node dist/emulator/cli.js --port 8080 --state state.json`.
import { FaultRule, parseFaultRule } from './faults';
import { IDEMPOTENCY_MODES, parseIdempotencyMode } from './idempotency';
import { EmulatorOptions, EmulatorOptionsError, startEmulator } from './index';

const USAGE = `Usage: node dist/emulator/cli.js [options]
  --port N                             listen port (default 0 = ephemeral)
  --host H                             listen host (default 127.0.0.1)
  --auth-id A                          main account auth id (default $VOBIZ_AUTH_ID or MA_EMULATOR)
  --auth-token T                       main account token (default $VOBIZ_AUTH_TOKEN or emulator-secret-token)
  --state FILE                         persist state as JSON in FILE
  --lenient-casing                     accept lower-case /account/ for the /Account/ routes
  --insufficient-balance-status 402    answer insufficient-balance purchases with 402 instead of 500
  --fault 'METHOD PATH key=value ...'  inject faults into matching API requests (repeatable; rules apply in order)
                                         METHOD: GET, POST, PUT, DELETE or *; PATH: glob, * = one segment, ** = any
                                         keys: latencyMs jitterMs errorRate errorStatuses=500,502,503,504 rate429
                                         burst429 retryAfterSeconds retryAfterForm=seconds|date resetRate hangRate
                                         commitDropRate commitHangRate skip times
                                         e.g. --fault 'POST /api/v1/Account/*/trunks errorRate=0.5 times=3'
  --fault-seed N                       seed for the fault PRNG (same seed + same requests = same faults)
  --idempotency ignore|honour          honour: replay the stored reply for a repeated Idempotency-Key (default ignore)
  --rate-limit N                       answer 429 with Retry-After beyond N requests per second per account (default: no limit)
  --help                               show this help`;

function usage(message?: string): never {
  if (message) process.stderr.write(`error: ${message}\n`);
  process.stderr.write(USAGE + '\n');
  process.exit(2);
}

const asNumber = (v: string): number | string => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

// `--fault 'POST /api/v1/Account/*/trunks errorRate=0.5 errorStatuses=502,503'` → a validated rule.
// Numbers stay numbers; anything else stays a string so validation can name the bad field.
export function parseFaultFlag(spec: string, bad: (message: string) => never): FaultRule {
  const where = `--fault '${spec}'`;
  const [method, path, ...pairs] = spec.trim().split(/\s+/);
  if (!method || !path) bad(`${where}: expected 'METHOD PATH key=value ...'`);
  const rule: Record<string, unknown> = { method, path };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) bad(`${where}: expected key=value, got ${pair}`);
    const key = pair.slice(0, eq);
    const v = pair.slice(eq + 1);
    if (key in rule) bad(`${where}: ${key} given twice`);
    rule[key] = key === 'retryAfterForm' ? v : key === 'errorStatuses' ? v.split(',').map(asNumber) : asNumber(v);
  }
  return parseFaultRule(rule, where, bad);
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): EmulatorOptions {
  const o: EmulatorOptions = { authId: env.VOBIZ_AUTH_ID || undefined, authToken: env.VOBIZ_AUTH_TOKEN || undefined };
  const rules: FaultRule[] = [];
  let seed: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 65535) usage(`invalid port ${v}`);
        o.port = Number(v);
        break;
      }
      case '--host': o.host = value(); break;
      case '--auth-id': o.authId = value(); break;
      case '--auth-token': o.authToken = value(); break;
      case '--state': o.statePath = value(); break;
      case '--lenient-casing': o.lenientCasing = true; break;
      case '--insufficient-balance-status': {
        const v = value();
        if (v !== '402' && v !== '500') usage('--insufficient-balance-status must be 402 or 500');
        o.insufficientBalanceStatus = Number(v) as 402 | 500;
        break;
      }
      case '--fault': rules.push(parseFaultFlag(value(), usage)); break;
      case '--fault-seed': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) usage(`--fault-seed must be an integer from 0 to 4294967295, got ${v}`);
        seed = Number(v);
        break;
      }
      case '--idempotency': o.idempotency = parseIdempotencyMode(value(), () => usage(`--idempotency must be one of: ${IDEMPOTENCY_MODES.join(', ')}`)); break;
      case '--rate-limit': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 100_000) usage(`--rate-limit must be an integer from 0 to 100000, got ${v}`);
        o.rateLimit = { perSecond: Number(v) };
        break;
      }
      case '--help': case '-h':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
      default:
        usage(`unknown argument ${flag}`);
    }
  }
  if (rules.length > 0 || seed !== undefined) o.faults = seed === undefined ? { rules } : { rules, seed };
  return o;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2), process.env);
  let emu;
  try {
    emu = await startEmulator(opts);
  } catch (e) {
    if (e instanceof EmulatorOptionsError) usage(e.message);
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  }
  // Never print the token.
  process.stdout.write(`Vobiz emulator listening on ${emu.url} (auth id ${emu.authId})\n`);
  const stop = () => void emu.close().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) void main();
