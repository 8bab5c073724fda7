import { createHash } from "node:crypto";
import { z } from "zod";
import { Ctx, exactlyOne, Props, ResourceSpec, unlessNotFound } from "../lifecycle";
import { adoptByKey, ipv4OrCidr, names } from "../validation";

// A whitelist is a set of IP ACL entries, one per address (the REST model, notes §8.1).
const entry = z.object({ ip: ipv4OrCidr, label: names.label });
const schema = z.object({
  entries: z
    .array(entry)
    .min(1, "must list at least one address")
    .max(500, "must list at most 500 addresses")
    .superRefine((list, ctx) => {
      // 10.0.0.1 and 10.0.0.1/32 are one address: the API would hold two entries for it.
      const seen = new Map<string, string>();
      list.forEach((e, i) => {
        const key = e.ip.replace(/\/32$/, "");
        const first = seen.get(key);
        if (first !== undefined) ctx.addIssue({ code: "custom", path: [i, "ip"], message: `address ${e.ip} is listed twice${first === e.ip ? "" : ` (also as ${first})`}` });
        else seen.set(key, e.ip);
      });
    }),
  // Take over the existing entry of every listed address instead of creating them.
  adopt: adoptByKey,
});
type WhitelistInputs = z.infer<typeof schema>;
type Entry = z.infer<typeof entry>;

function outputs(entries: Entry[], entryIds: Record<string, string>): Props {
  return { entries, entryIds, primaryEntryId: entryIds[entries[0].ip] };
}

/**
 * Creates entries one by one; if one fails, removes the ones this call made so none leak. Each
 * entry's in-flight record is kept until the caller calls `settle` (when the whole create or
 * update has succeeded), so a run killed or failed part-way takes the made entries over on the
 * next run instead of making them again.
 */
async function createEntries(ctx: Ctx, entries: Entry[]): Promise<{ made: Record<string, string>; settle(): void }> {
  const made: Record<string, string> = {};
  let current: Entry | undefined;
  const settles: (() => void)[] = [];
  const settleAll = () => settles.forEach((settle) => settle());
  const api = ctx.api;
  try {
    for (const e of entries) {
      current = e;
      const body = { name: e.label, ip_address: e.ip };
      const { value, settle } = await ctx.writeOnce({
        what: `IP ACL entry ${e.ip} ("${e.label}")`,
        body,
        keepRecord: true,
        send: (key) => api.createIpAcl(body, key),
        candidates: {
          list: async () => (await api.listIpAcl()).filter((a) => a.ip_address === e.ip && a.description === e.label),
          idOf: (a) => a.id,
          // No search by address exists, and the list grows with the account: reading it before
          // every entry would make a large whitelist quadratic. An identical entry (same address
          // and label) made elsewhere in the last minute, just before a lost answer, is the risk.
          snapshotMaxAgeMs: 60_000,
        },
      });
      made[e.ip] = value.id;
      settles.push(settle);
    }
    return { made, settle: settleAll };
  } catch (err) {
    const undo = await Promise.allSettled(Object.entries(made).map(([ip, id]) => api.deleteIpAcl(id).then(() => ip)));
    settleAll();
    const left = Object.entries(made).filter((_, i) => undo[i].status === "rejected");
    // Name the entry the API refused: the call alone does not say which address it was.
    const failed = `entry ${current?.ip} ("${current?.label}"): ${(err as Error).message}`;
    if (!left.length) throw new Error(failed, { cause: err });
    // Say what could not be removed: nothing in state tracks it, so only the user can delete it.
    const names = left.map(([ip, id]) => `${ip} (IP ACL entry ${id})`).join(", ");
    throw new Error(`${failed}; removing the entries this create had made failed too, so these are left in the account: ${names}; delete them in the Vobiz console or run up again after deleting them`);
  }
}

/** A whitelist has no Vobiz object of its own: its id is derived from the resource's identity. */
const whitelistId = (ctx: Ctx) => `ipwl-${createHash("sha256").update(ctx.identity).digest("hex").slice(0, 16)}`;

export const ipWhitelistSpec: ResourceSpec<WhitelistInputs> = {
  typeName: "IpWhitelist",
  schema,
  fields: { entries: "update", adopt: "createOnly" },
  checkRules(_ctx, inputs, unknown) {
    if (unknown.has("entries")) return {};
    const open = inputs.entries.filter((e) => /\/0$/.test(e.ip)).map((e) => e.ip);
    const warnings = open.map((ip) => `entries: ${ip} lets every address on the internet in; IP authentication then protects nothing, only the SIP credential does`);
    return { warnings };
  },
  async create(ctx, inputs) {
    const { made: entryIds, settle } = await createEntries(ctx, inputs.entries);
    settle();
    return { id: whitelistId(ctx), outs: outputs(inputs.entries, entryIds) };
  },
  async adopt(ctx, inputs) {
    const live = await ctx.api.listIpAcl();
    const found = inputs.entries.map((e) =>
      exactlyOne(`an IP ACL entry for ${e.ip}`, live.filter((a) => a.ip_address === e.ip), (a) => a.id, "remove the extra entries in the Vobiz console first"),
    );
    // Live labels, so the update that follows relabels what differs from the program.
    const entries = found.map((a) => ({ ip: a.ip_address, label: a.description }));
    return { id: whitelistId(ctx), outs: outputs(entries, Object.fromEntries(found.map((a) => [a.ip_address, a.id]))) };
  },
  async read(ctx, _id, outs) {
    const known = (outs.entryIds ?? {}) as Record<string, string>;
    let live = new Map((await ctx.api.listIpAcl()).map((a) => [a.id, a]));
    // An entry missing from the shared list (gone, or skipped by paging while others delete): read again now.
    if (Object.values(known).some((id) => !live.has(id))) live = new Map((await ctx.api.lists.fresh(() => ctx.api.listIpAcl())).map((a) => [a.id, a]));
    const entries: Entry[] = [];
    const entryIds: Record<string, string> = {};
    for (const id of Object.values(known)) {
      const a = live.get(id);
      if (!a) continue; // deleted out of band: the next up recreates it
      entries.push({ ip: a.ip_address, label: a.description });
      entryIds[a.ip_address] = a.id;
    }
    if (entries.length === 0) return undefined;
    // Keep the program's order so a refresh alone never shows a diff.
    const order = ((outs.entries ?? []) as Entry[]).map((e) => e.ip);
    entries.sort((a, b) => order.indexOf(a.ip) - order.indexOf(b.ip));
    return outputs(entries, entryIds);
  },
  async update(ctx, _id, olds, news) {
    const oldIds = { ...((olds.entryIds ?? {}) as Record<string, string>) };
    const oldLabels = new Map(((olds.entries ?? []) as Entry[]).map((e) => [e.ip, e.label]));
    // Relabelled entries that vanished out of band are created again, with the new ones.
    const relabelled = news.entries.filter((e) => oldIds[e.ip] && oldLabels.get(e.ip) !== e.label);
    const vanished: Entry[] = [];
    for (const e of relabelled) {
      const updated = await unlessNotFound(ctx.api.updateIpAcl(oldIds[e.ip], { name: e.label, ip_address: e.ip }));
      if (!updated) vanished.push(e);
    }
    const added = [...news.entries.filter((e) => !oldIds[e.ip]), ...vanished];
    const { made: created, settle } = await createEntries(ctx, added);
    const entryIds: Record<string, string> = {};
    for (const e of news.entries) entryIds[e.ip] = created[e.ip] ?? oldIds[e.ip];
    const keep = new Set(news.entries.map((e) => e.ip));
    // A failed delete fails the update and state keeps the old entries: the new ones' records stay,
    // so the rerun takes them over instead of making them again.
    for (const [ip, id] of Object.entries(oldIds)) {
      if (!keep.has(ip)) await unlessNotFound(ctx.api.deleteIpAcl(id));
    }
    settle();
    return outputs(news.entries, entryIds);
  },
  async delete(ctx, _id, outs) {
    for (const id of Object.values((outs.entryIds ?? {}) as Record<string, string>)) {
      await unlessNotFound(ctx.api.deleteIpAcl(id));
    }
  },
};
