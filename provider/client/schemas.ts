// Response shapes we rely on. z.object strips unknown keys, because Vobiz adds fields
// without notice (notes §2.4); optional keys cover the Go-omitempty style responses.
import { z } from "zod";

const optString = z.string().nullish();

export const trunkSchema = z.object({
  trunk_id: z.string(),
  account_id: z.string(),
  name: z.string(),
  trunk_domain: z.string(),
  trunk_status: z.string(),
  secure: z.boolean(),
  trunk_direction: z.string(),
  concurrent_calls_limit: z.number(),
  cps_limit: z.number(),
  // Absent, null and "" all mean no description.
  description: z.string().nullish().transform((v) => v ?? ""),
  transport: z.string(),
  credential_uuid: optString,
  ipacl_uuid: optString,
  webhook_url: optString,
  primary_uri_uuid: optString,
  fallback_uri_uuid: optString,
  inbound_destination: optString,
  recording: z.boolean().default(false),
  enable_transcription: z.boolean().default(false),
  pii_redaction: z.boolean().default(false),
});
export type TrunkObject = z.infer<typeof trunkSchema>;

export const credentialSchema = z.object({
  id: z.string(),
  username: z.string(),
  realm: z.string().default(""),
  enabled: z.boolean().default(true),
});
export type CredentialObject = z.infer<typeof credentialSchema>;

export const ipAclSchema = z.object({
  id: z.string(),
  ip_address: z.string(),
  description: z.string().default(""),
  enabled: z.boolean().default(true),
});
export type IpAclObject = z.infer<typeof ipAclSchema>;

export const originationUriSchema = z.object({
  id: z.string(),
  uri: z.string(),
  priority: z.number(),
  weight: z.number().default(10),
  enabled: z.boolean().default(true),
  transport: z.string().default(""),
  description: z.string().default(""),
});
export type OriginationUriObject = z.infer<typeof originationUriSchema>;

export const numberSchema = z.object({
  id: z.string(),
  e164: z.string(),
  account_id: optString,
  country: z.string().default(""),
  region: optString,
  status: z.string(),
  setup_fee: z.number().default(0),
  monthly_fee: z.number().default(0),
  currency: z.string().default(""),
  trunk_group_id: optString,
});
export type NumberObject = z.infer<typeof numberSchema>;

export const subAccountSchema = z.object({
  id: z.string(),
  auth_id: z.string(),
  parent_auth_id: optString,
  name: z.string(),
  email: optString,
  description: optString,
  enabled: z.boolean(),
  kyc_mode: optString,
});
export type SubAccountObject = z.infer<typeof subAccountSchema>;

export const subAccountCreatedSchema = z.object({
  sub_account: subAccountSchema,
  auth_credentials: z.object({ auth_id: z.string(), auth_token: z.string() }),
});

/** Trunks, credentials, IP ACL, origination URIs: {meta:{limit,offset,total},objects}. */
export const metaPageSchema = z.object({
  meta: z.object({ limit: z.number(), offset: z.number(), total: z.number().optional(), total_count: z.number().optional() }),
  objects: z.array(z.unknown()),
});

/** Numbers and inventory: {items,page,per_page,total}. */
export const itemsPageSchema = z.object({
  items: z.array(z.unknown()),
  page: z.number(),
  per_page: z.number(),
  total: z.number(),
});

export const subAccountPageSchema = z.object({
  sub_accounts: z.array(z.unknown()),
  total: z.number().optional(),
});

export const purchaseSchema = z.object({ number: numberSchema });

export const releaseSchema = z.object({
  status: z.string().optional(),
  release_fee: z.number().optional(),
  cooldown_ends_at: z.string().optional(),
});

export const balanceSchema = z.object({
  currency: z.string(),
  available_balance: z.number(),
  low_balance_threshold: z.number().nullish(),
});
