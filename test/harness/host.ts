// One real `@pulumi/pulumi/cmd/dynamic-provider` host process per operation, driven over gRPC,
// plus the stub pulumirpc.Engine server that receives its pulumi.log messages.
import { ChildProcess, spawn } from "child_process";

/* eslint-disable @typescript-eslint/no-var-requires */
const grpc = require("@grpc/grpc-js");
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const engproto = require("@pulumi/pulumi/proto/engine_pb");
const statusproto = require("@pulumi/pulumi/proto/status_pb");
const engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");

import { Props, stripUndefined } from "./state";

export interface LogEntry {
    severity: "debug" | "info" | "warning" | "error";
    message: string;
    urn?: string;
}

export interface HostOptions {
    programDir: string;
    project: string;
    stack: string;
    config: Record<string, string>; // decrypted stack config
    env?: Record<string, string>;
}

export interface CheckFailure {
    property: string;
    reason: string;
}

export interface DiffResult {
    changes: "unknown" | "none" | "some";
    replaces: string[];
    deleteBeforeReplace: boolean;
}

/** A gRPC error from the host; `details` is the provider's own error message. */
/** An object the provider made before failing (the host's ErrorResourceInitFailed detail). */
export interface InitFailure {
    id: string;
    properties: Props;
    reasons: string[];
}

export class HostCallError extends Error {
    constructor(readonly method: string, readonly details: string, readonly initFailure?: InitFailure) {
        super(details);
    }
}

/** The engine keeps a resource whose create failed after it was made; the host says so in the status details. */
function initFailureOf(err: any): InitFailure | undefined {
    const raw = err?.metadata?.get?.("grpc-status-details-bin")?.[0];
    if (!raw) return undefined;
    const status = statusproto.Status.deserializeBinary(new Uint8Array(raw));
    for (const any of status.getDetailsList()) {
        if (!String(any.getTypeUrl()).endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
        const detail = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
        return { id: detail.getId(), properties: detail.getProperties()?.toJavaScript() ?? {}, reasons: detail.getReasonsList() };
    }
    return undefined;
}

const SEVERITY: Record<number, LogEntry["severity"]> = { 0: "debug", 1: "info", 2: "warning", 3: "error" };

function struct(v: Props): any {
    return structproto.Struct.fromJavaScript(stripUndefined(v));
}

function hostEntryPoint(programDir: string): string {
    // The engine runs the host installed next to the program; fall back to the harness's copy.
    for (const paths of [[programDir], undefined]) {
        try {
            return require.resolve("@pulumi/pulumi/cmd/dynamic-provider", paths ? { paths } : undefined);
        } catch {
            /* try next */
        }
    }
    throw new Error("cannot resolve @pulumi/pulumi/cmd/dynamic-provider");
}

export class Host {
    readonly logs: LogEntry[] = [];
    stdout = "";
    stderr = "";
    pid = 0;
    private child?: ChildProcess;
    private exited?: Promise<void>;
    private engineServer: any;
    private client: any;
    private lastLogAt = 0;

    static async start(opts: HostOptions): Promise<Host> {
        const host = new Host();
        try {
            await host.boot(opts);
        } catch (e) {
            await host.stop();
            throw e;
        }
        return host;
    }

    private async boot(opts: HostOptions): Promise<void> {
        const engineAddr = await this.startEngine();
        const env: Record<string, string | undefined> = {
            ...process.env,
            PULUMI_NODEJS_ENGINE: engineAddr,
            PULUMI_NODEJS_PROJECT: opts.project,
            PULUMI_NODEJS_STACK: opts.stack,
            ...opts.env,
        };
        delete env.NODE_TEST_CONTEXT; // the host is not a node:test child
        const child = spawn(process.execPath, [hostEntryPoint(opts.programDir), engineAddr], {
            cwd: opts.programDir,
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.child = child;
        this.pid = child.pid ?? 0;
        this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
        child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
        const port = await new Promise<string>((resolve, reject) => {
            let buf = "";
            const onData = (d: string) => {
                buf += d;
                const nl = buf.indexOf("\n");
                if (nl < 0) return;
                child.stdout!.off("data", onData);
                child.stdout!.on("data", (rest: string) => (this.stdout += rest));
                this.stdout += buf.slice(nl + 1);
                resolve(buf.slice(0, nl).trim());
            };
            child.stdout!.setEncoding("utf8").on("data", onData);
            child.once("exit", (code) =>
                reject(new Error(`dynamic-provider host exited (${code}) before printing its port: ${this.stderr}`)),
            );
            child.once("error", reject);
        });
        if (!/^\d+$/.test(port)) throw new Error(`unexpected first line from host: ${port}`);
        this.client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

        // The engine configures the provider with the whole stack config before any other call.
        const req = new provproto.ConfigureRequest();
        req.setArgs(struct(opts.config));
        const vars = req.getVariablesMap();
        for (const [k, v] of Object.entries(opts.config)) vars.set(k, v);
        req.setAcceptsecrets(true);
        req.setAcceptresources(true);
        await this.call("configure", req);
    }

    private async startEngine(): Promise<string> {
        const server = new grpc.Server();
        this.engineServer = server;
        server.addService(engrpc.EngineService, {
            log: (call: any, cb: any) => {
                const r = call.request;
                this.lastLogAt = Date.now();
                this.logs.push({
                    severity: SEVERITY[r.getSeverity()] ?? "info",
                    message: r.getMessage(),
                    ...(r.getUrn() ? { urn: r.getUrn() } : {}),
                });
                cb(null, new emptyproto.Empty());
            },
            getRootResource: (_call: any, cb: any) => cb(null, new engproto.GetRootResourceResponse()),
            setRootResource: (_call: any, cb: any) => cb(null, new engproto.SetRootResourceResponse()),
            startDebugging: (_call: any, cb: any) => cb(null, new emptyproto.Empty()),
            requirePulumiVersion: (_call: any, cb: any) => cb(null, new engproto.RequirePulumiVersionResponse()),
        });
        const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, p: number) =>
                err ? reject(err) : resolve(p),
            ),
        );
        return `127.0.0.1:${port}`;
    }

    private call(method: string, req: any): Promise<any> {
        return new Promise((resolve, reject) =>
            this.client[method](req, (err: any, resp: any) => {
                if (err) reject(new HostCallError(method, err.details ?? err.message, initFailureOf(err)));
                else resolve(resp);
            }),
        );
    }

    async check(r: Target, olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }> {
        const req = new provproto.CheckRequest();
        target(req, r);
        req.setOlds(struct(olds));
        req.setNews(struct(news));
        const resp = await this.call("check", req);
        return {
            inputs: resp.getInputs()?.toJavaScript() ?? {},
            failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
        };
    }

    async diff(r: Target, id: string, olds: Props, news: Props, oldInputs: Props): Promise<DiffResult> {
        const req = new provproto.DiffRequest();
        target(req, r);
        req.setId(id);
        req.setOlds(struct(olds));
        req.setNews(struct(news));
        req.setOldInputs(struct(oldInputs));
        const resp = await this.call("diff", req);
        const changes = resp.getChanges();
        return {
            changes: changes === 1 ? "none" : changes === 2 ? "some" : "unknown",
            replaces: resp.getReplacesList(),
            deleteBeforeReplace: resp.getDeletebeforereplace(),
        };
    }

    async create(r: Target, inputs: Props): Promise<{ id: string; outputs: Props }> {
        const req = new provproto.CreateRequest();
        target(req, r);
        req.setProperties(struct(inputs));
        const resp = await this.call("create", req);
        return { id: resp.getId(), outputs: resp.getProperties()?.toJavaScript() ?? {} };
    }

    async update(r: Target, id: string, olds: Props, news: Props, oldInputs: Props): Promise<Props> {
        const req = new provproto.UpdateRequest();
        target(req, r);
        req.setId(id);
        req.setOlds(struct(olds));
        req.setNews(struct(news));
        req.setOldInputs(struct(oldInputs));
        const resp = await this.call("update", req);
        return resp.getProperties()?.toJavaScript() ?? {};
    }

    async read(r: Target, id: string, props: Props, inputs: Props): Promise<{ id: string; outputs: Props; inputs?: Props }> {
        const req = new provproto.ReadRequest();
        target(req, r);
        req.setId(id);
        req.setProperties(struct(props));
        req.setInputs(struct(inputs));
        const resp = await this.call("read", req);
        return {
            id: resp.getId(),
            outputs: resp.getProperties()?.toJavaScript() ?? {},
            inputs: resp.getInputs()?.toJavaScript(),
        };
    }

    async delete(r: Target, id: string, props: Props, oldInputs: Props): Promise<void> {
        const req = new provproto.DeleteRequest();
        target(req, r);
        req.setId(id);
        req.setProperties(struct(props));
        req.setOldInputs(struct(oldInputs));
        await this.call("delete", req);
    }

    /** Lets in-flight pulumi.log calls land, then kills the host and waits until it is gone. */
    async stop(): Promise<void> {
        if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
            const started = Date.now();
            // Logs travel on their own connection and can trail the RPC response a little.
            while (Date.now() - started < 2000) {
                await sleep(50);
                if (Date.now() - this.lastLogAt >= 100) break;
            }
            this.child.kill("SIGTERM");
            const killed = await Promise.race([this.exited!.then(() => true), sleep(5000).then(() => false)]);
            if (!killed) {
                this.child.kill("SIGKILL");
                await this.exited;
            }
        }
        this.client?.close();
        this.engineServer?.forceShutdown();
    }
}

export interface Target {
    urn: string;
    name: string;
    type: string;
}

function target(req: any, r: Target): void {
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setType(r.type);
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}
