import { z } from "zod";
import { NumberObject } from "../client/schemas";
import { VobizApiError } from "../client/errors";
import { Ctx, Props, ResourceSpec, unlessNotFound } from "../lifecycle";
import { e164, uuidRef } from "../validation";
import { assign, numberClaimRule, ownedNumber, reroute, updateRoute } from "./numbers";

const schema = z.object({
  number: e164,
  trunkId: uuidRef,
  // Routing a number the account owns is itself a takeover of the route, and destroy gives back the
  // route it found; an `adopt` switch would have nothing left to decide, so it is refused, not ignored.
  adopt: z
    .unknown()
    .refine((v) => v === undefined, "NumberRoute takes no adopt: it always routes a number the account already owns, and destroy restores the route it found")
    .optional(),
});
type RouteInputs = z.infer<typeof schema>;

function liveFields(n: NumberObject): Props {
  return { numberId: n.id, status: n.status, trunkId: n.trunk_group_id || undefined };
}

async function held(ctx: Ctx, number: string): Promise<NumberObject> {
  const n = await ownedNumber(ctx, number);
  if (n) return n;
  throw new Error(
    `${number} is not a number this account holds (GET /Account/{auth_id}/numbers does not list it as active): ` +
      "NumberRoute only routes numbers the account already owns and never buys one; buy it first, or declare it with NumberPurchase " +
      "(whose trunkId routes it: a NumberPurchase of this number in the same stack is refused at its check)",
  );
}

export const numberRouteSpec: ResourceSpec<RouteInputs> = {
  typeName: "NumberRoute",
  schema,
  fields: { number: "replace", trunkId: "update" },
  checkRules: numberClaimRule("NumberRoute"),
  async create(ctx, inputs) {
    const n = await held(ctx, inputs.number);
    // What destroy gives back: the trunk the number was routed to before this resource, if any.
    const previousTrunkId = n.trunk_group_id || undefined;
    await reroute(ctx, inputs.number, previousTrunkId, inputs.trunkId);
    return { id: inputs.number, outs: { ...liveFields(n), trunkId: inputs.trunkId, previousTrunkId } };
  },
  async read(ctx, id) {
    const n = await ownedNumber(ctx, id);
    return n && liveFields(n);
  },
  update: updateRoute,
  async delete(ctx, id, outs) {
    const previous = outs.previousTrunkId as string | undefined;
    const n = await ownedNumber(ctx, id);
    if (!n) {
      ctx.warn(`${id} is no longer held by this account, so there is no route to give back`);
      return;
    }
    const live = n.trunk_group_id || undefined;
    if (live && live !== outs.trunkId && live !== previous) {
      // Someone moved it since: taking it away from them is not this resource's to do.
      ctx.warn(`${id} is routed to trunk ${live}, which neither this resource nor the route before it set (changed outside this stack); leaving it there`);
      return;
    }
    if (live === previous) return;
    if (live) await unlessNotFound(ctx.api.unassignNumber(id));
    if (!previous) return;
    try {
      await assign(ctx, id, previous);
    } catch (e) {
      if (!(e instanceof VobizApiError && e.status === 404 && /trunk/i.test(`${e.code ?? ""} ${e.apiMessage}`))) throw e;
      ctx.warn(`${id} was routed to trunk ${previous} before this stack, but that trunk no longer exists, so ${id} is left unrouted`);
    }
  },
};
