// The deployment engine: runs a program under the SDK's mock runtime with our own resource monitor
// and turns each dynamic-resource registration into Check/Diff/Create/Update/Delete calls on the host.
//
// Reproduced: check -> create; check -> diff -> same/update/replace (create-before-delete, or
// delete-before-replace from diff or the option); deletes of replaced and unregistered resources at
// the end, dependents first; state saved after every step; secrets annotated from inputs and
// additionalSecretOutputs; protect, retainOnDelete, top-level ignoreChanges, replaceOnChanges (only
// when the provider has no diff, as in the engine); unknowns in preview.
// Registrations run `parallel` at a time (default 1: one at a time, in registration order, for
// deterministic logs); the program's own data flow orders dependents after their dependencies.
// Deletes at the end run one at a time.
// Not reproduced: dependents
// replaced along with a delete-before-replace resource, pending operations after a crash, partial
// state from ErrorResourceInitFailed, aliases, import/.get(), invokes, transforms, hooks, deletedWith,
// replaceWith, replacementTrigger, customTimeouts, explicit provider resources, --target.
import { CheckFailure, Host, HostCallError, InitFailure, LogEntry, Target } from "./host";
import {
    annotateSecrets,
    deepEqual,
    Props,
    secret,
    secretKeys,
    StateFile,
    StateResource,
    stripUndefined,
    unwrap,
} from "./state";

/* eslint-disable @typescript-eslint/no-var-requires */
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");
const resproto = require("@pulumi/pulumi/proto/resource_pb");
// Internal SDK modules (the global store is shared by every copy of @pulumi/pulumi in the process).
const sdkState = require("@pulumi/pulumi/runtime/state");
const sdkSettings = require("@pulumi/pulumi/runtime/settings");
const sdkStack = require("@pulumi/pulumi/runtime/stack");
const sdkConfig = require("@pulumi/pulumi/runtime/config");

export type Program = () => unknown | Promise<unknown>;

export interface Step {
    op:
        | "create"
        | "update"
        | "replace"
        | "delete"
        | "same"
        | "refresh"
        | "refresh-gone"
        | "preview-create"
        | "preview-update"
        | "preview-replace"
        | "preview-delete";
    urn: string;
    name: string;
    type: string;
    id?: string;
    replaces?: string[];
}

export class StackError extends Error {
    steps: Step[] = [];
    logs: LogEntry[] = [];
    hostStderr = "";
    hostStdout = "";
    hostPid = 0;
    /** Set when the provider made the object before failing (the engine then keeps it in state). */
    initFailure?: InitFailure;
    constructor(message: string) {
        super(message);
        this.name = "StackError";
    }
}

const STACK_TYPE = "pulumi:pulumi:Stack";
const DYNAMIC_TYPE = /^pulumi-nodejs:dynamic(\/[^:]*)?:[^:]+$/;
/** gRPC status code UNIMPLEMENTED. */
const GRPC_UNIMPLEMENTED = 12;
// Monitor features we implement; the SDK refuses options that need the others.
const FEATURES = new Set(["secrets"]);

export function makeUrn(project: string, stack: string, type: string, name: string, parent?: string): string {
    let qualified = type;
    if (parent) {
        const parentType = parent.split("::")[2];
        if (parentType !== STACK_TYPE) qualified = `${parentType}$${type}`;
    }
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** Dependents before their dependencies (dependencies + parent links); ties in reverse state order. */
export function deletionOrder(resources: StateResource[]): StateResource[] {
    const remaining = [...resources].reverse();
    const out: StateResource[] = [];
    while (remaining.length) {
        let i = remaining.findIndex(
            (r) => !remaining.some((o) => o !== r && o.urn !== r.urn && (o.dependencies.includes(r.urn) || o.parent === r.urn)),
        );
        if (i < 0) i = 0; // cycle: fall back to reverse order
        out.push(remaining.splice(i, 1)[0]);
    }
    return out;
}

export interface DeploymentOptions {
    project: string;
    stack: string;
    config: Record<string, string>;
    secretConfigKeys: string[];
    preview: boolean;
    /** Provider operations for registrations in flight at once (the CLI's --parallel). */
    parallel: number;
    save: (state: StateFile) => void;
    /** Awaited after each create, update and delete the provider completes (tests check the world between steps). */
    afterChange?: (change: Change) => Promise<void>;
}

export interface Change {
    method: "create" | "update" | "delete";
    type: string;
    name: string;
}

/** One `up` or `preview`. */
export class Deployment {
    readonly steps: Step[] = [];
    private news: StateResource[] = [];
    private matched = new Set<StateResource>();
    private gone = new Set<StateResource>();
    private pendingDeletes: StateResource[] = [];
    private seen = new Set<string>();
    private stackUrn?: string;
    private stackOutputs?: Props;
    private running = 0;
    private waiting: Array<() => void> = [];
    private failure?: Error;
    private rejectFailed!: (e: Error) => void;
    private failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));

    constructor(private opts: DeploymentOptions, private host: Promise<Host>, private old: StateFile) {
        this.failed.catch(() => undefined);
    }

    get outputs(): Props {
        return this.stackOutputs ?? {};
    }

    async run(program: Program): Promise<void> {
        const monitor = this.monitor();
        const run: Promise<void> = sdkState.withLocalStorage(async () => {
            sdkSettings.setMockOptions(monitor, this.opts.project, this.opts.stack, this.opts.preview);
            sdkConfig.setAllConfig(this.opts.config, this.opts.secretConfigKeys);
            await sdkStack.runInPulumiStack(program);
            await sdkSettings.waitForRPCs();
        });
        run.catch(() => undefined);
        // Like the language host, an unhandled rejection (e.g. a rejected input Output) fails the run.
        // Other listeners (node:test's) are detached meanwhile so the error is reported once, here.
        const saved = process.listeners("unhandledRejection");
        const onUnhandled = (reason: any) => this.fail(new StackError(`Running program failed: ${reason?.message ?? reason}`));
        process.removeAllListeners("unhandledRejection");
        process.on("unhandledRejection", onUnhandled);
        try {
            await Promise.race([run, this.failed]);
            await new Promise((r) => setImmediate(r)); // let pending rejections be reported
        } catch (e: any) {
            if (!this.failure) this.fail(new StackError(`Running program failed: ${e?.message ?? e}`));
        } finally {
            await new Promise((r) => setImmediate(r));
            process.off("unhandledRejection", onUnhandled);
            for (const l of saved) process.on("unhandledRejection", l as (...args: any[]) => void);
        }
        if (this.failure) throw this.failure;
        await this.finish();
    }

    private fail(e: unknown): void {
        if (this.failure) return;
        this.failure = e instanceof StackError ? e : new StackError(String((e as any)?.message ?? e));
        this.rejectFailed(this.failure);
    }

    private save(): void {
        if (this.opts.preview) return;
        const live = this.old.resources.filter((r) => !this.matched.has(r) && !this.gone.has(r));
        const pending = this.pendingDeletes.filter((r) => !this.gone.has(r)).map((r) => ({ ...r, delete: true }));
        this.opts.save({
            version: 1,
            config: {},
            resources: [...this.news, ...live, ...pending],
            outputs: this.stackOutputs ?? this.old.outputs,
        });
    }

    private monitor(): object {
        return {
            supportsFeature: (req: any, cb: any) => cb(null, { getHassupport: () => FEATURES.has(req.getId()) }),
            // Newer SDKs (3.249+) ask for every feature at once; "unimplemented" makes them ask
            // one by one through supportsFeature, as older engines require.
            getDeploymentInfo: (_req: any, cb: any) => cb(Object.assign(new Error("GetDeploymentInfo is not implemented by the test harness"), { code: GRPC_UNIMPLEMENTED })),
            registerResource: (req: any, cb: any) => this.onRegister(req, cb),
            registerResourceOutputs: (req: any, cb: any) => {
                const urn = req.getUrn();
                const outputs: Props = req.getOutputs()?.toJavaScript() ?? {};
                const entry = this.news.find((r) => r.urn === urn);
                if (entry) {
                    entry.outputs = outputs;
                    entry.secretOutputs = secretKeys(outputs);
                }
                if (urn === this.stackUrn) this.stackOutputs = outputs;
                cb(null, new emptyproto.Empty());
            },
            readResource: (req: any) =>
                this.fail(new StackError(`${req.getType()} ${req.getName()} (read): .get()/read is not supported by the test harness`)),
            invoke: (req: any, cb: any) => cb(new Error(`invoke ${req.getTok()} is not supported by the test harness`)),
            registerPackage: (_req: any, cb: any) => {
                const resp = new resproto.RegisterPackageResponse();
                resp.setRef("harness");
                cb(null, resp);
            },
            signalAndWaitForShutdown: (_req: any, cb: any) => cb(null, new emptyproto.Empty()),
        };
    }

    private onRegister(req: any, cb: any): void {
        const type: string = req.getType();
        const name: string = req.getName();
        const parent: string | undefined = req.getParent() || undefined;
        const urn = makeUrn(this.opts.project, this.opts.stack, type, name, parent);
        const respond = (id: string, object: Props) => {
            const resp = new resproto.RegisterResourceResponse();
            resp.setUrn(urn);
            resp.setId(id);
            resp.setObject(structproto.Struct.fromJavaScript(stripUndefined(object)));
            cb(null, resp);
        };
        if (this.failure) return;
        if (this.seen.has(urn)) return this.fail(new StackError(`Duplicate resource URN '${urn}'`));
        this.seen.add(urn);

        if (!req.getCustom()) {
            // Components (and the stack) have no provider: just record them.
            const old = this.matchOld(urn);
            if (old) this.matched.add(old);
            if (type === STACK_TYPE) this.stackUrn = urn;
            this.news.push({
                urn, type, name, custom: false,
                inputs: req.getObject()?.toJavaScript() ?? {},
                outputs: {},
                dependencies: unique(req.getDependenciesList()),
                secretOutputs: [],
                ...(parent ? { parent } : {}),
            });
            this.save();
            return respond("", {});
        }
        if (!DYNAMIC_TYPE.test(type)) {
            return this.fail(new StackError(`${type} ${name}: only dynamic resources are supported by the test harness`));
        }
        if (req.getImportid()) {
            return this.fail(new StackError(`${type} ${name}: the import option is not supported for dynamic resources`));
        }
        void this.inSlot(async () => {
            if (this.failure) return; // a failed run leaves later registrations pending forever
            try {
                const r = await this.registerCustom(req, urn, parent);
                if (!this.failure) respond(r.id, r.object);
            } catch (e) {
                this.fail(e);
            }
        });
    }

    /** At most `parallel` registrations at once, started in registration order. */
    private async inSlot(fn: () => Promise<void>): Promise<void> {
        if (this.running >= Math.max(1, this.opts.parallel)) await new Promise<void>((r) => this.waiting.push(r));
        this.running++;
        try {
            await fn();
        } finally {
            this.running--;
            this.waiting.shift()?.();
        }
    }

    private matchOld(urn: string): StateResource | undefined {
        return this.old.resources.find((r) => r.urn === urn && !r.delete && !this.matched.has(r) && !this.gone.has(r));
    }

    private async registerCustom(req: any, urn: string, parent?: string): Promise<{ id: string; object: Props }> {
        const t: Target = { urn, name: req.getName(), type: req.getType() };
        const preview = this.opts.preview;
        let news: Props = req.getObject()?.toJavaScript() ?? {};
        const additionalSecretOutputs: string[] = req.getAdditionalsecretoutputsList();
        const protect: boolean = req.getProtect();
        const retainOnDelete: boolean = req.getRetainondelete();
        const entry = (id: string, inputs: Props, outputs: Props): StateResource => ({
            urn, type: t.type, name: t.name, custom: true, id, inputs, outputs,
            dependencies: unique(req.getDependenciesList()),
            secretOutputs: secretKeys(outputs),
            ...(parent ? { parent } : {}),
            ...(protect ? { protect } : {}),
            ...(retainOnDelete ? { retainOnDelete } : {}),
        });
        const outputsOf = (plain: Props, inputs: Props): Props => {
            const outs = annotateSecrets(plain, inputs);
            for (const k of additionalSecretOutputs) if (k in outs) outs[k] = secret(outs[k]);
            return outs;
        };
        const create = async (inputs: Props) => {
            const res = await this.call(t, "create", (h) => h.create(t, unwrap(inputs))).catch((e) => {
                // Made but not initialised: the engine records it (so destroy can clean it up), then fails the run.
                const made = e instanceof StackError ? e.initFailure : undefined;
                if (made?.id) {
                    this.news.push(entry(made.id, inputs, outputsOf(made.properties, inputs)));
                    this.save();
                }
                throw e;
            });
            return entry(res.id, inputs, outputsOf(res.outputs, inputs));
        };
        const step = (op: Step["op"], id?: string, replaces?: string[]) =>
            this.steps.push({ op, urn, name: t.name, type: t.type, ...(id ? { id } : {}), ...(replaces ? { replaces } : {}) });

        const old = this.matchOld(urn);
        if (!old) {
            const checked = await this.check(t, {}, news);
            if (preview) {
                step("preview-create");
                return { id: "", object: checked };
            }
            const created = await create(checked);
            this.news.push(created);
            this.save();
            await this.changed("create", t);
            step("create", created.id);
            return { id: created.id!, object: created.outputs };
        }

        // The engine applies ignoreChanges (top-level keys here) to the news before Check.
        for (const k of req.getIgnorechangesList() as string[]) {
            if (k in old.inputs) news = { ...news, [k]: old.inputs[k] };
            else delete news[k];
        }
        const checked = await this.check(t, old.inputs, news);
        const diff = await this.call(t, "diff", (h) =>
            h.diff(t, old.id!, unwrap(old.outputs), unwrap(checked), unwrap(old.inputs)),
        );
        let changed = diff.changes === "some";
        let replaces = diff.replaces;
        if (diff.changes === "unknown") {
            // No provider diff: the engine compares old and new inputs itself.
            const keys = new Set([...Object.keys(old.inputs), ...Object.keys(checked)]);
            const changedKeys = [...keys].filter((k) => !deepEqual(unwrap(old.inputs[k]), unwrap(checked[k])));
            changed = changedKeys.length > 0;
            const roc: string[] = req.getReplaceonchangesList();
            if (!replaces.length) replaces = changedKeys.filter((k) => roc.includes(k) || roc.includes("*"));
        }

        if (!changed) {
            // Old outputs, but secretness from the new registration applies (secrets are sticky).
            const same = entry(old.id!, checked, outputsOf(old.outputs, checked));
            this.news.push(same);
            this.matched.add(old);
            this.save();
            step("same", old.id);
            return { id: old.id!, object: same.outputs };
        }

        if (!replaces.length) {
            if (preview) {
                this.matched.add(old);
                step("preview-update", old.id);
                return { id: old.id!, object: checked };
            }
            const outs = await this.call(t, "update", (h) =>
                h.update(t, old.id!, unwrap(old.outputs), unwrap(checked), unwrap(old.inputs)),
            );
            const updated = entry(old.id!, checked, outputsOf(outs, checked));
            this.news.push(updated);
            this.matched.add(old);
            this.save();
            await this.changed("update", t);
            step("update", old.id);
            return { id: old.id!, object: updated.outputs };
        }

        if (protect) {
            throw new StackError(`${t.type} ${t.name} (replace): unable to replace resource "${urn}" as it is currently marked for protection`);
        }
        // As the engine does while planning (preview included): the replacement is checked as a create.
        const fresh = await this.check(t, {}, news);
        if (preview) {
            this.matched.add(old);
            step("preview-replace", undefined, replaces);
            return { id: "", object: fresh };
        }
        if (diff.deleteBeforeReplace || req.getDeletebeforereplace()) {
            await this.deleteResource(old);
            this.matched.add(old);
            this.gone.add(old);
            this.save();
            await this.changed("delete", t);
            const created = await create(fresh);
            this.news.push(created);
            this.save();
            await this.changed("create", t);
            step("replace", created.id, replaces);
            return { id: created.id!, object: created.outputs };
        }
        // Create-before-delete: the old one is deleted in finish(), after every create/update.
        const created = await create(fresh);
        this.news.push(created);
        this.matched.add(old);
        this.pendingDeletes.push(old);
        this.save();
        await this.changed("create", t);
        step("replace", created.id, replaces);
        return { id: created.id!, object: created.outputs };
    }

    /** Runs the test's hook once the change is in the state file. */
    private async changed(method: Change["method"], t: Target): Promise<void> {
        await this.opts.afterChange?.({ method, type: t.type, name: t.name });
    }

    private async check(t: Target, olds: Props, news: Props): Promise<Props> {
        const res = await this.call(t, "check", (h) => h.check(t, unwrap(olds), unwrap(news)));
        if (res.failures.length) throw new StackError(checkMessage(t, res.failures));
        return annotateSecrets(res.inputs, news);
    }

    private async call<T>(t: Target, method: string, fn: (host: Host) => Promise<T>): Promise<T> {
        let result: T;
        try {
            result = await fn(await this.host); // the host boots while the program runs
        } catch (e) {
            throw toStackError(t, method, e);
        }
        return result;
    }

    private async deleteResource(r: StateResource): Promise<void> {
        if (!r.custom || r.retainOnDelete) return;
        await this.call(r, "delete", (h) => h.delete(r, r.id!, unwrap(r.outputs), unwrap(r.inputs)));
    }

    /** Deletes replaced and no-longer-registered resources, dependents first, then records outputs. */
    private async finish(): Promise<void> {
        const replaced = new Set(this.pendingDeletes);
        const candidates = [...this.pendingDeletes, ...this.old.resources.filter((r) => !this.matched.has(r) && !this.gone.has(r))];
        for (const r of deletionOrder(candidates)) {
            if (!r.custom) {
                this.gone.add(r);
                continue;
            }
            const step: Step = { op: "delete", urn: r.urn, name: r.name, type: r.type, ...(r.id ? { id: r.id } : {}) };
            if (this.opts.preview) {
                this.steps.push({ ...step, op: "preview-delete" });
                continue;
            }
            if (r.protect && !replaced.has(r)) {
                throw new StackError(`${r.type} ${r.name} (delete): unable to delete resource "${r.urn}" as it is currently marked for protection`);
            }
            await this.deleteResource(r);
            this.gone.add(r);
            this.save();
            await this.changed("delete", r);
            if (!replaced.has(r)) this.steps.push(step); // a replaced resource's delete is part of its "replace" step
        }
        this.stackOutputs ??= {};
        this.save();
    }
}

export function checkMessage(t: Target, failures: CheckFailure[]): string {
    return `${t.type} ${t.name} (check): ` + failures.map((f) => `${t.name}: ${f.property}: ${f.reason}`).join("; ");
}

export function toStackError(t: Target, method: string, e: unknown): StackError {
    if (e instanceof StackError) return e;
    const msg = e instanceof HostCallError ? e.details : String((e as any)?.message ?? e);
    const err = new StackError(`${t.type} ${t.name} (${method}): ${msg}`);
    if (e instanceof HostCallError) err.initFailure = e.initFailure;
    return err;
}

function unique(xs: string[]): string[] {
    return [...new Set(xs)];
}
