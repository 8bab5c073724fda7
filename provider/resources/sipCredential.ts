import { createHmac, randomBytes } from "node:crypto";
import { z } from "zod";
import { CredentialObject } from "../client/schemas";
import { Ctx, exactlyOne, Props, ResourceSpec } from "../lifecycle";
import { adoptByIdOrKey, generateSipPassword, sipPassword, sipUsernameBase } from "../validation";

const DAY_MS = 86_400_000;

const schema = z.object({
  username: sipUsernameBase,
  // Left out: a strong one is generated at create, kept only as a secret output, and replaced on rotation.
  password: sipPassword.optional(),
  enabled: z.boolean().default(true),
  // Vobiz recommends rotating trunk passwords every 90 days.
  rotateAfterDays: z.number().int().min(1).max(3650).optional(),
  // Any change replaces the credential, like the keepers of @pulumi/random.
  rotationTrigger: z.string().max(200).optional(),
  // A credential id, or true for the credential whose username is exactly `username`.
  adopt: adoptByIdOrKey,
});
type CredentialInputs = z.infer<typeof schema>;

/**
 * Usernames are unique per account, and rotation creates the new credential before deleting
 * the old one, so each generation gets its own suffix. It is derived, not random, so that a
 * retried or restarted create asks for the same username; it is keyed with the account token
 * so that it reveals nothing about the password.
 */
/** The provider's clock; VOBIZ_TEST_NOW (an ISO time) lets tests move it. */
export function now(): number {
  const fixed = process.env.VOBIZ_TEST_NOW;
  if (!fixed) return Date.now();
  const t = Date.parse(fixed);
  // toISOString() throws past ±8.64e15 ms: refuse such a value here, before anything is sent.
  if (!Number.isFinite(t) || Math.abs(t) > 8.64e15) throw new Error(`VOBIZ_TEST_NOW must be an ISO time such as 2030-01-01T00:00:00Z; got "${fixed}"`);
  return t;
}

/**
 * The rotation period the credential is in. A credential due for rotation is always in a later
 * period than the one it was made in, so its replacement gets a new username suffix.
 */
function rotationPeriod(inputs: CredentialInputs): string {
  return inputs.rotateAfterDays ? String(Math.floor(now() / (inputs.rotateAfterDays * DAY_MS))) : "";
}

function generationSuffix(ctx: Ctx, inputs: CredentialInputs): string {
  let key: string;
  try {
    key = ctx.api.settings.authToken;
  } catch {
    key = randomBytes(16).toString("hex"); // no credentials yet (e.g. a preview): any value will do
  }
  const parts = [ctx.identity, inputs.username, inputs.password, inputs.rotationTrigger ?? "", rotationPeriod(inputs)];
  return createHmac("sha256", key).update(parts.join("\n")).digest("hex").slice(0, 6);
}

function liveFields(c: CredentialObject): Props {
  return { credentialId: c.id, sipUsername: c.username, realm: c.realm, enabled: c.enabled };
}

/** The password to set: the declared one, else the one generated earlier, else a new one. */
function passwordOf(inputs: CredentialInputs, outs: Props = {}): { password: string; generated: Props } {
  if (inputs.password !== undefined) return { password: inputs.password, generated: {} };
  const password = outs.passwordGenerated === true && typeof outs.password === "string" ? outs.password : generateSipPassword();
  // A generated password exists only as an output; passwordGenerated tells diff it was never declared.
  return { password, generated: { password, passwordGenerated: true } };
}

export const sipCredentialSpec: ResourceSpec<CredentialInputs> = {
  typeName: "SipCredential",
  schema,
  fields: { username: "replace", password: "replace", enabled: "update", rotateAfterDays: "update", rotationTrigger: "replace", adopt: "createOnly" },
  derived: {
    fields: ["generation"],
    compute(ctx, inputs, olds) {
      const unchanged =
        olds.generation && olds.username === inputs.username && olds.password === inputs.password && olds.rotationTrigger === inputs.rotationTrigger;
      return { generation: unchanged ? olds.generation : generationSuffix(ctx, inputs) };
    },
  },
  declaredInputs(outs) {
    if (outs.passwordGenerated !== true) return outs;
    const { password: _generated, ...declared } = outs;
    return declared;
  },
  async create(ctx, inputs) {
    const createdAt = new Date(now()).toISOString();
    const { password, generated } = passwordOf(inputs);
    const body = { username: `${inputs.username}${(inputs as Props).generation}`, password };
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
    if (found || !inputs.enabled) c = await ctx.api.updateCredential(c.id, { password, enabled: inputs.enabled });
    return { id: c.id, outs: { ...liveFields(c), ...generated, createdAt } };
  },
  async adopt(ctx, inputs, ref) {
    const what = ref === true ? `a SIP credential with username "${inputs.username}"` : `SIP credential ${ref}`;
    const c = exactlyOne(what, (await ctx.api.listCredentials()).filter((c) => (ref === true ? c.username === inputs.username : c.id === ref)), (c) => c.id);
    // Vobiz never shows a password: update (run next by the lifecycle) sets the declared or a generated one.
    return { id: c.id, outs: { ...liveFields(c), ...passwordOf(inputs).generated, createdAt: new Date(now()).toISOString() } };
  },
  replacementsDue(olds, news) {
    const days = news.rotateAfterDays;
    const made = typeof olds.createdAt === "string" ? Date.parse(olds.createdAt) : NaN;
    // State from before createdAt existed is not rotated by surprise; the next replacement records it.
    if (typeof days !== "number" || Number.isNaN(made)) return [];
    return now() - made >= days * DAY_MS ? ["rotateAfterDays"] : [];
  },
  async read(ctx, id) {
    const c = await ctx.api.findCredential(id);
    return c && liveFields(c);
  },
  async update(ctx, id, olds, news) {
    // The OpenAPI makes password required on update; sending it unchanged satisfies both readings.
    const { password, generated } = passwordOf(news, olds);
    return { ...liveFields(await ctx.api.updateCredential(id, { password, enabled: news.enabled })), ...generated };
  },
  async delete(ctx, id) {
    await ctx.api.deleteCredential(id);
  },
};
