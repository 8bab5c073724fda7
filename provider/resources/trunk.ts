import { z } from "zod";
import { TrunkObject } from "../client/schemas";
import { exactlyOne, matchesInputs, Props, ResourceSpec, unlessNotFound } from "../lifecycle";
import { adoptByIdOrKey, names, publicHttpUrl, UUID, uuidRef } from "../validation";

const schema = z.object({
  name: names.trunk,
  description: names.description.default(""),
  enabled: z.boolean().default(true),
  // The API accepts only inbound/outbound on requests; omitted means "both" (notes §6.4).
  direction: z.enum(["inbound", "outbound"]).optional(),
  secure: z.boolean().default(false),
  transport: z.enum(["udp", "tcp", "tls"]).default("udp"),
  concurrentCallsLimit: z.number().int().min(0).max(1000).default(10),
  cpsLimit: z.number().int().min(0).max(100).default(2),
  credentialId: uuidRef.optional(),
  ipAclId: uuidRef.optional(),
  webhookUrl: publicHttpUrl.optional(),
  // Inbound routing: where Vobiz sends calls to this trunk's numbers (OriginationUri ids).
  primaryUriId: uuidRef.optional(),
  fallbackUriId: uuidRef.optional(),
  inboundDestination: names.inboundDestination.optional(),
  // Optional without defaults, so state written before these existed shows no diff.
  recording: z.boolean().optional(),
  enableTranscription: z.boolean().optional(),
  piiRedaction: z.boolean().optional(),
  // A trunk id, or true for the one trunk with this name. Trunk ids are UUIDs; anything else would
  // be sent as a path segment (e.g. "credentials" reads another list).
  adopt: adoptByIdOrKey.refine((v) => typeof v !== "string" || UUID.test(v), "must be true or a trunk id, a UUID such as 3f2c1a9e-7b4d-4e8f-9a1b-2c3d4e5f6a7b"),
});
type TrunkInputs = z.infer<typeof schema>;

const refFields = {
  credentialId: "credential_uuid",
  ipAclId: "ipacl_uuid",
  webhookUrl: "webhook_url",
  primaryUriId: "primary_uri_uuid",
  fallbackUriId: "fallback_uri_uuid",
  inboundDestination: "inbound_destination",
} as const;
/** Flags that, once set, are sent as false when removed (a partial PUT keeps omitted keys). */
const flagFields = { recording: "recording", enableTranscription: "enable_transcription", piiRedaction: "pii_redaction" } as const;

function requestBody(inputs: TrunkInputs, olds?: Props): Props {
  const body: Props = {
    name: inputs.name,
    description: inputs.description,
    trunk_status: inputs.enabled ? "enabled" : "disabled",
    // ASSUMPTION: requests document only inbound/outbound, but responses say "both"; removing the
    // setting must restore the default, and partial updates keep omitted keys, so send "both".
    trunk_direction: inputs.direction ?? (olds?.direction !== undefined ? "both" : undefined),
    secure: inputs.secure,
    transport: inputs.transport,
    concurrent_calls_limit: inputs.concurrentCallsLimit,
    cps_limit: inputs.cpsLimit,
  };
  for (const [input, apiField] of Object.entries(flagFields)) {
    const v = inputs[input as keyof typeof flagFields];
    if (v !== undefined) body[apiField] = v;
    else if (olds?.[input] !== undefined) body[apiField] = false;
  }
  for (const [input, apiField] of Object.entries(refFields)) {
    const v = inputs[input as keyof typeof refFields];
    // ASSUMPTION (notes §6.7): an empty string detaches a reference on update.
    if (v !== undefined) body[apiField] = v;
    else if (olds?.[input] !== undefined) body[apiField] = "";
  }
  return body;
}

/**
 * A setting the program may leave out: read back when declared, or when the live value is not
 * the API's default (drift, or an adopted trunk), so the next up restores the default. State
 * written before the setting existed still reads as no change.
 */
const unlessDefault = (declared: unknown, live: unknown, apiDefault: unknown) => (declared !== undefined || live !== apiDefault ? live : undefined);

/** Trunk object → our field names, with the API's rewrites normalised (active ≡ enabled). */
function liveFields(t: TrunkObject, declared: Props): Props {
  return {
    trunkId: t.trunk_id,
    domain: t.trunk_domain,
    status: t.trunk_status,
    name: t.name,
    description: t.description,
    enabled: t.trunk_status === "active" || t.trunk_status === "enabled",
    // An unset direction reads back as "both".
    direction: unlessDefault(declared.direction, t.trunk_direction.toLowerCase(), "both"),
    secure: t.secure,
    transport: t.transport.toLowerCase(),
    concurrentCallsLimit: t.concurrent_calls_limit,
    cpsLimit: t.cps_limit,
    credentialId: t.credential_uuid || undefined,
    ipAclId: t.ipacl_uuid || undefined,
    webhookUrl: t.webhook_url || undefined,
    primaryUriId: t.primary_uri_uuid || undefined,
    fallbackUriId: t.fallback_uri_uuid || undefined,
    inboundDestination: t.inbound_destination || undefined,
    recording: unlessDefault(declared.recording, t.recording, false),
    enableTranscription: unlessDefault(declared.enableTranscription, t.enable_transcription, false),
    piiRedaction: unlessDefault(declared.piiRedaction, t.pii_redaction, false),
  };
}

/**
 * The combinations Vobiz documents as traps (notes §6.1, §6.2): the API refuses transcription
 * without recording and redaction without transcription; the others work but not as people expect.
 */
function checkRules(inputs: TrunkInputs, unknown: Set<string>) {
  const known = (...keys: string[]) => keys.every((k) => !unknown.has(k));
  const failures: { property: string; reason: string }[] = [];
  const warnings: string[] = [];
  if (known("enableTranscription", "recording") && inputs.enableTranscription && !inputs.recording) {
    failures.push({ property: "enableTranscription", reason: "needs recording: true (Vobiz transcribes the call recording)" });
  }
  if (known("piiRedaction", "enableTranscription") && inputs.piiRedaction && !inputs.enableTranscription) {
    failures.push({ property: "piiRedaction", reason: "needs enableTranscription: true (redaction works on the transcript)" });
  }
  if (known("transport", "secure") && inputs.transport === "tls" && !inputs.secure) {
    warnings.push('transport is "tls" but secure is false: signalling is encrypted, media is not (SRTP is off); set secure: true for TLS with SRTP');
  }
  if (known("transport", "secure") && inputs.secure && inputs.transport !== "tls") {
    warnings.push(`secure is true but transport is "${inputs.transport}": Vobiz's secure mode is TLS signalling with SRTP media; set transport: "tls"`);
  }
  if (known("direction", "primaryUriId", "fallbackUriId") && inputs.direction === "outbound" && (inputs.primaryUriId || inputs.fallbackUriId)) {
    warnings.push("direction is outbound, so the origination URIs (which carry inbound calls) are never used");
  }
  if (known("primaryUriId", "fallbackUriId") && inputs.fallbackUriId && !inputs.primaryUriId) {
    warnings.push("fallbackUriId is set without primaryUriId: Vobiz tries the primary origination URI first; set primaryUriId");
  }
  return { failures, warnings };
}

export const trunkSpec: ResourceSpec<TrunkInputs> = {
  typeName: "Trunk",
  schema,
  fields: {
    name: "update",
    description: "update",
    enabled: "update",
    direction: "update",
    secure: "update",
    transport: "update",
    concurrentCallsLimit: "update",
    cpsLimit: "update",
    credentialId: "update",
    ipAclId: "update",
    webhookUrl: "update",
    primaryUriId: "update",
    fallbackUriId: "update",
    inboundDestination: "update",
    recording: "update",
    enableTranscription: "update",
    piiRedaction: "update",
    adopt: "createOnly",
  },
  checkRules: (_ctx, inputs, unknown) => checkRules(inputs, unknown),
  async create(ctx, inputs) {
    const body = requestBody(inputs);
    const { value: t } = await ctx.writeOnce({
      what: `trunk "${inputs.name}"`,
      body,
      send: (key) => ctx.api.createTrunk(body, key),
      // Trunk names are not unique, so a candidate must agree on every declared setting.
      candidates: {
        list: async () => (await ctx.api.listTrunks()).filter((t) => matchesInputs(liveFields(t, inputs), inputs, Object.keys(trunkSpec.fields))),
        idOf: (t) => t.trunk_id,
      },
    });
    return { id: t.trunk_id, outs: liveFields(t, inputs) };
  },
  async adopt(ctx, inputs, ref) {
    const matches = ref === true ? (await ctx.api.listTrunks()).filter((t) => t.name === inputs.name) : [await unlessNotFound(ctx.api.getTrunk(ref))];
    const what = ref === true ? `a trunk named "${inputs.name}"` : `trunk ${ref}`;
    const t = exactlyOne(what, matches.filter((t) => t !== undefined), (t) => t.trunk_id);
    return { id: t.trunk_id, outs: liveFields(t, inputs) };
  },
  async read(ctx, id, outs) {
    const t = await ctx.api.findTrunk(id);
    return t && liveFields(t, outs);
  },
  async update(ctx, id, olds, news) {
    return liveFields(await ctx.api.updateTrunk(id, requestBody(news, olds)), news);
  },
  async delete(ctx, id, outs) {
    // Vobiz deletes the credential, ACL entry and origination URIs a trunk points to along with it
    // (notes §6.8); those are separate resources, so detach them first: what state records, and
    // what the live trunk points to now (attached out of band since the last refresh).
    const live = await unlessNotFound(ctx.api.getTrunk(id));
    if (!live) return;
    const current = liveFields(live, outs);
    const attached = Object.entries(refFields).filter(([input]) => input !== "webhookUrl" && input !== "inboundDestination" && current[input] !== undefined);
    if (attached.length) await ctx.api.updateTrunk(id, Object.fromEntries(attached.map(([, apiField]) => [apiField, ""])));
    await ctx.api.deleteTrunk(id);
  },
};
