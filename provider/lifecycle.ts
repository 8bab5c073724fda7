// The generic lifecycle: check, diff, create, read, update and delete for every resource,
// driven by a ResourceSpec (schema + field table + API mapping). Adding a resource type is
// one spec module; nothing here knows about a particular resource.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { VobizApi } from "./client/api";
import { CIRCUIT_OPEN, ResourceOperationError, VobizApiError } from "./client/errors";
import { count, metrics, summarize, withOperationStats } from "./client/guards";
import { writeFileAtomically } from "./files";
import { debugLog, jitteredBackoff } from "./client/transport";
import { api, reportFile } from "./config";
import { recordObject, writeReport } from "./report";
import { containsUnknown, UNKNOWN } from "./validation";

/** What a change to an input costs; "createOnly" inputs (e.g. adopt) matter only when creating. */
export type FieldPolicy = "update" | "replace" | "createOnly";
export type Props = Record<string, unknown>;

/** Hidden inputs the SDK adds so errors and idempotency keys can name the resource. */
export const HIDDEN_INPUTS = ["__vobizName", "__vobizStack", "__vobizParent"] as const;

export interface Ctx {
  api: VobizApi;
  /** e.g. `Trunk "main"`: starts every user-facing message. */
  label: string;
  typeName: string;
  /** Stable identity of the logical resource: project/stack/type/name. */
  identity: string;
  warn(message: string): void;
  /** Sends a non-repeatable write (a POST) at most once per effect; see WriteOnce. */
  writeOnce<T>(write: WriteOnce<T>): Promise<WriteOnceResult<T>>;
}

export interface WriteOnceResult<T> {
  value: T;
  /** True when the object was found (made by an earlier attempt or run), not made by this send. */
  found: boolean;
  /** True when an earlier, interrupted run made it: nothing of this run's sends took effect. */
  byEarlierRun: boolean;
  /** Drops the in-flight record that `keepRecord` kept; a no-op otherwise. */
  settle(): void;
}

/**
 * A POST that must not take effect twice. Vobiz documents no server-side idempotency, so after an
 * answer that leaves the outcome unknown (no response, 5xx) the effect is looked up before anything
 * is sent again. Only objects that can be proven to come from this resource are adopted:
 * - `find`: the natural key itself proves it (a credential username carrying our derived suffix,
 *   a number routed to the trunk we asked for);
 * - `candidates`: objects matching the request that did NOT exist before our first send. The ids
 *   seen before are kept in an in-flight record on disk until the create ends, so an up killed
 *   between the API's commit and its answer adopts the object on the next run, while objects of
 *   other stacks or other resources with the same settings are never taken.
 * The record also holds a random nonce in the Idempotency-Key: the key stays the same across
 * retries and a killed run, and a later create with the same inputs (after a destroy) gets a new
 * one, so a server that honours keys never answers it with the old object.
 */
export interface WriteOnce<T> {
  /** What is being written, for messages: e.g. `trunk "pbx"`. */
  what: string;
  /**
   * The request's non-secret fields (never a password: the key travels in a header, and a hash of
   * a password with public inputs is a dictionary-attack oracle). With the resource's identity and
   * the account they name this logical create and its in-flight record.
   */
  body: unknown;
  /** Sends the request with this Idempotency-Key (the same on every attempt of this logical create). */
  send(idempotencyKey: string): Promise<T>;
  find?(): Promise<T | undefined>;
  candidates?: {
    /** Every object that matches the request. */
    list(): Promise<T[]>;
    /**
     * How old the list behind the snapshot taken before the first send may be (default 0: read
     * now). A matching object someone else makes within this window, before an answer of ours is
     * lost, would be taken for ours; a longer window saves a list read per create.
     */
    snapshotMaxAgeMs?: number;
    /** An object's id: for the snapshot, and so twins in one run never adopt each other's object. */
    idOf(value: T): string;
  };
  /** An answer that means "this exists already" (409 for our username, ...): look it up, do not fail. */
  alreadyDone?(e: VobizApiError): boolean;
  /**
   * One step of a create made of several writes (a whitelist's entries): the record stays after
   * success until the caller's `settle()`, so a run killed at a later step takes this object over
   * on the next run instead of making it again.
   */
  keepRecord?: boolean;
}

interface InflightRecord {
  nonce: string;
  /** When the record was written: records of runs long gone are ignored and swept. */
  at: number;
  /** Ids of matching objects that existed before the first send (writes with `candidates`). */
  before?: string[];
}

/** A killed run is rerun soon or never; an older record proves nothing about what is new. */
const RECORD_TTL_MS = 24 * 3600_000;

/** In-flight creates, one small file per logical create, so a killed run leaves its record behind. */
const inflight = {
  // Per user, and outside the temp directory so a reboot between a killed run and its rerun keeps it.
  dir: () => process.env.VOBIZ_INFLIGHT_DIR || path.join(os.homedir(), ".pulumi-vobiz", "inflight"),
  file(name: string) {
    return path.join(this.dir(), `${name}.json`);
  },
  read(name: string): InflightRecord | undefined {
    try {
      const record = JSON.parse(fs.readFileSync(this.file(name), "utf8")) as InflightRecord;
      return typeof record.at === "number" && Date.now() - record.at < RECORD_TTL_MS ? record : undefined;
    } catch {
      return undefined;
    }
  },
  /** Removes records older than the TTL (left by runs that were killed and never rerun). */
  sweep(): void {
    try {
      for (const f of fs.readdirSync(this.dir())) {
        const file = path.join(this.dir(), f);
        if (Date.now() - fs.statSync(file).mtimeMs > RECORD_TTL_MS) fs.rmSync(file, { force: true });
      }
    } catch {
      // no directory yet
    }
  },
  /** False when the record cannot be kept (e.g. a read-only home): the create still goes ahead. */
  write(name: string, record: InflightRecord): boolean {
    try {
      writeFileAtomically(this.file(name), JSON.stringify(record), { file: 0o600, folder: 0o700 });
      return true;
    } catch {
      return false;
    }
  },
  remove(name: string): void {
    try {
      fs.rmSync(this.file(name), { force: true });
    } catch {
      // an unusable folder was reported when the record could not be written
    }
  },
};

/** Ids this process has created or adopted: never a candidate for another resource's lookup. */
const claimed = new Set<string>();

/**
 * Writes with the same request body (twin resources) run one at a time in this process, so one
 * twin's lookup can never see the other's object before that one is claimed.
 */
const twinQueues = new Map<string, Promise<unknown>>();
function oneAtATime<R>(group: string, fn: () => Promise<R>): Promise<R> {
  const run = (twinQueues.get(group) ?? Promise.resolve()).then(fn, fn);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  twinQueues.set(group, settled);
  void settled.then(() => twinQueues.get(group) === settled && twinQueues.delete(group));
  return run;
}
let swept = false;

const sha256 = (...parts: string[]) => createHash("sha256").update(parts.join("\n")).digest("hex");

/** No answer, or a 5xx: the request may or may not have taken effect. A refused call was never sent. */
export function isAmbiguous(e: unknown): boolean {
  if (!(e instanceof VobizApiError)) return false;
  if (e.status === 0) return e.code !== CIRCUIT_OPEN;
  return e.status >= 500;
}

export interface ResourceSpec<In extends Props = Props> {
  typeName: string;
  schema: z.ZodType<In>;
  /** Every input field that diff compares, and what a change to it costs. */
  fields: Record<string, FieldPolicy>;
  /**
   * Values computed at check time and stored as inputs (e.g. a credential's generation suffix).
   * A change to one of them forces replacement. `olds` are the prior inputs ({} on create).
   */
  derived?: { fields: string[]; compute(ctx: Ctx, inputs: In, olds: Props): Props };
  /**
   * Replacements diff must plan for reasons other than changed inputs (e.g. a credential past its
   * rotation age). Gets the old outputs and the new inputs; returns the fields to name as the cause.
   */
  replacementsDue?(olds: Props, news: Props): string[];
  /**
   * Finds the existing object named by the `adopt` input (its id, or `true` for the natural key in
   * the inputs). Throws a clear error when there is none or more than one. The lifecycle then
   * updates the object to the declared inputs instead of creating one.
   */
  adopt?(ctx: Ctx, inputs: In, ref: true | string): Promise<{ id: string; outs: Props }>;
  /**
   * The inputs that stored outputs stand for, when they differ (e.g. a generated password is an
   * output, not an input). Used by diff and by the inputs that read reports.
   */
  declaredInputs?(outs: Props): Props;
  /**
   * Rules across fields, run at check on the parsed inputs (`unknown` names the fields not known yet
   * in a preview): failures refuse the inputs like schema failures; warnings are logged, not fatal.
   */
  checkRules?(ctx: Ctx, inputs: In, unknown: Set<string>): { failures?: { property: string; reason: string }[]; warnings?: string[] };
  /**
   * Told what a check or diff plans, for logging what it will cost: `creates` when a check has no
   * old inputs (a create, or the new half of a replacement), `replaces` with the old outputs when
   * a diff plans a replacement. Its failures are logged, never fatal.
   */
  onPlan?(ctx: Ctx, plan: { creates: In } | { replaces: Props }): Promise<void>;
  /** The inputs onPlan reads: a preview plans once these are known, whatever else is still unknown. */
  planFields?: readonly (keyof In & string)[];
  create(ctx: Ctx, inputs: In): Promise<{ id: string; outs: Props }>;
  /** Live computed outputs and current input values, or undefined when the object is gone. */
  read(ctx: Ctx, id: string, outs: Props): Promise<Props | undefined>;
  update(ctx: Ctx, id: string, olds: Props, news: In): Promise<Props>;
  delete(ctx: Ctx, id: string, outs: Props): Promise<void>;
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Props)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/** True when every listed input has the same value in `live` (used to recognise our own objects). */
export function matchesInputs(live: Props, inputs: Props, keys: readonly string[]): boolean {
  return keys.every((k) => canonicalJson(live[k]) === canonicalJson(inputs[k]));
}

export function stripUndefined<T extends Props>(o: T): T {
  return JSON.parse(JSON.stringify(o));
}

/**
 * Thrown when a create made an object but a later step failed (e.g. a bought number that could not
 * be routed). The host reports it as "created but failed to initialise", so the engine keeps the id
 * in state and a later destroy cleans it up instead of leaking it.
 */
export class PartialCreateError extends Error {
  constructor(message: string, readonly id: string, public properties: Props) {
    super(message);
    this.name = "PartialCreateError";
  }
  get reasons(): string[] {
    return [this.message];
  }
}

export { unlessNotFound } from "./client/errors";

function heldByOthers(e: Error, what: string): Error {
  return new Error(
    `${e.message}: ${what} exists already but was not made by this resource (another stack, another resource or the console holds it); ` +
      "to take it over, set the resource's adopt input",
  );
}

/** The one object an adopt names; none, or several, is an error that says which. */
export function exactlyOne<T>(what: string, matches: T[], idOf: (value: T) => string, ifSeveral = "set adopt to the id of the one to take over"): T {
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new Error(`adopt: ${what} does not exist, so there is nothing to adopt`);
  throw new Error(`adopt: ${matches.length} objects match ${what} (${matches.map(idOf).join(", ")}); ${ifSeveral}`);
}

function pickOne<T>(what: string, fresh: T[], idOf: (value: T) => string): T | undefined {
  if (fresh.length > 1) {
    throw new Error(
      `${fresh.length} objects matching ${what} appeared since this resource first tried to create it (${fresh.map(idOf).join(", ")}); ` +
        "another stack or program may be creating the same settings at the same time, so none is adopted and nothing is sent again. Remove the extra ones and run again",
    );
  }
  return fresh[0];
}

async function writeOnceAlone<T>(ctx: Ctx, w: WriteOnce<T>, name: string): Promise<WriteOnceResult<T>> {
  if (!swept) {
    swept = true;
    inflight.sweep();
  }
  const limits = api().settings.retry;
  const interrupted = inflight.read(name);
  const nonce = interrupted?.nonce ?? randomBytes(16).toString("hex");
  const key = `pulumi-vobiz-${sha256(name, nonce).slice(0, 40)}`;
  const c = w.candidates;
  /** The one matching object that is neither in `before` nor another resource's, if any. */
  const newOne = (objects: T[], before: Set<string>) =>
    pickOne(w.what, objects.filter((o) => !before.has(c!.idOf(o)) && !claimed.has(c!.idOf(o))), c!.idOf);
  // The record goes once the outcome is known (including "looked, nothing was made"); it stays only
  // when the process dies mid-call or the lookup itself fails, or until the caller settles (keepRecord).
  const settle = () => inflight.remove(name);
  const made = (value: T, found: boolean, byEarlierRun = false): WriteOnceResult<T> => {
    if (c) claimed.add(c.idOf(value));
    if (w.keepRecord) return { value, found, byEarlierRun, settle };
    settle();
    return { value, found, byEarlierRun, settle: () => {} };
  };
  let before: Set<string> | undefined;
  if (c) {
    const lists = ctx.api.lists;
    const now = await (c.snapshotMaxAgeMs ? lists.recent(c.snapshotMaxAgeMs, () => c.list()) : lists.fresh(() => c.list()));
    if (interrupted?.before) {
      // A run killed between the API's commit and its answer left this record: what is new since is ours.
      const existing = newOne(now, new Set(interrupted.before));
      if (existing !== undefined) {
        ctx.warn(`found ${w.what}, made by an earlier run that was interrupted before it could record it; adopting it instead of creating another`);
        return made(existing, true, true);
      }
    }
    before = new Set(interrupted?.before ?? now.map(c.idOf));
  }
  if (!inflight.write(name, { nonce, at: interrupted?.at ?? Date.now(), ...(before ? { before: [...before] } : {}) })) {
    ctx.warn(`cannot keep an in-flight record in ${inflight.dir()} (set VOBIZ_INFLIGHT_DIR to a writable folder): if this run is killed mid-create, the next run cannot recognise what it made`);
  }
  // Read from the API, never the cache: the answer decides whether the write is sent again.
  const lookup = (): Promise<T | undefined> => ctx.api.lists.fresh(async () => (c ? newOne(await c.list(), before!) : await w.find?.()));
  let sentAmbiguously = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return made(await w.send(key), false);
    } catch (e) {
      const done = e instanceof VobizApiError && w.alreadyDone?.(e);
      // "Exists already" proves ownership only by a name only we use (find), or after one of our
      // own sends may have landed; otherwise someone else holds it.
      if ((!done && !isAmbiguous(e)) || (done && c && !sentAmbiguously)) {
        settle();
        throw done ? heldByOthers(e as Error, w.what) : e;
      }
      if (!done) sentAmbiguously = true;
      // Always look after an ambiguous answer; maxRetries limits only the re-sends.
      let existing: T | undefined;
      try {
        existing = await lookup();
        if (existing === undefined && e instanceof VobizApiError && e.timedOut) {
          // A request we stopped waiting for may still be running on the server: give it one more
          // timeout period to land before sending again (capped at 30 s).
          await new Promise((r) => setTimeout(r, Math.min(api().settings.timeoutMs, 30_000)));
          existing = await lookup();
        }
      } catch (lookupError) {
        throw new Error(`${(e as Error).message}; looking up whether ${w.what} was made anyway also failed: ${(lookupError as Error).message}`);
      }
      if (existing !== undefined) {
        if (done) ctx.warn(`${w.what} was made by an earlier attempt of this resource (${(e as Error).message}); adopting it`);
        else count("recoveredWrites");
        return made(existing, true);
      }
      if (done || attempt > limits.maxRetries) {
        settle();
        throw done ? heldByOthers(e as Error, w.what) : e;
      }
      count("retries");
      await new Promise((r) => setTimeout(r, jitteredBackoff(attempt, limits.backoffBaseMs)));
    }
  }
}

function makeCtx(spec: ResourceSpec<any>, props: Props): Ctx {
  const name = typeof props.__vobizName === "string" ? props.__vobizName : "(unnamed)";
  const stack = typeof props.__vobizStack === "string" ? props.__vobizStack : "";
  const parent = typeof props.__vobizParent === "string" && props.__vobizParent ? `${props.__vobizParent}$` : "";
  const identity = `${stack}/${spec.typeName}/${parent}${name}`;
  const label = `${spec.typeName} "${name}"`;
  return {
    get api() {
      return api();
    },
    label,
    typeName: spec.typeName,
    identity,
    warn(message: string) {
      void pulumi.log.warn(`${label}: ${message}`);
    },
    async writeOnce<T>(w: WriteOnce<T>) {
      const settings = api().settings;
      const group = sha256(settings.endpoint, settings.authId, canonicalJson(w.body));
      return oneAtATime(group, () => writeOnceAlone(this, w, sha256(group, identity).slice(0, 40)));
    },
  };
}

/**
 * Runs one provider operation with its own API-call counters; reports retries, 429 waits, breaker
 * opens and recovered writes in one line at the end, and wraps any failure with the resource label.
 */
async function guarded<T>(ctx: Ctx, action: string, fn: () => Promise<T>, wrapError = true): Promise<T> {
  const { stats, result, error } = await withOperationStats(fn);
  if (stats.requests) {
    // Metrics on success, latency, errors and rate limiting: this operation's and the process totals.
    debugLog(ctx.api.settings, "vobiz metrics", { resource: ctx.label, action, operation: stats, process: metrics() });
  }
  const summary = summarize(stats);
  if (summary) {
    const line = `${ctx.label}: ${action}: ${summary}`;
    await (stats.breakerOpens || stats.breakerRejections ? pulumi.log.warn(line) : pulumi.log.info(line));
  }
  if (error === undefined && (action === "create" || action === "update" || action === "delete")) recordObject(ctx.typeName, `${action}d`);
  saveReport((m) => ctx.warn(m));
  if (error === undefined) return result as T;
  throw wrapError ? new ResourceOperationError(ctx.label, action, error) : error;
}

function pick(props: Props, keys: readonly string[]): Props {
  return Object.fromEntries(keys.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
}

/** Removes sentinel leaves so the schema validates only what is known. */
function withoutUnknowns(v: unknown): unknown {
  if (v === UNKNOWN) return undefined;
  if (Array.isArray(v)) return v.map(withoutUnknowns);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutUnknowns(x)]));
  return v;
}

/** Rewrites the operations report, when one is configured. */
function saveReport(warn: (message: string) => void): void {
  writeReport(reportFile(), warn);
}

/** Runs a spec's onPlan; what it cannot find out is a warning, never a failed check or diff. */
async function planned(spec: ResourceSpec<any>, ctx: Ctx, plan: { creates: Props } | { replaces: Props }): Promise<void> {
  try {
    await spec.onPlan!(ctx, plan);
  } catch (e) {
    await pulumi.log.warn(`${ctx.label}: cannot tell what this costs: ${(e as Error).message}`);
  }
  saveReport((m) => ctx.warn(m));
}

/** Ids (type/id) whose diff planned a replacement in this process. */
const beingReplaced = new Set<string>();

/**
 * With `adopt`, takes over the existing object and updates it to the declared inputs; without it,
 * or when the object found is the one this resource is replacing, creates a new one.
 */
async function createOrAdopt(spec: ResourceSpec<any>, ctx: Ctx, inputs: Props): Promise<{ id: string; outs: Props }> {
  const ref = inputs.adopt as true | string | undefined;
  if (ref === undefined || !spec.adopt) return spec.create(ctx, inputs);
  // What to take over is looked up in lists read now: an object made minutes ago counts.
  const found = await ctx.api.lists.fresh(() => spec.adopt!(ctx, inputs, ref));
  if (beingReplaced.has(`${spec.typeName}/${found.id}`)) return spec.create(ctx, inputs);
  const outs = await spec.update(ctx, found.id, found.outs, inputs);
  return { id: found.id, outs: { ...found.outs, ...outs } };
}

export function makeLifecycle(spec: ResourceSpec<any>) {
  // Derived once per type: what diff compares (derived values force replacement) and which keys are inputs.
  const policies: Record<string, FieldPolicy> = { ...spec.fields };
  for (const d of spec.derived?.fields ?? []) policies[d] = "replace";
  const inputKeys = [...HIDDEN_INPUTS, ...Object.keys(policies)];
  const inputsOf = (props: Props) => pick(props, inputKeys);
  /** Outputs that are not inputs (ids, domains, tokens): kept across updates unless the update returns new ones. */
  const computedOf = (props: Props) =>
    Object.fromEntries(Object.entries(props).filter(([k]) => !inputKeys.includes(k) && k !== "__provider"));

  return {
    async check(olds: Props, news: Props) {
      const raw: Props = {};
      for (const [k, v] of Object.entries(news)) if (!k.startsWith("__")) raw[k] = v;
      const unknownFields = new Set(Object.keys(raw).filter((k) => containsUnknown(raw[k])));
      const parsed = spec.schema.safeParse(withoutUnknowns(raw));
      if (!parsed.success) {
        const failures = parsed.error.issues
          .filter((i) => !unknownFields.has(String(i.path[0])))
          .map((i) => ({ property: i.path.length ? i.path.join(".") : "(inputs)", reason: i.message }));
        if (failures.length) return { inputs: news, failures };
      }
      // When only unknown fields failed (a required value not known yet), keep the known values as given.
      const inputs: Props = { ...pick(news, HIDDEN_INPUTS), ...(parsed.success ? parsed.data : raw) };
      for (const k of unknownFields) inputs[k] = raw[k];
      if (spec.checkRules) {
        const ctx = makeCtx(spec, news);
        const rules = spec.checkRules(ctx, inputs, unknownFields);
        if (rules.failures?.length) return { inputs: news, failures: rules.failures };
        for (const w of rules.warnings ?? []) await pulumi.log.warn(`${ctx.label}: ${w}`);
      }
      const planKnown = (spec.planFields ?? Object.keys(raw)).every((f) => !unknownFields.has(f));
      if (spec.onPlan && planKnown && Object.keys(olds ?? {}).length === 0) await planned(spec, makeCtx(spec, news), { creates: inputs });
      if (spec.derived && unknownFields.size === 0) {
        Object.assign(inputs, spec.derived.compute(makeCtx(spec, news), inputs, olds ?? {}));
      } else if (spec.derived) {
        // Preview with unknowns: keep the prior derived values; the unknown field itself marks the diff.
        for (const f of spec.derived.fields) if (olds?.[f] !== undefined) inputs[f] = olds[f];
      }
      return { inputs: stripUndefined(inputs) };
    },

    async diff(id: string, olds: Props, news: Props) {
      const changed: string[] = [];
      const replaces: string[] = [];
      const declared = spec.declaredInputs?.(olds) ?? olds;
      for (const [field, policy] of Object.entries(policies)) {
        if (policy === "createOnly") continue;
        const next = news[field];
        const same = !containsUnknown(next) && canonicalJson(declared[field]) === canonicalJson(next);
        if (same) continue;
        changed.push(field);
        if (policy === "replace") replaces.push(field);
      }
      for (const field of spec.replacementsDue?.(olds, news) ?? []) {
        if (!changed.includes(field)) changed.push(field);
        if (!replaces.includes(field)) replaces.push(field);
      }
      // The replacement's create must make a new object, not adopt this one again.
      if (replaces.length) beingReplaced.add(`${spec.typeName}/${id}`);
      if (replaces.length && spec.onPlan) await planned(spec, makeCtx(spec, olds), { replaces: olds });
      if (replaces.length) {
        recordObject(spec.typeName, "replacementsPlanned");
        saveReport((m) => void pulumi.log.warn(m));
      }
      return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
    },

    async create(inputs: Props) {
      const ctx = makeCtx(spec, inputs);
      let made: { id: string; outs: Props };
      try {
        made = await guarded(ctx, "create", () => createOrAdopt(spec, ctx, inputs), false);
      } catch (e) {
        if (e instanceof PartialCreateError) {
          // The host packs id and properties into the error; __provider must be there for a later delete.
          e.properties = stripUndefined({ ...inputs, ...e.properties });
          e.message = `${ctx.label}: create failed: ${e.message}`;
          throw e;
        }
        throw new ResourceOperationError(ctx.label, "create", e);
      }
      const { id, outs } = made;
      return { id, outs: stripUndefined({ ...inputs, ...outs }) };
    },

    async read(id: string, props: Props) {
      const ctx = makeCtx(spec, props);
      const live = await guarded(ctx, "read", () => spec.read(ctx, id, props));
      // An empty id tells the engine the object is gone; errors above throw instead.
      if (!live) return { id: "", props: {} };
      const merged = stripUndefined({ ...props, ...live });
      return { id, props: merged, inputs: inputsOf(spec.declaredInputs?.(merged) ?? merged) };
    },

    async update(id: string, olds: Props, news: Props) {
      const ctx = makeCtx(spec, news);
      const outs = await guarded(ctx, "update", () => spec.update(ctx, id, olds, news));
      return { outs: stripUndefined({ ...computedOf(olds), ...news, ...outs }) };
    },

    async delete(id: string, props: Props) {
      const ctx = makeCtx(spec, props);
      await guarded(ctx, "delete", async () => {
        try {
          await spec.delete(ctx, id, props);
        } catch (e) {
          if (e instanceof VobizApiError && e.isNotFound) return; // already gone: nothing to delete
          throw e;
        }
      });
    },
  };
}
