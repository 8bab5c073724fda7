import { z } from "zod";
import { NumberObject } from "../client/schemas";
import { VobizApiError } from "../client/errors";
import { PartialCreateError, Props, ResourceSpec, unlessNotFound } from "../lifecycle";
import { e164, uuidRef } from "../validation";

const schema = z.object({
  number: e164,
  trunkId: uuidRef.optional(),
  // Release is not free and by default stays cancellable for 24 hours (notes §10.7).
  releaseImmediately: z.boolean().default(false),
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

export const numberPurchaseSpec: ResourceSpec<NumberInputs> = {
  typeName: "NumberPurchase",
  schema,
  fields: { number: "replace", trunkId: "update", releaseImmediately: "update" },
  async create(ctx, inputs) {
    const bought = await ctx.api.purchaseNumber(inputs.number, ctx.idempotencyKey({ e164: inputs.number }));
    const outs = { ...liveFields(bought), trunkId: undefined }; // the lifecycle adds the inputs
    if (inputs.trunkId) {
      try {
        await ctx.api.assignNumber(inputs.number, inputs.trunkId);
      } catch (e) {
        // The number is paid for: report it as created so it is tracked (and released on destroy).
        const why = `bought ${inputs.number} but routing it to trunk ${inputs.trunkId} failed: ${(e as Error).message}`;
        throw new PartialCreateError(why, inputs.number, outs);
      }
    }
    return { id: inputs.number, outs: { ...liveFields(bought), trunkId: inputs.trunkId } };
  },
  async read(ctx, id) {
    const n = await ctx.api.findOwnedNumber(id);
    // A number in its release cooldown is no longer ours to manage.
    if (!n || n.status === "pending_release" || n.status === "released") return undefined;
    return liveFields(n);
  },
  async update(ctx, id, olds, news) {
    const previous = olds.trunkId as string | undefined;
    if (previous !== news.trunkId) {
      // Vobiz refuses to assign an assigned number, so the old route must go first (notes §10.5).
      if (previous) await unlessNotFound(ctx.api.unassignNumber(id));
      if (news.trunkId) {
        try {
          await ctx.api.assignNumber(id, news.trunkId);
        } catch (e) {
          // Never leave the number unrouted: put the old route back, then report.
          if (previous) await ctx.api.assignNumber(id, previous).catch(() => undefined);
          throw e;
        }
      }
    }
    return { trunkId: news.trunkId };
  },
  async delete(ctx, id, outs) {
    const immediate = outs.releaseImmediately === true;
    ctx.warn(
      immediate
        ? `releasing ${id} immediately: Vobiz charges a release fee and this cannot be cancelled`
        : `releasing ${id}: Vobiz charges a release fee; the number stays cancellable for 24 hours (cancel-release in the console or API)`,
    );
    try {
      await ctx.api.releaseNumber(id, immediate);
    } catch (e) {
      // Released already (out of band, or a retried DELETE whose first answer was lost): the goal is met.
      if (e instanceof VobizApiError && e.status === 400 && /pending release|already released/i.test(e.apiMessage)) return;
      throw e;
    }
  },
};
