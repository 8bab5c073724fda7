import { z } from "zod";
import { OriginationUriObject } from "../client/schemas";
import { exactlyOne, matchesInputs, PartialCreateError, Props, ResourceSpec } from "../lifecycle";
import { sipUri } from "../sipUri";
import { adoptByIdOrKey, names } from "../validation";

// ASSUMPTION (notes §9.2 does not say): priority and weight are integers in 1-65535.
const rank = z.number().int().min(1, "must be at least 1").max(65535, "must be at most 65535");

const schema = z.object({
  name: names.originationUri,
  // Where Vobiz sends inbound calls: the platform's or PBX's SIP host. The transport is read from it.
  uri: sipUri,
  // Lower is tried first (notes §9.1).
  priority: rank.default(1),
  // Splits calls among URIs of the same priority.
  weight: rank.default(10),
  enabled: z.boolean().default(true),
  // An origination URI id, or true for the one whose uri is exactly `uri`.
  adopt: adoptByIdOrKey,
});
type UriInputs = z.infer<typeof schema>;

/** The API cannot change these after create (notes §9.4): a change is a replacement. */
const FIXED = ["uri", "weight", "enabled"] as const;

function liveFields(o: OriginationUriObject): Props {
  return { uriId: o.id, name: o.description, uri: o.uri, priority: o.priority, weight: o.weight, enabled: o.enabled, transport: o.transport.toLowerCase() };
}

export const originationUriSpec: ResourceSpec<UriInputs> = {
  typeName: "OriginationUri",
  schema,
  fields: { name: "update", priority: "update", uri: "replace", weight: "replace", enabled: "replace", adopt: "createOnly" },
  async create(ctx, inputs) {
    // ASSUMPTION: current docs take only name, sip_uri and priority at create; weight and enabled
    // are the older optional create fields, so they are sent only when they differ from the defaults.
    const body: Props = { name: inputs.name, sip_uri: inputs.uri, priority: inputs.priority };
    if (inputs.weight !== 10) body.weight = inputs.weight;
    if (!inputs.enabled) body.enabled = false;
    const { value: o } = await ctx.writeOnce({
      what: `origination URI ${inputs.uri}`,
      body,
      send: (key) => ctx.api.createOriginationUri(body, key),
      candidates: {
        list: async () => (await ctx.api.listOriginationUris()).filter((o) => matchesInputs(liveFields(o), inputs, ["name", ...FIXED, "priority"])),
        idOf: (o) => o.id,
      },
    });
    const outs = liveFields(o);
    const ignored = FIXED.filter((k) => !matchesInputs(outs, inputs, [k]));
    if (ignored.length) {
      // Made, but not as declared, and the API cannot fix it: tracked (so destroy removes it), and reported.
      const what = ignored.map((k) => `${k} ${JSON.stringify(inputs[k])} (got ${JSON.stringify(outs[k])})`).join(", ");
      throw new PartialCreateError(`Vobiz created origination URI ${o.id} without ${what}; these can only be set in the console`, o.id, outs);
    }
    return { id: o.id, outs };
  },
  async adopt(ctx, inputs, ref) {
    const all = await ctx.api.listOriginationUris();
    const what = ref === true ? `an origination URI for ${inputs.uri}` : `origination URI ${ref}`;
    const o = exactlyOne(what, all.filter((o) => (ref === true ? o.uri === inputs.uri : o.id === ref)), (o) => o.id);
    const outs = liveFields(o);
    const differing = FIXED.filter((k) => !matchesInputs(outs, inputs, [k]));
    if (differing.length) {
      const list = differing.map((k) => `${k} ${JSON.stringify(outs[k])} (declared ${JSON.stringify(inputs[k])})`).join(", ");
      throw new Error(`adopt: origination URI ${o.id} has ${list}, which the API cannot change; declare the live values, or leave adopt out to create a new URI`);
    }
    return { id: o.id, outs };
  },
  async read(ctx, id) {
    const o = await ctx.api.findOriginationUri(id);
    return o && liveFields(o);
  },
  async update(ctx, id, _olds, news) {
    // Replace semantics: name and priority are both required on every update (notes §9.4).
    return liveFields(await ctx.api.updateOriginationUri(id, { name: news.name, priority: news.priority }));
  },
  async delete(ctx, id) {
    await ctx.api.deleteOriginationUri(id);
  },
};
