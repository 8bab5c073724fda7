import { z } from "zod";
import { NumberObject } from "../client/schemas";
import { VobizApiError } from "../client/errors";
import * as pulumi from "@pulumi/pulumi";
import { moneySettings } from "../config";
import { Ctx, exactlyOne, isAmbiguous, PartialCreateError, Props, ResourceSpec, WriteOnceResult } from "../lifecycle";
import { addTo, fmt, ledger, planPurchase, planRelease, planTotal, reservePurchase } from "../money";
import { adoptByKey, e164, uuidRef } from "../validation";
import { assign, numberClaimRule, ownedNumber, updateRoute } from "./numbers";

const schema = z.object({
  number: e164,
  trunkId: uuidRef.optional(),
  // Release is not free and by default stays cancellable for 24 hours (notes §10.7).
  releaseImmediately: z.boolean().default(false),
  // Take over a number the account already holds instead of buying it; never bought, released on destroy.
  adopt: adoptByKey,
});
type NumberInputs = z.infer<typeof schema>;

function liveFields(n: NumberObject): Props {
  return {
    numberId: n.id,
    country: n.country,
    region: n.region ?? undefined,
    status: n.status,
    setupFee: n.setup_fee,
    monthlyFee: n.monthly_fee,
    currency: n.currency,
    trunkId: n.trunk_group_id || undefined,
  };
}

/**
 * Buys a number within the run's spend limit and the account's balance (checked before anything
 * is sent), once, even when the answer to the purchase is lost.
 */
async function purchase(ctx: Ctx, e164: string): Promise<NumberObject> {
  // Not for sale: nothing to check; the purchase below says why (or finds our own lost purchase).
  const offer = await ctx.api.inventoryNumber(e164);
  const reserved = offer && (await reservePurchase(ctx.api, moneySettings(), offer, (m) => ctx.warn(m)));
  try {
    const { value, byEarlierRun } = await purchaseOnce(ctx, e164);
    // Bought by an earlier, interrupted run: not paid by this one. A lost answer of this run was paid.
    if (byEarlierRun) reserved?.cancel();
    else reserved?.committed();
    return value;
  } catch (e) {
    // Refused outright: nothing was charged. After an unknown outcome the amount stays reserved.
    if (e instanceof VobizApiError && !isAmbiguous(e)) reserved?.cancel();
    throw e;
  }
}

async function purchaseOnce(ctx: Ctx, e164: string): Promise<WriteOnceResult<NumberObject>> {
  return ctx.writeOnce({
    what: `number ${e164}`,
    body: { e164 },
    // Never re-sent before a lookup: a purchase whose answer was lost has probably been charged.
    send: (key) => ctx.api.purchaseNumber(e164, key),
    // Held before our first send means someone else's: never adopted, never released by us.
    // A number we just bought has no route yet (we route it after create), so a routed one is not ours.
    candidates: {
      list: async () => {
        const n = await ownedNumber(ctx, e164, { now: true });
        return n && !n.trunk_group_id ? [n] : [];
      },
      idOf: (n) => n.e164,
    },
    // Buying a number we hold already answers "not found in inventory" (notes §2.7).
    alreadyDone: (e) => e.status === 404 && /inventory/i.test(e.apiMessage),
  });
}

/**
 * A number this account released less than 24 hours ago (out of band, or by an earlier destroy)
 * cannot be bought again, but the release can be undone, and Vobiz refunds its fee.
 */
async function restorePendingRelease(ctx: Ctx, e164: string): Promise<NumberObject | undefined> {
  const n = await ctx.api.findOwnedNumber(e164);
  if (n?.status !== "pending_release") return undefined;
  await ctx.api.cancelRelease(e164);
  ctx.warn(`${e164} was being released (its 24-hour cancellable window is still open): cancelled the release instead of buying it; Vobiz refunds the release fee`);
  return { ...n, status: "active", trunk_group_id: undefined };
}

const claimRule = numberClaimRule("NumberPurchase");

export const numberPurchaseSpec: ResourceSpec<NumberInputs> = {
  typeName: "NumberPurchase",
  schema,
  fields: { number: "replace", trunkId: "update", releaseImmediately: "update", adopt: "createOnly" },
  checkRules(ctx, inputs, unknown) {
    // A malformed money setting fails the preview too, not only the first purchase of an up.
    moneySettings();
    return claimRule(ctx, inputs, unknown);
  },
  planFields: ["number", "adopt"],
  async onPlan(ctx, plan) {
    let line: string;
    if ("creates" in plan) {
      if (plan.creates.adopt !== undefined) return; // takes over a number it holds: buys nothing
      const offer = await ctx.api.inventoryNumber(plan.creates.number);
      if (!offer) return; // not for sale: the create says why, or restores a pending release
      line = planPurchase(offer);
    } else {
      const old = plan.replaces;
      line = planRelease(moneySettings(), String(old.number), String(old.currency));
    }
    await pulumi.log.info(`${ctx.label}: ${line}; ${planTotal()}`);
  },
  async create(ctx, inputs) {
    const bought = (await restorePendingRelease(ctx, inputs.number)) ?? (await purchase(ctx, inputs.number));
    const outs = { ...liveFields(bought), trunkId: undefined }; // the lifecycle adds the inputs
    if (inputs.trunkId) {
      try {
        await assign(ctx, inputs.number, inputs.trunkId);
      } catch (e) {
        // The number is paid for: report it as created so it is tracked (and released on destroy).
        const why = `bought ${inputs.number} but routing it to trunk ${inputs.trunkId} failed: ${(e as Error).message}`;
        throw new PartialCreateError(why, inputs.number, outs);
      }
    }
    return { id: inputs.number, outs: { ...liveFields(bought), trunkId: inputs.trunkId } };
  },
  async adopt(ctx, inputs) {
    const n = exactlyOne(`${inputs.number} among the numbers this account holds`, [await ownedNumber(ctx, inputs.number)].filter((n) => n !== undefined), (n) => n.e164);
    // The live route: the update that follows moves it to the declared trunk (or removes it).
    return { id: n.e164, outs: liveFields(n) };
  },
  async read(ctx, id) {
    const n = await ownedNumber(ctx, id);
    return n && liveFields(n);
  },
  update: updateRoute,
  async delete(ctx, id, outs) {
    const immediate = outs.releaseImmediately === true;
    const currency = String(outs.currency);
    try {
      const answer = await ctx.api.releaseNumber(id, immediate);
      if (answer.release_fee) addTo(ledger.released, currency, answer.release_fee);
      ledger.releasedCount++;
      // The API's answer names the fee; without it, the configured fee is what Vobiz is expected to charge.
      const fee = answer.release_fee ?? moneySettings().releaseFees[currency];
      const charged = fee === undefined ? "Vobiz charges a release fee" : `release fee ${fmt(fee, currency)}`;
      ctx.warn(
        immediate
          ? `released ${id} immediately: ${charged}; this cannot be cancelled`
          : `released ${id}: ${charged}; the number stays cancellable for 24 hours (cancel-release in the console or API, or declare it again)`,
      );
    } catch (e) {
      // Released already (out of band, or a retried DELETE whose first answer was lost): the goal is met.
      if (e instanceof VobizApiError && e.status === 400 && /pending release|already released/i.test(e.apiMessage)) return;
      throw e;
    }
  },
};
