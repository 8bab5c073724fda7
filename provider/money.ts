// Money guardrails for one provider host (one Pulumi operation): the spend limit per run, the
// balance check before a purchase, the low-balance warning, and the run's money figures for the
// preview cost lines and the operations report.
import { VobizApi } from "./client/api";
import { NumberObject } from "./client/schemas";

export interface Money {
  amount: number;
  currency: string;
}

const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/** "5000 INR" (also "INR 5000") → {amount, currency}; undefined when not set. */
export function parseMoney(setting: string, raw: string | undefined): Money | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const m = /^\s*(?:(\d+(?:\.\d{1,2})?)\s*([A-Z]{3})|([A-Z]{3})\s*(\d+(?:\.\d{1,2})?))\s*$/.exec(raw);
  if (!m) throw new Error(`vobiz:${setting} must be an amount and an ISO 4217 currency, such as "5000 INR"; got "${raw}"`);
  const currency = m[2] ?? m[3];
  if (!CURRENCIES.has(currency)) throw new Error(`vobiz:${setting}: ${currency} is not an ISO 4217 currency code; got "${raw}"`);
  return { amount: Number(m[1] ?? m[4]), currency };
}

/** "700 INR, 10 USD" → {INR: 700, USD: 10}. */
export function parseFees(setting: string, raw: string | undefined): Record<string, number> | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const out: Record<string, number> = {};
  for (const part of raw.split(",")) {
    const m = parseMoney(setting, part);
    if (!m) throw new Error(`vobiz:${setting} must list amounts with currencies separated by single commas, such as "700 INR, 10 USD"; got "${raw}"`);
    if (m.currency in out) throw new Error(`vobiz:${setting} lists ${m.currency} twice; got "${raw}"`);
    out[m.currency] = m.amount;
  }
  return out;
}

export const fmt = (amount: number, currency: string) => `${round(amount).toFixed(2)} ${currency}`;
const round = (n: number) => Math.round(n * 100) / 100;

export interface MoneySettings {
  maxSpendPerRun?: Money;
  lowBalanceThreshold?: Money;
  /** Release fee per currency. ASSUMPTION: Vobiz fees are account-specific and not readable before a release; 700 INR is the documented example. */
  releaseFees: Record<string, number>;
}

const BALANCE_TTL_MS = 60_000; // the Vobiz guidance: cache balance one minute

/** What this run has bought, reserved and released, per currency. */
class RunLedger {
  /** Committed and in-flight purchases (an in-flight one may have been charged). */
  spent = new Map<string, number>();
  /** Purchases answered by the API in this run. */
  charged = new Map<string, number>();
  released = new Map<string, number>();
  bought = 0;
  releasedCount = 0;
  private balances = new Map<string, { available: number; threshold: number; at: number; spentAtRead: number }>();

  spentIn(currency: string): number {
    return this.spent.get(currency) ?? 0;
  }

  /** The available balance as of now: the last read (at most a minute old) less this run's spending since. */
  async available(api: VobizApi, currency: string, now: number): Promise<{ available: number; threshold: number }> {
    let b = this.balances.get(currency);
    if (!b || now - b.at >= BALANCE_TTL_MS) {
      const read = await api.getBalance(currency);
      b = { available: read.available_balance, threshold: read.low_balance_threshold ?? 0, at: now, spentAtRead: this.spentIn(currency) };
      this.balances.set(currency, b);
    }
    return { available: round(b.available - (this.spentIn(currency) - b.spentAtRead)), threshold: b.threshold };
  }

}

/** Adds an amount to a per-currency total. */
export function addTo(map: Map<string, number>, currency: string, amount: number): void {
  map.set(currency, round((map.get(currency) ?? 0) + amount));
}

export const ledger = new RunLedger();

/** One purchase at a time passes the checks, so two parallel purchases cannot both fit a limit meant for one. */
let purchaseQueue: Promise<unknown> = Promise.resolve();

/**
 * Checks a purchase against the spend limit and the balance, then reserves its price. Throws a
 * message with the figures when it must not be sent; returns a release for a purchase that then
 * definitely failed (nothing charged).
 */
export function reservePurchase(
  api: VobizApi,
  settings: MoneySettings,
  n: NumberObject,
  warn: (message: string) => void,
  now: () => number = Date.now,
): Promise<{ committed(): void; cancel(): void }> {
  const run = purchaseQueue.then(async () => {
    const price = round(n.setup_fee + n.monthly_fee);
    const cur = n.currency;
    const what = `${n.e164} costs ${fmt(price, cur)} (setup ${fmt(n.setup_fee, cur)} + first month ${fmt(n.monthly_fee, cur)})`;
    const limit = settings.maxSpendPerRun;
    if (limit) {
      if (limit.currency !== cur) {
        throw new Error(`vobiz:maxSpendPerRun is ${fmt(limit.amount, limit.currency)}, which cannot bound a purchase in ${cur}: ${what}; not bought`);
      }
      const spent = ledger.spentIn(cur);
      if (spent + price > limit.amount) {
        throw new Error(`spend limit reached: vobiz:maxSpendPerRun is ${fmt(limit.amount, cur)}, this run has spent ${fmt(spent, cur)}, and ${what}; not bought`);
      }
    }
    const { available, threshold } = await ledger.available(api, cur, now());
    if (price > available) throw new Error(`insufficient balance: need ${fmt(price, cur)}, available ${fmt(available, cur)} (${what}); not bought`);
    addTo(ledger.spent, cur, price);
    return {
      /** The purchase was answered: count it, and warn when the balance left is below the threshold. */
      committed() {
        ledger.bought++;
        addTo(ledger.charged, cur, price);
        const after = round(available - price);
        const low = settings.lowBalanceThreshold?.currency === cur ? settings.lowBalanceThreshold.amount : threshold;
        if (low > 0 && after < low) warn(`low balance: after buying ${n.e164} the ${cur} balance is ${fmt(after, cur)}, below the low-balance threshold of ${fmt(low, cur)}`);
      },
      /** The purchase definitely did not happen: give the reserved amount back. */
      cancel() {
        addTo(ledger.spent, cur, -price);
      },
    };
  });
  purchaseQueue = run.catch(() => undefined);
  return run;
}

/** What the checks and diffs of this run plan to buy and release (the preview cost lines). */
const plan = { buys: new Set<string>(), setup: new Map<string, number>(), monthly: new Map<string, number>(), releases: new Set<string>(), fees: new Map<string, number>() };

const sum = (m: Map<string, number>) => (m.size ? [...m].map(([cur, v]) => fmt(v, cur)).join(" + ") : "0");

/** The run's total so far: the last such line of a run is its total. */
export function planTotal(): string {
  return (
    `this update buys ${plan.buys.size} ${plan.buys.size === 1 ? "number" : "numbers"}: ${sum(plan.setup)} setup + ${sum(plan.monthly)} per month; ` +
    `releases ${plan.releases.size} ${plan.releases.size === 1 ? "number" : "numbers"}: ${sum(plan.fees)} in fees`
  );
}

/** Records a planned purchase (once per number) and returns its cost line. */
export function planPurchase(n: NumberObject): string {
  if (!plan.buys.has(n.e164)) {
    plan.buys.add(n.e164);
    addTo(plan.setup, n.currency, n.setup_fee);
    addTo(plan.monthly, n.currency, n.monthly_fee);
  }
  return `buys ${n.e164}: setup ${fmt(n.setup_fee, n.currency)} + ${fmt(n.monthly_fee, n.currency)} per month (the first month is charged with the setup)`;
}

/** Records a planned release (once per number) and returns its cost line. */
export function planRelease(settings: MoneySettings, e164: string, currency: string): string {
  const fee = settings.releaseFees[currency];
  if (!plan.releases.has(e164)) {
    plan.releases.add(e164);
    if (fee !== undefined) addTo(plan.fees, currency, fee);
  }
  return fee === undefined
    ? `releases ${e164}: release fee unknown for ${currency} (set vobiz:releaseFees, e.g. "700 INR, 10 USD")`
    : `releases ${e164}: release fee ${fmt(fee, currency)} (cancellable for 24 hours)`;
}
