// Lifecycle test engine: `pulumi up/preview/refresh/destroy` without the Pulumi CLI.
// The program runs in-process under the SDK's mock runtime (our own resource monitor); every
// dynamic resource goes through the real `@pulumi/pulumi/cmd/dynamic-provider` host over gRPC.
// See engine.ts for the step semantics and state.ts for the state file format.
import { Change, Deployment, deletionOrder, Program, StackError, Step, toStackError } from "./engine";
import { Host, LogEntry } from "./host";
import { annotateSecrets, isSecret, Props, secret, secretKeys, StateFile, StateResource, StateStore, unwrap } from "./state";

export { Change, Program, StackError, Step } from "./engine";
export { LogEntry } from "./host";
export { StateFile, StateResource, UNKNOWN } from "./state";

export interface StackOptions {
    project: string;
    stack: string;
    /** cwd of the dynamic-provider host (the Pulumi program's directory). */
    programDir: string;
    /** JSON state persisted between runs; `<stateFile>.key` holds the encryption key. */
    stateFile: string;
    /** Stack config, namespaced keys, e.g. {"vobiz:endpoint": "..."}. */
    config?: Record<string, string>;
    /** Secret stack config (stored encrypted in the state file). */
    secretConfig?: Record<string, string>;
    /** Extra env vars for the host process. */
    env?: Record<string, string>;
    /** Registrations processed at once during up/preview (the CLI's --parallel); default 1. */
    parallel?: number;
}

export interface RunResult {
    outputs: Record<string, unknown>;
    secretOutputs: string[];
    steps: Step[];
    logs: LogEntry[];
    hostStderr: string;
    hostStdout: string;
    /** pid of the (now exited) host process. */
    hostPid: number;
}

export class Stack {
    private store: StateStore;
    private config: Record<string, string> = {};
    private secretConfig = new Set<string>();
    /** pid of the provider host of the operation in progress (0 when none): lets a test kill it mid-run. */
    runningHostPid = 0;
    /** Awaited after each create, update or delete of an up (not destroy): lets a test inspect the world between steps. */
    afterChange?: (change: Change) => Promise<void>;

    constructor(private opts: StackOptions) {
        this.store = new StateStore(opts.stateFile);
        // Config persisted by earlier runs, overridden by the options.
        if (this.store.exists()) {
            for (const [k, v] of Object.entries(this.store.load().config ?? {})) {
                this.config[k] = String(unwrap(v));
                if (isSecret(v)) this.secretConfig.add(k);
            }
        }
        for (const [k, v] of Object.entries(opts.config ?? {})) this.setConfigValue(k, v, false);
        for (const [k, v] of Object.entries(opts.secretConfig ?? {})) this.setConfigValue(k, v, true);
    }

    up(program: Program): Promise<RunResult> {
        return this.deploy(program, false);
    }

    preview(program: Program): Promise<RunResult> {
        return this.deploy(program, true);
    }

    /** Read every resource; an empty id from the provider means it is gone. */
    refresh(): Promise<RunResult> {
        return this.withHost(async (starting, steps) => {
            const host = await starting;
            const state = this.store.load();
            for (const r of [...state.resources]) {
                if (!r.custom) continue;
                let res;
                try {
                    res = await host.read(r, r.id!, unwrap(r.outputs), unwrap(r.inputs));
                } catch (e) {
                    throw toStackError(r, "read", e);
                }
                if (!res.id) {
                    state.resources.splice(state.resources.indexOf(r), 1);
                    steps.push(step("refresh-gone", r));
                } else {
                    r.id = res.id;
                    r.outputs = annotateSecrets(res.outputs, r.outputs);
                    if (res.inputs) r.inputs = annotateSecrets(res.inputs, r.inputs);
                    r.secretOutputs = secretKeys(r.outputs);
                    steps.push(step("refresh", r));
                }
                this.save(state);
            }
            return state.outputs;
        });
    }

    /** Delete every resource, dependents first. The program is not run. */
    destroy(): Promise<RunResult> {
        return this.withHost(async (starting, steps) => {
            const host = await starting;
            const state = this.store.load();
            for (const r of deletionOrder(state.resources)) {
                if (r.custom) {
                    if (r.protect) {
                        throw new StackError(`${r.type} ${r.name} (delete): unable to delete resource "${r.urn}" as it is currently marked for protection`);
                    }
                    if (!r.retainOnDelete) {
                        try {
                            await host.delete(r, r.id!, unwrap(r.outputs), unwrap(r.inputs));
                        } catch (e) {
                            throw toStackError(r, "delete", e);
                        }
                    }
                    steps.push(step("delete", r));
                }
                state.resources.splice(state.resources.indexOf(r), 1);
                this.save(state);
            }
            state.outputs = {};
            this.save(state);
            return {};
        });
    }

    /** A resource's outputs as the state file holds them now, secrets decrypted (for tests, also mid-run). */
    outputsOf(name: string): Props | undefined {
        const r = this.store.load().resources.find((x) => x.name === name && x.custom && !x.delete);
        return r && unwrap(r.outputs);
    }

    /** Parsed state file as stored (secrets encrypted). */
    readState(): StateFile {
        return this.store.raw();
    }

    /** Raw state file text. */
    stateText(): string {
        return this.store.text();
    }

    /** Sets an environment variable for the provider hosts of later operations. */
    setEnv(key: string, value: string): void {
        this.opts.env = { ...this.opts.env, [key]: value };
    }

    setConfig(key: string, value: string, isSecretValue = false): void {
        this.setConfigValue(key, value, isSecretValue);
        this.save(this.store.load());
    }

    /** Removes a config key kept in the state file (as `pulumi config rm`). */
    removeConfig(key: string): void {
        delete this.config[key];
        this.secretConfig.delete(key);
        this.save(this.store.load());
    }

    private setConfigValue(key: string, value: string, isSecretValue: boolean): void {
        this.config[key] = value;
        if (isSecretValue) this.secretConfig.add(key);
        else this.secretConfig.delete(key);
    }

    private save(state: StateFile): void {
        const config: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(this.config)) config[k] = this.secretConfig.has(k) ? secret(v) : v;
        this.store.save({ ...state, config });
    }

    private deploy(program: Program, preview: boolean): Promise<RunResult> {
        return this.withHost(async (host, steps) => {
            const d = new Deployment(
                {
                    project: this.opts.project,
                    stack: this.opts.stack,
                    config: { ...this.config },
                    secretConfigKeys: [...this.secretConfig],
                    preview,
                    parallel: this.opts.parallel ?? 1,
                    save: (s) => this.save(s),
                    afterChange: this.afterChange,
                },
                host,
                this.store.load(),
            );
            try {
                await d.run(program);
            } finally {
                steps.push(...d.steps);
            }
            return d.outputs;
        });
    }

    /** One host per operation, started right away and killed at the end whatever happens. */
    private async withHost(fn: (host: Promise<Host>, steps: Step[]) => Promise<Props>): Promise<RunResult> {
        const starting = Host.start({
            programDir: this.opts.programDir,
            project: this.opts.project,
            stack: this.opts.stack,
            config: { ...this.config },
            env: this.opts.env,
        });
        starting.then((h) => (this.runningHostPid = h.pid)).catch(() => undefined);
        const steps: Step[] = [];
        let outputs: Props = {};
        let error: unknown;
        try {
            outputs = await fn(starting, steps);
        } catch (e) {
            error = e;
        }
        let host: Host | undefined;
        try {
            host = await starting;
        } catch (e) {
            error ??= e;
        }
        await host?.stop();
        this.runningHostPid = 0;
        if (error !== undefined) {
            const err = error instanceof StackError ? error : new StackError(String((error as any)?.message ?? error));
            Object.assign(err, { steps, logs: host?.logs ?? [], hostStderr: host?.stderr ?? "", hostStdout: host?.stdout ?? "", hostPid: host?.pid ?? 0 });
            throw err;
        }
        return {
            outputs: unwrap(outputs),
            secretOutputs: secretKeys(outputs),
            steps,
            logs: host!.logs,
            hostStderr: host!.stderr,
            hostStdout: host!.stdout,
            hostPid: host!.pid,
        };
    }
}

function step(op: Step["op"], r: StateResource): Step {
    return { op, urn: r.urn, name: r.name, type: r.type, ...(r.id ? { id: r.id } : {}) };
}
