import { createHmac, randomBytes } from "node:crypto";
import { z } from "zod";
import { CredentialObject } from "../client/schemas";
import { Ctx, Props, ResourceSpec } from "../lifecycle";
import { sipPassword, sipUsernameBase } from "../validation";

const schema = z.object({
  username: sipUsernameBase,
  password: sipPassword,
  enabled: z.boolean().default(true),
});
type CredentialInputs = z.infer<typeof schema>;

/**
 * Usernames are unique per account, and rotation creates the new credential before deleting
 * the old one, so each generation gets its own suffix. It is derived, not random, so that a
 * retried or restarted create asks for the same username; it is keyed with the account token
 * so that it reveals nothing about the password.
 */
function generationSuffix(ctx: Ctx, inputs: CredentialInputs): string {
  let key: string;
  try {
    key = ctx.api.settings.authToken;
  } catch {
    key = randomBytes(16).toString("hex"); // no credentials yet (e.g. a preview): any value will do
  }
  return createHmac("sha256", key).update(`${ctx.identity}\n${inputs.username}\n${inputs.password}`).digest("hex").slice(0, 6);
}

function liveFields(c: CredentialObject): Props {
  return { credentialId: c.id, sipUsername: c.username, realm: c.realm, enabled: c.enabled };
}

export const sipCredentialSpec: ResourceSpec<CredentialInputs> = {
  typeName: "SipCredential",
  schema,
  fields: { username: "replace", password: "replace", enabled: "update" },
  derived: {
    fields: ["generation"],
    compute(ctx, inputs, olds) {
      const unchanged = olds.generation && olds.username === inputs.username && olds.password === inputs.password;
      return { generation: unchanged ? olds.generation : generationSuffix(ctx, inputs) };
    },
  },
  async create(ctx, inputs) {
    const body = { username: `${inputs.username}${(inputs as Props).generation}`, password: inputs.password };
    // The generation suffix already changes with the password; the key must not hash the password itself.
    let { value: c, found } = await ctx.writeOnce({
      what: `SIP credential "${body.username}"`,
      body: { username: body.username },
      send: (key) => ctx.api.createCredential(body, key),
      find: async () => (await ctx.api.listCredentials()).find((x) => x.username === body.username),
      // The generation suffix makes the username ours: a 409 means an earlier attempt made it.
      alreadyDone: (e) => e.status === 409,
    });
    // Create accepts only username and password (notes §7.2): a disabled credential needs a second
    // call, and an adopted one gets this password set so the secret in state is the one that works.
    if (found || !inputs.enabled) c = await ctx.api.updateCredential(c.id, { password: inputs.password, enabled: inputs.enabled });
    return { id: c.id, outs: liveFields(c) };
  },
  async read(ctx, id) {
    const c = (await ctx.api.listCredentials()).find((x) => x.id === id);
    return c && liveFields(c);
  },
  async update(ctx, id, _olds, news) {
    // The OpenAPI makes password required on update; sending it unchanged satisfies both readings.
    return liveFields(await ctx.api.updateCredential(id, { password: news.password, enabled: news.enabled }));
  },
  async delete(ctx, id) {
    await ctx.api.deleteCredential(id);
  },
};
