// The Vobiz endpoints this provider uses, with the documented path casing (notes §2.2):
// /Account/ for the trunk and number families, /accounts/.../sub-accounts/ for sub-accounts.
import { z } from "zod";
import { unlessNotFound, VobizApiError } from "./errors";
import {
  balanceSchema,
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
import { ListCache, ListKind, patches } from "./listCache";
import { NumberObject, SubAccountObject, TrunkObject as Trunk } from "./schemas";
import { ApiRequest, send, TransportSettings } from "./transport";

const MAX_PAGE = 100;

/** One list cache per API origin and account, for the life of the provider host. */
const caches = new Map<string, ListCache>();

const byId = (o: { id: string }) => o.id;
const byTrunkId = (t: Trunk) => t.trunk_id;
const byE164 = (n: NumberObject) => n.e164;

export class VobizApi {
  readonly lists: ListCache;
  /** Numbers for sale looked up in this run, by E.164. */
  private readonly inventory = new Map<string, Promise<NumberObject | undefined>>();

  constructor(readonly settings: TransportSettings) {
    const key = `${settings.endpoint}|${settings.authId}`;
    this.lists = caches.get(key) ?? new ListCache();
    caches.set(key, this.lists);
  }

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

  /** One item of a list answer; a malformed one fails the read naming the call and the field. */
  private item<T>(schema: z.ZodType<T>, value: unknown, index: number, operation: string): T {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new VobizApiError({
      operation,
      status: 200,
      apiMessage: `unexpected response shape at item ${index}, "${issue.path.join(".")}": ${issue.message}`,
    });
  }

  private async callNoContent(req: ApiRequest): Promise<void> {
    await send(this.settings, req);
  }

  /** Pages through a {meta, objects} list to the end at the maximum page size. */
  private async listMeta<T>(schema: z.ZodType<T>, path: string, operation: string): Promise<T[]> {
    const out: T[] = [];
    for (let offset = 0; ; offset += MAX_PAGE) {
      const page = await this.call(metaPageSchema, { method: "GET", path, query: { limit: MAX_PAGE, offset }, operation });
      page.objects.forEach((o, i) => out.push(this.item(schema, o, offset + i, operation)));
      const total = page.meta.total ?? page.meta.total_count;
      if (page.objects.length === 0 || (total !== undefined && out.length >= total) || page.objects.length < MAX_PAGE) return out;
    }
  }

  // --- trunks ---
  createTrunk(body: Record<string, unknown>, idempotencyKey: string) {
    return this.lists.write("trunks", () => this.call(trunkSchema, { method: "POST", path: `${this.account()}/trunks`, body, idempotencyKey, operation: "POST /Account/{auth_id}/trunks" }), patches.upsert(byTrunkId));
  }
  getTrunk(id: string) {
    return this.call(trunkSchema, { method: "GET", path: `${this.account()}/trunks/${encodeURIComponent(id)}`, operation: `GET /Account/{auth_id}/trunks/${id}` });
  }
  updateTrunk(id: string, body: Record<string, unknown>) {
    const put = () => this.call(trunkSchema, { method: "PUT", path: `${this.account()}/trunks/${encodeURIComponent(id)}`, body, operation: `PUT /Account/{auth_id}/trunks/${id}` });
    return this.lists.write("trunks", put, patches.upsert(byTrunkId));
  }
  listTrunks() {
    return this.lists.get("trunks", () => this.listMeta(trunkSchema, `${this.account()}/trunks`, "GET /Account/{auth_id}/trunks"));
  }
  /**
   * A trunk from the shared list (one call for every trunk of a refresh); one missing from it is
   * asked for by id, since a list paged while others delete can skip an item. Undefined if gone.
   */
  async findTrunk(id: string) {
    return (await this.listTrunks()).find((t) => t.trunk_id === id) ?? (await unlessNotFound(this.getTrunk(id)));
  }
  deleteTrunk(id: string) {
    const del = () => this.callNoContent({ method: "DELETE", path: `${this.account()}/trunks/${encodeURIComponent(id)}`, operation: `DELETE /Account/{auth_id}/trunks/${id}` });
    // Vobiz may delete what only this trunk used and unroutes its numbers: those lists are re-read.
    return this.lists.write("trunks", del, patches.remove(byTrunkId, id), ["credentials", "ipAcl", "originationUris", "numbers"]);
  }

  // --- SIP credentials (no single GET: read = list + filter) ---
  createCredential(body: { username: string; password: string }, idempotencyKey: string) {
    const post = () => this.call(credentialSchema, { method: "POST", path: `${this.account()}/credentials`, body, idempotencyKey, operation: "POST /Account/{auth_id}/credentials" });
    return this.lists.write("credentials", post, patches.upsert(byId));
  }
  listCredentials() {
    return this.lists.get("credentials", () => this.listMeta(credentialSchema, `${this.account()}/trunks/credentials`, "GET /Account/{auth_id}/trunks/credentials"));
  }
  updateCredential(id: string, body: Record<string, unknown>) {
    const put = () => this.call(credentialSchema, { method: "PUT", path: `${this.account()}/credentials/${encodeURIComponent(id)}`, body, operation: `PUT /Account/{auth_id}/credentials/${id}` });
    return this.lists.write("credentials", put, patches.upsert(byId));
  }
  /** A credential from the shared list; one missing from it is looked for in a list read now (no GET exists). */
  findCredential(id: string) {
    return this.findListed(() => this.listCredentials(), (c) => c.id === id);
  }
  deleteCredential(id: string) {
    return this.deleteTrunkChild("credentials", `/credentials/${encodeURIComponent(id)}`, `DELETE /Account/{auth_id}/credentials/${id}`, id);
  }

  /** Deleting a credential, IP ACL entry or URI also detaches it from trunks: their list is re-read. */
  private deleteTrunkChild(kind: ListKind, path: string, operation: string, id: string) {
    const del = () => this.callNoContent({ method: "DELETE", path: `${this.account()}${path}`, operation });
    return this.lists.write(kind, del, patches.remove(byId, id), ["trunks"]);
  }

  // --- IP ACL entries (no single GET) ---
  createIpAcl(body: { name: string; ip_address: string }, idempotencyKey: string) {
    const post = () => this.call(ipAclSchema, { method: "POST", path: `${this.account()}/ip-acl`, body, idempotencyKey, operation: "POST /Account/{auth_id}/ip-acl" });
    return this.lists.write("ipAcl", post, patches.upsert(byId));
  }
  listIpAcl() {
    return this.lists.get("ipAcl", () => this.listMeta(ipAclSchema, `${this.account()}/trunks/ip-acl`, "GET /Account/{auth_id}/trunks/ip-acl"));
  }
  updateIpAcl(id: string, body: { name: string; ip_address: string }) {
    const put = () => this.call(ipAclSchema, { method: "PUT", path: `${this.account()}/ip-acl/${encodeURIComponent(id)}`, body, operation: `PUT /Account/{auth_id}/ip-acl/${id}` });
    return this.lists.write("ipAcl", put, patches.upsert(byId));
  }
  deleteIpAcl(id: string) {
    return this.deleteTrunkChild("ipAcl", `/ip-acl/${encodeURIComponent(id)}`, `DELETE /Account/{auth_id}/ip-acl/${id}`, id);
  }

  // --- origination URIs (no single GET; only name and priority are updatable, notes §9.4) ---
  createOriginationUri(body: Record<string, unknown>, idempotencyKey: string) {
    const post = () => this.call(originationUriSchema, { method: "POST", path: `${this.account()}/origination-uris`, body, idempotencyKey, operation: "POST /Account/{auth_id}/origination-uris" });
    return this.lists.write("originationUris", post, patches.upsert(byId));
  }
  listOriginationUris() {
    const fetch = () => this.listMeta(originationUriSchema, `${this.account()}/trunks/origination-uris`, "GET /Account/{auth_id}/trunks/origination-uris");
    return this.lists.get("originationUris", fetch);
  }
  updateOriginationUri(id: string, body: { name: string; priority: number }) {
    const put = () => this.call(originationUriSchema, { method: "PUT", path: `${this.account()}/origination-uris/${encodeURIComponent(id)}`, body, operation: `PUT /Account/{auth_id}/origination-uris/${id}` });
    return this.lists.write("originationUris", put, patches.upsert(byId));
  }
  /** An origination URI from the shared list; one missing from it is looked for in a list read now. */
  findOriginationUri(id: string) {
    return this.findListed(() => this.listOriginationUris(), (o) => o.id === id);
  }
  deleteOriginationUri(id: string) {
    return this.deleteTrunkChild("originationUris", `/origination-uris/${encodeURIComponent(id)}`, `DELETE /Account/{auth_id}/origination-uris/${id}`, id);
  }

  /** An object in a shared list, or, when missing (gone, or skipped by paging), in one read now. */
  private async findListed<T>(list: () => Promise<readonly T[]>, match: (o: T) => boolean): Promise<T | undefined> {
    return (await list()).find(match) ?? (await this.lists.fresh(list)).find(match);
  }

  // --- numbers ---
  /**
   * Every number the account holds (pending releases included), 100 a page, from the shared list.
   * ASSUMPTION: one full list is cheaper than a search per number for the stacks this provider
   * serves (one page per 100 numbers held, once per run).
   */
  listOwnedNumbers(): Promise<readonly NumberObject[]> {
    return this.lists.get("numbers", async () => {
      const out: NumberObject[] = [];
      for (let page = 1; ; page++) {
        const res = await this.call(itemsPageSchema, {
          method: "GET",
          path: `${this.account()}/numbers`,
          query: { page, per_page: MAX_PAGE },
          operation: "GET /Account/{auth_id}/numbers",
        });
        res.items.forEach((item, i) => out.push(this.item(numberSchema, item, (page - 1) * MAX_PAGE + i, "GET /Account/{auth_id}/numbers")));
        if (res.items.length < MAX_PAGE || (res.total !== undefined && out.length >= res.total)) return out;
      }
    });
  }
  /** The owned number with exactly this E.164, asked of the API now (one search, never cached). */
  searchOwnedNumber(e164: string): Promise<NumberObject | undefined> {
    return this.searchNumber("numbers", e164, `GET /Account/{auth_id}/numbers?search=${e164}`);
  }
  /** The number with exactly this E.164 in a number list (the list's search matches substrings). */
  private async searchNumber(list: "numbers" | "inventory/numbers", e164: string, operation: string): Promise<NumberObject | undefined> {
    const page = await this.call(itemsPageSchema, {
      method: "GET",
      path: `${this.account()}/${list}`,
      query: { search: e164, per_page: MAX_PAGE, page: 1 },
      operation,
    });
    return page.items.map((item, i) => this.item(numberSchema, item, i, `GET /Account/{auth_id}/${list}`)).find((n) => n.e164 === e164);
  }
  async findOwnedNumber(e164: string) {
    return (await this.listOwnedNumbers()).find((n) => n.e164 === e164);
  }
  /** A number for sale, with its prices; read once per number and run (prices change rarely). */
  inventoryNumber(e164: string): Promise<NumberObject | undefined> {
    let found = this.inventory.get(e164);
    if (!found) {
      found = this.searchNumber("inventory/numbers", e164, "GET /Account/{auth_id}/inventory/numbers");
      this.inventory.set(e164, found);
      found.catch(() => this.inventory.delete(e164));
    }
    return found;
  }

  /** The account's balance in one currency (available_balance is what can be spent). */
  getBalance(currency: string) {
    return this.call(balanceSchema, {
      method: "GET",
      path: `${this.account()}/balance/${encodeURIComponent(currency)}`,
      operation: "GET /Account/{auth_id}/balance/{currency}",
    });
  }

  async purchaseNumber(e164: string, idempotencyKey: string) {
    const post = () =>
      this.call(purchaseSchema, {
        method: "POST",
        path: `${this.account()}/numbers/purchase-from-inventory`,
        body: { e164 },
        idempotencyKey,
        operation: `POST /Account/{auth_id}/numbers/purchase-from-inventory (${e164})`,
      });
    return (await this.lists.write("numbers", post, (list, res) => patches.upsert(byE164)(list, res.number))).number;
  }
  releaseNumber(e164: string, immediate: boolean) {
    const del = () =>
      this.call(releaseSchema, {
        method: "DELETE",
        path: `${this.account()}/numbers/${encodeURIComponent(e164)}`,
        query: immediate ? { immediate: true } : undefined,
        operation: `DELETE /Account/{auth_id}/numbers/${e164}`,
      });
    // Released at once it leaves the list; otherwise it stays listed, unrouted, for 24 hours.
    const patch = immediate
      ? patches.remove(byE164, e164)
      : patches.change(byE164, e164, (n: NumberObject) => ({ ...n, status: "pending_release", trunk_group_id: undefined }));
    return this.lists.write("numbers", del, patch);
  }
  /** Undoes a release still in its 24-hour window; Vobiz refunds the release fee. */
  cancelRelease(e164: string) {
    const post = () =>
      this.callNoContent({
        method: "POST",
        // The one number route with a lower-case, singular "account" (notes §2.2, §10.8).
        path: `/account/${encodeURIComponent(this.authId)}/numbers/${encodeURIComponent(e164)}/cancel-release`,
        body: {}, // the API reads POST bodies as JSON, even an empty one
        operation: `POST /account/{auth_id}/numbers/${e164}/cancel-release`,
      });
    return this.lists.write("numbers", post, patches.change(byE164, e164, (n: NumberObject) => ({ ...n, status: "active" })));
  }
  assignNumber(e164: string, trunkId: string) {
    const post = () =>
      this.callNoContent({
        method: "POST",
        path: `${this.account()}/numbers/${encodeURIComponent(e164)}/assign`,
        body: { trunk_group_id: trunkId },
        operation: `POST /Account/{auth_id}/numbers/${e164}/assign`,
      });
    return this.lists.write("numbers", post, patches.change(byE164, e164, (n: NumberObject) => ({ ...n, trunk_group_id: trunkId })));
  }
  unassignNumber(e164: string) {
    const del = () =>
      this.callNoContent({
        method: "DELETE",
        path: `${this.account()}/numbers/${encodeURIComponent(e164)}/assign`,
        operation: `DELETE /Account/{auth_id}/numbers/${e164}/assign`,
      });
    return this.lists.write("numbers", del, patches.change(byE164, e164, (n: NumberObject) => ({ ...n, trunk_group_id: undefined })));
  }

  // --- sub-accounts (lower-case plural family; trailing slash on create/list) ---
  private subAccounts(): string {
    return `/accounts/${encodeURIComponent(this.authId)}/sub-accounts`;
  }
  createSubAccount(body: Record<string, unknown>, idempotencyKey: string) {
    const post = () => this.call(subAccountCreatedSchema, { method: "POST", path: `${this.subAccounts()}/`, body, idempotencyKey, operation: "POST /accounts/{auth_id}/sub-accounts/" });
    // The create answer is not a list item (it carries the token): the list is re-read when needed.
    return this.lists.write("subAccounts", post);
  }
  /** Every sub-account, newest first (page/size pagination, 100 per page), from the shared list. */
  listSubAccounts(): Promise<readonly SubAccountObject[]> {
    return this.lists.get("subAccounts", () => this.fetchSubAccounts());
  }
  private async fetchSubAccounts() {
    const out: SubAccountObject[] = [];
    for (let page = 1; ; page++) {
      const res = await this.call(subAccountPageSchema, {
        method: "GET",
        path: `${this.subAccounts()}/`,
        query: { page, size: MAX_PAGE },
        operation: "GET /accounts/{auth_id}/sub-accounts/",
      });
      res.sub_accounts.forEach((item, i) => out.push(this.item(subAccountSchema, item, (page - 1) * MAX_PAGE + i, "GET /accounts/{auth_id}/sub-accounts/")));
      if (res.sub_accounts.length < MAX_PAGE || (res.total !== undefined && out.length >= res.total)) return out;
    }
  }
  /** A sub-account from the shared list; one missing from it is asked for by id. Undefined if gone. */
  async findSubAccount(subAuthId: string) {
    return (await this.listSubAccounts()).find((a) => a.auth_id === subAuthId) ?? (await unlessNotFound(this.getSubAccount(subAuthId)));
  }
  getSubAccount(subAuthId: string) {
    return this.call(subAccountSchema, { method: "GET", path: `${this.subAccounts()}/${encodeURIComponent(subAuthId)}`, operation: `GET /accounts/{auth_id}/sub-accounts/${subAuthId}` });
  }
  updateSubAccount(subAuthId: string, body: Record<string, unknown>) {
    const put = () => this.call(subAccountSchema, { method: "PUT", path: `${this.subAccounts()}/${encodeURIComponent(subAuthId)}`, body, operation: `PUT /accounts/{auth_id}/sub-accounts/${subAuthId}` });
    return this.lists.write("subAccounts", put, patches.upsert((a: SubAccountObject) => a.auth_id));
  }
  deleteSubAccount(subAuthId: string) {
    const del = () => this.callNoContent({ method: "DELETE", path: `${this.subAccounts()}/${encodeURIComponent(subAuthId)}`, operation: `DELETE /accounts/{auth_id}/sub-accounts/${subAuthId}` });
    return this.lists.write("subAccounts", del, patches.remove((a: SubAccountObject) => a.auth_id, subAuthId));
  }
}
