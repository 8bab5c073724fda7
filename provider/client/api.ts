// The Vobiz endpoints this provider uses, with the documented path casing (notes §2.2):
// /Account/ for the trunk and number families, /accounts/.../sub-accounts/ for sub-accounts.
import { z } from "zod";
import { VobizApiError } from "./errors";
import {
  credentialSchema,
  ipAclSchema,
  itemsPageSchema,
  metaPageSchema,
  numberSchema,
  originationUriSchema,
  purchaseSchema,
  releaseSchema,
  subAccountCreatedSchema,
  subAccountPageSchema,
  subAccountSchema,
  trunkSchema,
} from "./schemas";
import { ApiRequest, send, TransportSettings } from "./transport";

const MAX_PAGE = 100;

export class VobizApi {
  constructor(readonly settings: TransportSettings) {}

  get authId(): string {
    return this.settings.authId;
  }

  private account(): string {
    return `/Account/${encodeURIComponent(this.authId)}`;
  }

  private async call<T>(schema: z.ZodType<T>, req: ApiRequest): Promise<T> {
    const res = await send(this.settings, req);
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new VobizApiError({
        operation: req.operation,
        status: res.status,
        apiMessage: `unexpected response shape at "${issue.path.join(".")}": ${issue.message}`,
        requestId: res.requestId,
      });
    }
    return parsed.data;
  }

  private async callNoContent(req: ApiRequest): Promise<void> {
    await send(this.settings, req);
  }

  /** Pages through a {meta, objects} list to the end at the maximum page size. */
  private async listMeta<T>(schema: z.ZodType<T>, path: string, operation: string): Promise<T[]> {
    const out: T[] = [];
    for (let offset = 0; ; offset += MAX_PAGE) {
      const page = await this.call(metaPageSchema, { method: "GET", path, query: { limit: MAX_PAGE, offset }, operation });
      for (const o of page.objects) out.push(schema.parse(o));
      const total = page.meta.total ?? page.meta.total_count;
      if (page.objects.length === 0 || (total !== undefined && out.length >= total) || page.objects.length < MAX_PAGE) return out;
    }
  }

  // --- trunks ---
  createTrunk(body: Record<string, unknown>, idempotencyKey: string) {
    return this.call(trunkSchema, { method: "POST", path: `${this.account()}/trunks`, body, idempotencyKey, operation: "POST /Account/{auth_id}/trunks" });
  }
  getTrunk(id: string) {
    return this.call(trunkSchema, { method: "GET", path: `${this.account()}/trunks/${encodeURIComponent(id)}`, operation: `GET /Account/{auth_id}/trunks/${id}` });
  }
  updateTrunk(id: string, body: Record<string, unknown>) {
    return this.call(trunkSchema, { method: "PUT", path: `${this.account()}/trunks/${encodeURIComponent(id)}`, body, operation: `PUT /Account/{auth_id}/trunks/${id}` });
  }
  listTrunks() {
    return this.listMeta(trunkSchema, `${this.account()}/trunks`, "GET /Account/{auth_id}/trunks");
  }
  deleteTrunk(id: string) {
    return this.callNoContent({ method: "DELETE", path: `${this.account()}/trunks/${encodeURIComponent(id)}`, operation: `DELETE /Account/{auth_id}/trunks/${id}` });
  }

  // --- SIP credentials (no single GET: read = list + filter) ---
  createCredential(body: { username: string; password: string }, idempotencyKey: string) {
    return this.call(credentialSchema, { method: "POST", path: `${this.account()}/credentials`, body, idempotencyKey, operation: "POST /Account/{auth_id}/credentials" });
  }
  listCredentials() {
    return this.listMeta(credentialSchema, `${this.account()}/trunks/credentials`, "GET /Account/{auth_id}/trunks/credentials");
  }
  updateCredential(id: string, body: Record<string, unknown>) {
    return this.call(credentialSchema, { method: "PUT", path: `${this.account()}/credentials/${encodeURIComponent(id)}`, body, operation: `PUT /Account/{auth_id}/credentials/${id}` });
  }
  deleteCredential(id: string) {
    return this.callNoContent({ method: "DELETE", path: `${this.account()}/credentials/${encodeURIComponent(id)}`, operation: `DELETE /Account/{auth_id}/credentials/${id}` });
  }

  // --- IP ACL entries (no single GET) ---
  createIpAcl(body: { name: string; ip_address: string }, idempotencyKey: string) {
    return this.call(ipAclSchema, { method: "POST", path: `${this.account()}/ip-acl`, body, idempotencyKey, operation: "POST /Account/{auth_id}/ip-acl" });
  }
  listIpAcl() {
    return this.listMeta(ipAclSchema, `${this.account()}/trunks/ip-acl`, "GET /Account/{auth_id}/trunks/ip-acl");
  }
  updateIpAcl(id: string, body: { name: string; ip_address: string }) {
    return this.call(ipAclSchema, { method: "PUT", path: `${this.account()}/ip-acl/${encodeURIComponent(id)}`, body, operation: `PUT /Account/{auth_id}/ip-acl/${id}` });
  }
  deleteIpAcl(id: string) {
    return this.callNoContent({ method: "DELETE", path: `${this.account()}/ip-acl/${encodeURIComponent(id)}`, operation: `DELETE /Account/{auth_id}/ip-acl/${id}` });
  }

  // --- origination URIs (no single GET; only name and priority are updatable, notes §9.4) ---
  createOriginationUri(body: Record<string, unknown>, idempotencyKey: string) {
    return this.call(originationUriSchema, { method: "POST", path: `${this.account()}/origination-uris`, body, idempotencyKey, operation: "POST /Account/{auth_id}/origination-uris" });
  }
  listOriginationUris() {
    return this.listMeta(originationUriSchema, `${this.account()}/trunks/origination-uris`, "GET /Account/{auth_id}/trunks/origination-uris");
  }
  updateOriginationUri(id: string, body: { name: string; priority: number }) {
    return this.call(originationUriSchema, { method: "PUT", path: `${this.account()}/origination-uris/${encodeURIComponent(id)}`, body, operation: `PUT /Account/{auth_id}/origination-uris/${id}` });
  }
  deleteOriginationUri(id: string) {
    return this.callNoContent({ method: "DELETE", path: `${this.account()}/origination-uris/${encodeURIComponent(id)}`, operation: `DELETE /Account/{auth_id}/origination-uris/${id}` });
  }

  // --- numbers ---
  /** Owned numbers matching exactly this E.164 (the list filter is a substring search). */
  async findOwnedNumber(e164: string) {
    const page = await this.call(itemsPageSchema, {
      method: "GET",
      path: `${this.account()}/numbers`,
      query: { search: e164, per_page: MAX_PAGE, page: 1 },
      operation: `GET /Account/{auth_id}/numbers?search=${e164}`,
    });
    return page.items.map((i) => numberSchema.parse(i)).find((n) => n.e164 === e164);
  }
  async findInventoryNumber(e164: string) {
    const page = await this.call(itemsPageSchema, {
      method: "GET",
      path: `${this.account()}/inventory/numbers`,
      query: { search: e164, per_page: MAX_PAGE, page: 1 },
      operation: `GET /Account/{auth_id}/inventory/numbers?search=${e164}`,
    });
    return page.items.map((i) => numberSchema.parse(i)).find((n) => n.e164 === e164);
  }
  async purchaseNumber(e164: string, idempotencyKey: string) {
    const res = await this.call(purchaseSchema, {
      method: "POST",
      path: `${this.account()}/numbers/purchase-from-inventory`,
      body: { e164 },
      idempotencyKey,
      operation: `POST /Account/{auth_id}/numbers/purchase-from-inventory (${e164})`,
    });
    return res.number;
  }
  releaseNumber(e164: string, immediate: boolean) {
    return this.call(releaseSchema, {
      method: "DELETE",
      path: `${this.account()}/numbers/${encodeURIComponent(e164)}`,
      query: immediate ? { immediate: true } : undefined,
      operation: `DELETE /Account/{auth_id}/numbers/${e164}`,
    });
  }
  /** Undoes a release still in its 24-hour window; Vobiz refunds the release fee. */
  cancelRelease(e164: string) {
    return this.callNoContent({
      method: "POST",
      // The one number route with a lower-case, singular "account" (notes §2.2, §10.8).
      path: `/account/${encodeURIComponent(this.authId)}/numbers/${encodeURIComponent(e164)}/cancel-release`,
      body: {}, // the API reads POST bodies as JSON, even an empty one
      operation: `POST /account/{auth_id}/numbers/${e164}/cancel-release`,
    });
  }
  assignNumber(e164: string, trunkId: string) {
    return this.callNoContent({
      method: "POST",
      path: `${this.account()}/numbers/${encodeURIComponent(e164)}/assign`,
      body: { trunk_group_id: trunkId },
      operation: `POST /Account/{auth_id}/numbers/${e164}/assign`,
    });
  }
  unassignNumber(e164: string) {
    return this.callNoContent({
      method: "DELETE",
      path: `${this.account()}/numbers/${encodeURIComponent(e164)}/assign`,
      operation: `DELETE /Account/{auth_id}/numbers/${e164}/assign`,
    });
  }

  // --- sub-accounts (lower-case plural family; trailing slash on create/list) ---
  private subAccounts(): string {
    return `/accounts/${encodeURIComponent(this.authId)}/sub-accounts`;
  }
  createSubAccount(body: Record<string, unknown>, idempotencyKey: string) {
    return this.call(subAccountCreatedSchema, { method: "POST", path: `${this.subAccounts()}/`, body, idempotencyKey, operation: "POST /accounts/{auth_id}/sub-accounts/" });
  }
  /** Every sub-account, newest first (page/size pagination, 100 per page). */
  async listSubAccounts() {
    const out = [];
    for (let page = 1; ; page++) {
      const res = await this.call(subAccountPageSchema, {
        method: "GET",
        path: `${this.subAccounts()}/`,
        query: { page, size: MAX_PAGE },
        operation: "GET /accounts/{auth_id}/sub-accounts/",
      });
      for (const s of res.sub_accounts) out.push(subAccountSchema.parse(s));
      if (res.sub_accounts.length < MAX_PAGE || (res.total !== undefined && out.length >= res.total)) return out;
    }
  }
  getSubAccount(subAuthId: string) {
    return this.call(subAccountSchema, { method: "GET", path: `${this.subAccounts()}/${encodeURIComponent(subAuthId)}`, operation: `GET /accounts/{auth_id}/sub-accounts/${subAuthId}` });
  }
  updateSubAccount(subAuthId: string, body: Record<string, unknown>) {
    return this.call(subAccountSchema, { method: "PUT", path: `${this.subAccounts()}/${encodeURIComponent(subAuthId)}`, body, operation: `PUT /accounts/{auth_id}/sub-accounts/${subAuthId}` });
  }
  deleteSubAccount(subAuthId: string) {
    return this.callNoContent({ method: "DELETE", path: `${this.subAccounts()}/${encodeURIComponent(subAuthId)}`, operation: `DELETE /accounts/{auth_id}/sub-accounts/${subAuthId}` });
  }
}
