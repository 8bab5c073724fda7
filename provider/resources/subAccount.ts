import { z } from "zod";
import { SubAccountObject } from "../client/schemas";
import { exactlyOne, matchesInputs, Props, ResourceSpec, unlessNotFound } from "../lifecycle";
import { adoptByIdOrKey, email, names } from "../validation";

const schema = z
  .object({
    name: names.subAccount,
    email: email.optional(),
    enabled: z.boolean().default(true),
    kycMode: z.enum(["personal_use", "customer_use"]).default("personal_use"),
    description: names.description.optional(),
    // An SA_ auth id, or true for the one sub-account with this name.
    adopt: adoptByIdOrKey,
  })
  .refine((s) => s.kycMode !== "customer_use" || s.email !== undefined, {
    path: ["email"],
    message: 'is required when kycMode is "customer_use" (the sub-account completes its own KYC)',
  });
type SubAccountInputs = z.infer<typeof schema>;

function liveFields(s: SubAccountObject): Props {
  return {
    authId: s.auth_id,
    subAccountId: s.id,
    parentAuthId: s.parent_auth_id ?? undefined,
    name: s.name,
    email: s.email ?? undefined,
    enabled: s.enabled,
    kycMode: s.kyc_mode ?? "personal_use",
    description: s.description ?? undefined,
  };
}

function requestBody(inputs: SubAccountInputs, olds?: Props): Props {
  const body: Props = { name: inputs.name, enabled: inputs.enabled, kyc_mode: inputs.kycMode };
  // Updates are partial: an omitted key keeps its value, so a removed field must be sent as null.
  for (const field of ["email", "description"] as const) {
    if (inputs[field] !== undefined) body[field] = inputs[field];
    else if (olds?.[field] !== undefined) body[field] = null;
  }
  return body;
}

const tokenLost = (authId: unknown, why: string) =>
  `the auth token of ${authId} ${why}; authToken stays empty: reset the token in the Vobiz console and keep it as a secret yourself`;

export const subAccountSpec: ResourceSpec<SubAccountInputs> = {
  typeName: "SubAccount",
  schema,
  fields: { name: "update", email: "update", enabled: "update", kycMode: "update", description: "update", adopt: "createOnly" },
  async create(ctx, inputs) {
    const body = requestBody(inputs);
    const { value, found } = await ctx.writeOnce<Props>({
      what: `sub-account "${inputs.name}"`,
      body,
      send: async (key) => {
        const res = await ctx.api.createSubAccount(body, key);
        // The token is shown once, here; it is kept as a secret output and never replaced by a read.
        return { ...liveFields(res.sub_account), authToken: res.auth_credentials.auth_token };
      },
      candidates: {
        list: async () =>
          (await ctx.api.listSubAccounts()).map(liveFields).filter((s) => matchesInputs(s, inputs, Object.keys(subAccountSpec.fields))),
        idOf: (s) => s.authId as string,
      },
    });
    if (found) ctx.warn(tokenLost(value.authId, "was only in the lost create answer"));
    return { id: value.authId as string, outs: value };
  },
  async adopt(ctx, inputs, ref) {
    const matches = ref === true ? (await ctx.api.listSubAccounts()).filter((s) => s.name === inputs.name) : [await unlessNotFound(ctx.api.getSubAccount(ref))];
    const what = ref === true ? `a sub-account named "${inputs.name}"` : `sub-account ${ref}`;
    const s = exactlyOne(what, matches.filter((s) => s !== undefined), (s) => s.auth_id);
    ctx.warn(tokenLost(s.auth_id, "is shown by Vobiz only when a sub-account is created"));
    return { id: s.auth_id, outs: liveFields(s) };
  },
  async read(ctx, id) {
    const s = await ctx.api.findSubAccount(id);
    return s && liveFields(s);
  },
  async update(ctx, id, olds, news) {
    return liveFields(await ctx.api.updateSubAccount(id, requestBody(news, olds)));
  },
  async delete(ctx, id) {
    await ctx.api.deleteSubAccount(id);
  },
};
