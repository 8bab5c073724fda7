#!/usr/bin/env node
// Command-line entry point: `node dist/emulator/cli.js --port 8080 --state state.json`.
import { EmulatorOptions, EmulatorOptionsError, startEmulator } from './index';

const USAGE = `Usage: node dist/emulator/cli.js [options]
  --port N                             listen port (default 0 = ephemeral)
  --host H                             listen host (default 127.0.0.1)
  --auth-id A                          main account auth id (default $VOBIZ_AUTH_ID or MA_EMULATOR)
  --auth-token T                       main account token (default $VOBIZ_AUTH_TOKEN or emulator-secret-token)
  --state FILE                         persist state as JSON in FILE
  --lenient-casing                     accept lower-case /account/ for the /Account/ routes
  --insufficient-balance-status 402    answer insufficient-balance purchases with 402 instead of 500
  --help                               show this help`;

function usage(message?: string): never {
  if (message) process.stderr.write(`error: ${message}\n`);
  process.stderr.write(USAGE + '\n');
  process.exit(2);
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): EmulatorOptions {
  const o: EmulatorOptions = { authId: env.VOBIZ_AUTH_ID || undefined, authToken: env.VOBIZ_AUTH_TOKEN || undefined };
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
      case '--help': case '-h':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
      default:
        usage(`unknown argument ${flag}`);
    }
  }
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
