// Number routing shared by NumberPurchase and NumberRoute: owned-number lookup, a once-only assign,
// moving a route, and the rule that one number is routed by one resource of a stack.
import { NumberObject } from "../client/schemas";
import { Ctx, Props, unlessNotFound } from "../lifecycle";

/**
 * The number if this account holds it (a number in its release cooldown no longer counts): from
 * the shared list, or with `now`, from a search sent now (for decisions about sending a write).
 */
export async function ownedNumber(ctx: Ctx, e164: string, opts: { now?: boolean } = {}): Promise<NumberObject | undefined> {
  const held = (n: NumberObject | undefined) => (n && n.status !== "pending_release" && n.status !== "released" ? n : undefined);
  if (opts.now) return held(await ctx.api.searchOwnedNumber(e164));
  // Missing from the shared list (gone, or skipped by paging while others change the account): ask now.
  return held(await ctx.api.findOwnedNumber(e164)) ?? held(await ctx.api.searchOwnedNumber(e164));
}

/** Routes a number to a trunk once, even when the answer to the assign call is lost. */
export async function assign(ctx: Ctx, e164: string, trunkId: string): Promise<void> {
  await ctx.writeOnce({
    what: `route of ${e164} to trunk ${trunkId}`,
    body: { assign: e164, trunkId },
    send: async () => (await ctx.api.assignNumber(e164, trunkId), true),
    find: async () => ((await ownedNumber(ctx, e164, { now: true }))?.trunk_group_id === trunkId ? true : undefined),
    alreadyDone: (e) => e.status === 400 && /already assigned/i.test(e.apiMessage),
  });
}

/** Moves a route from `previous` to `next` (either may be none), never leaving it unrouted on failure. */
export async function reroute(ctx: Ctx, e164: string, previous: string | undefined, next: string | undefined): Promise<void> {
  if (previous === next) return;
  // Vobiz refuses to assign an assigned number, so the old route must go first (notes §10.5).
  if (previous) await unlessNotFound(ctx.api.unassignNumber(e164));
  if (!next) return;
  try {
    await assign(ctx, e164, next);
  } catch (e) {
    // Put the old route back, then report.
    if (previous) await assign(ctx, e164, previous).catch(() => undefined);
    throw e;
  }
}

/** Update for resources whose only in-place change is the number's route (trunkId). */
export async function updateRoute(ctx: Ctx, id: string, olds: Props, news: { trunkId?: string }): Promise<Props> {
  await reroute(ctx, id, olds.trunkId as string | undefined, news.trunkId);
  return { trunkId: news.trunkId };
}

/**
 * Which resources of this run declare which number. Every resource is checked in the one provider
 * host of an operation before it is created or updated, so two resources for the same number
 * always meet here, whichever comes first and however many run in parallel.
 */
const declaredNumbers = new Map<string, Map<string, string>>();

/** Records that `ctx`'s resource declares `e164`; returns why that conflicts with another, if it does. */
export function claimNumber(ctx: Ctx, typeName: string, e164: string): string | undefined {
  const holders = declaredNumbers.get(e164) ?? new Map<string, string>();
  declaredNumbers.set(e164, holders);
  holders.set(ctx.identity, typeName);
  for (const [identity, other] of holders) {
    if (identity === ctx.identity) continue;
    const otherName = `${other} "${identity.slice(identity.lastIndexOf("/") + 1)}"`;
    const hint =
      typeName === "NumberRoute" || other === "NumberRoute"
        ? "A number bought with NumberPurchase is routed by its trunkId input; use NumberRoute only for a number bought elsewhere, once"
        : "declare each number once";
    return `${e164} is also declared by ${otherName} in this stack; two resources would fight over its route. ${hint}`;
  }
  return undefined;
}

/** The check rule of every resource that declares a number: refuse a conflicting declaration. */
export function numberClaimRule(typeName: string) {
  return (ctx: Ctx, inputs: { number: string }, unknown: Set<string>) => {
    const conflict = unknown.has("number") ? undefined : claimNumber(ctx, typeName, inputs.number);
    return { failures: conflict ? [{ property: "number", reason: conflict }] : [] };
  };
}
