// Provider settings. Credentials arrive only through configure() (stack config, secrets
// decrypted by the engine) or environment variables read here, never through the program,
// so they are never captured into the serialized provider.
import { VobizApi } from "./client/api";
import { assertEndpointAllowed, TransportSettings } from "./client/transport";
import { MoneySettings, parseFees, parseMoney } from "./money";

export const DEFAULT_ENDPOINT = "https://api.vobiz.ai";

type Lookup = (key: string) => string | undefined;

let stackConfig: Lookup = () => undefined;
let cachedApi: VobizApi | undefined;

/** Called by the shim's configure(); the host calls it once per provider text per process. */
export function setStackConfig(lookup: Lookup): void {
  stackConfig = lookup;
  cachedApi = undefined;
}

function setting(configKey: string, envKey: string): string | undefined {
  const v = stackConfig(`vobiz:${configKey}`) ?? process.env[envKey];
  return v === undefined || v === "" ? undefined : v;
}

const MAX_TIMER_MS = 2_147_483_647; // Node timers overflow above this and fire at once

function numberSetting(configKey: string, envKey: string, fallback: number, opts: { min?: number; integer?: boolean } = {}): number {
  const raw = setting(configKey, envKey);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  const min = opts.min ?? 0;
  if (!Number.isFinite(n) || n < min || n > MAX_TIMER_MS || (opts.integer && !Number.isInteger(n))) {
    throw new Error(`vobiz:${configKey} must be ${opts.integer ? "a whole number" : "a number"} from ${min} to ${MAX_TIMER_MS}; got "${raw}"`);
  }
  return n;
}

export function transportSettings(): TransportSettings {
  const authId = setting("authId", "VOBIZ_AUTH_ID");
  const authToken = setting("authToken", "VOBIZ_AUTH_TOKEN");
  if (!authId || !authToken) {
    const missing = [!authId && "vobiz:authId (or VOBIZ_AUTH_ID)", !authToken && "vobiz:authToken (or VOBIZ_AUTH_TOKEN)"].filter(Boolean);
    throw new Error(
      `Vobiz credentials are not configured: missing ${missing.join(" and ")}. ` +
        "Run `pulumi config set vobiz:authId MA_XXXXXXXX` and `pulumi config set --secret vobiz:authToken <token>`.",
    );
  }
  if (!/^(MA|SA)_[A-Z0-9]{8}$/.test(authId)) {
    throw new Error(`vobiz:authId must look like MA_XXXXXXXX or SA_XXXXXXXX (8 upper-case letters or digits); got "${authId}"`);
  }
  const endpoint = assertEndpointAllowed(setting("endpoint", "VOBIZ_ENDPOINT") ?? DEFAULT_ENDPOINT).origin;
  return {
    endpoint,
    authId,
    authToken,
    timeoutMs: numberSetting("requestTimeoutMs", "VOBIZ_REQUEST_TIMEOUT_MS", 30_000, { min: 1, integer: true }),
    retry: {
      maxRetries: numberSetting("maxRetries", "VOBIZ_MAX_RETRIES", 3, { integer: true }),
      maxRateLimitWaits: numberSetting("maxRateLimitWaits", "VOBIZ_MAX_RATE_LIMIT_WAITS", 10, { integer: true }),
      backoffBaseMs: numberSetting("retryBaseMs", "VOBIZ_RETRY_BASE_MS", 500, { integer: true }),
      maxRetryAfterSeconds: numberSetting("maxRetryAfterSeconds", "VOBIZ_MAX_RETRY_AFTER_SECONDS", 60),
      maxRetryTimeMs: numberSetting("maxRetryTimeMs", "VOBIZ_MAX_RETRY_TIME_MS", 300_000, { integer: true }),
    },
    guards: {
      breakerThreshold: numberSetting("breakerThreshold", "VOBIZ_BREAKER_THRESHOLD", 5, { min: 1, integer: true }),
      breakerCooldownMs: numberSetting("breakerCooldownMs", "VOBIZ_BREAKER_COOLDOWN_MS", 30_000, { min: 1, integer: true }),
      maxConcurrency: numberSetting("maxConcurrency", "VOBIZ_MAX_CONCURRENCY", 8, { min: 1, integer: true }),
      maxRequestsPerSecond: numberSetting("maxRequestsPerSecond", "VOBIZ_MAX_REQUESTS_PER_SECOND", 0, { integer: true }),
    },
    logRequests: setting("log", "VOBIZ_LOG")?.toLowerCase() === "debug",
  };
}

/**
 * One client per configuration, shared by every resource type in the host: settings are read and
 * checked once after configure(), not on every call. A configuration error is not cached, so it
 * is reported on every call until fixed.
 */
export function api(): VobizApi {
  cachedApi ??= new VobizApi(transportSettings());
  return cachedApi;
}

/** The spend limit, low-balance threshold and release fees (read on each use: cheap, and errors name the setting). */
export function moneySettings(): MoneySettings {
  return {
    maxSpendPerRun: parseMoney("maxSpendPerRun", setting("maxSpendPerRun", "VOBIZ_MAX_SPEND_PER_RUN")),
    lowBalanceThreshold: parseMoney("lowBalanceThreshold", setting("lowBalanceThreshold", "VOBIZ_LOW_BALANCE_THRESHOLD")),
    // ASSUMPTION: 700 INR, the release fee in the Vobiz docs' example answer; set yours.
    releaseFees: parseFees("releaseFees", setting("releaseFees", "VOBIZ_RELEASE_FEES")) ?? { INR: 700 },
  };
}

/** Where the operations report goes (undefined: none). */
export function reportFile(): string | undefined {
  return setting("reportFile", "VOBIZ_REPORT_FILE");
}
