// Self-test of the lifecycle harness against a toy dynamic provider run by the real host process.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RunResult, Stack, StackError, UNKNOWN } from "./harness";

// ---- toy provider: objects in a JSON file named by the `db` input, plus an operation log ----
// Serialized by value into __provider, so helpers may only require() built-ins at call time.
interface ToyDb {
    seq: number;
    objects: Record<string, { name: string; value?: string; kind?: string; password?: string }>;
    log: string[];
}

function loadDb(db: string): ToyDb {
    const fs = require("fs");
    return fs.existsSync(db) ? JSON.parse(fs.readFileSync(db, "utf8")) : { seq: 0, objects: {}, log: [] };
}

function saveDb(db: string, data: ToyDb): void {
    // Written by the host, read by the test process: rename so no reader sees a half-written file.
    const fs = require("fs");
    const tmp = `${db}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2));
    fs.renameSync(tmp, db);
}

function logDb(db: string, line: string): void {
    const d = loadDb(db);
    d.log.push(line);
    saveDb(db, d);
}

const toyProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req: pulumi.dynamic.ConfigureRequest) {
        const file = process.env.TOY_CONFIG_FILE;
        if (file) {
            const cfg = { endpoint: req.config.get("toy:endpoint"), token: req.config.get("toy:token") };
            require("fs").writeFileSync(file, JSON.stringify(cfg));
        }
    },
    async check(olds: any, news: any) {
        logDb(news.db, `check ${news.name} ref=${news.ref ?? ""}`);
        const failures = news.value === "invalid" ? [{ property: "value", reason: "must not be 'invalid'" }] : [];
        return { inputs: news, failures };
    },
    async diff(id: string, olds: any, news: any) {
        logDb(news.db, `diff ${news.name} ref=${news.ref ?? ""}`);
        const keys = ["value", "kind", "ref", "password", "fail", "dbr"];
        const changed = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed.length > 0, replaces: changed.filter((k) => k === "kind"), deleteBeforeReplace: !!news.dbr };
    },
    async create(inputs: any) {
        if (inputs.fail) throw new Error(`toy create failed: ${inputs.fail}`);
        const d = loadDb(inputs.db);
        const id = `${inputs.name}-${++d.seq}`;
        d.objects[id] = { name: inputs.name, value: inputs.value, kind: inputs.kind, password: inputs.password };
        d.log.push(`create ${id}`);
        saveDb(inputs.db, d);
        require("@pulumi/pulumi").log.info(`toy created ${id}`);
        const { __provider, ...rest } = inputs;
        return { id, outs: { ...rest, token: `tok-${id}-zq9` } };
    },
    async update(id: string, olds: any, news: any) {
        if (news.fail) throw new Error(`toy update failed: ${news.fail}`);
        const d = loadDb(news.db);
        d.objects[id] = { name: news.name, value: news.value, kind: news.kind, password: news.password };
        d.log.push(`update ${id}`);
        saveDb(news.db, d);
        const { __provider, ...rest } = news;
        return { outs: { ...rest, token: olds.token } };
    },
    async read(id: string, props: any) {
        const d = loadDb(props.db);
        const obj = d.objects[id];
        d.log.push(`read ${id}`);
        saveDb(props.db, d);
        if (!obj) return { id: "", props: {} };
        return { id, props: { ...props, value: obj.value } };
    },
    async delete(id: string, props: any) {
        const d = loadDb(props.db);
        delete d.objects[id];
        d.log.push(`delete ${id}`);
        saveDb(props.db, d);
    },
};

interface ToyArgs {
    db: pulumi.Input<string>;
    value?: pulumi.Input<string>;
    kind?: pulumi.Input<string>;
    ref?: pulumi.Input<string>;
    password?: pulumi.Input<string>;
    fail?: pulumi.Input<string>;
    dbr?: pulumi.Input<boolean>;
}

class Toy extends pulumi.dynamic.Resource {
    declare readonly value: pulumi.Output<string | undefined>;
    declare readonly password: pulumi.Output<string | undefined>;
    declare readonly token: pulumi.Output<string>;
    constructor(name: string, args: ToyArgs, opts?: pulumi.CustomResourceOptions) {
        super(toyProvider, name, { token: undefined, ...args, name }, opts);
    }
}

// ---- helpers ----
const TYPE = "pulumi-nodejs:dynamic:Resource";
const programDir = path.resolve(__dirname, "..", ".."); // the repo root: the host resolves @pulumi/pulumi from here

function fixture(extra: { env?: Record<string, string>; config?: Record<string, string>; secretConfig?: Record<string, string> } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harness-test-"));
    const db = path.join(dir, "toy.json");
    const stack = new Stack({
        project: "toyproj",
        stack: "dev",
        programDir,
        stateFile: path.join(dir, "state", "dev.json"), // the state dir does not exist yet
        ...extra,
    });
    return { dir, db, stack, log: () => loadDb(db).log, objects: () => loadDb(db).objects };
}

const urn = (name: string) => `urn:pulumi:dev::toyproj::${TYPE}::${name}`;
const ops = (r: { steps: { op: string; name: string }[] }) => r.steps.map((s) => `${s.op} ${s.name}`);

function assertHostGone(pid: number): void {
    assert.ok(pid > 0);
    assert.throws(() => process.kill(pid, 0), (e: any) => e.code === "ESRCH");
}

async function expectStackError(p: Promise<RunResult>): Promise<StackError> {
    try {
        await p;
    } catch (e) {
        assert.ok(e instanceof StackError, `expected StackError, got ${e}`);
        return e;
    }
    assert.fail("expected the run to fail");
}

// ---- tests ----
test("create, no-op up, update in place, replace (create before delete), destroy", async () => {
    const f = fixture();
    const prog = (value: string, kind: string) => () => {
        const a = new Toy("a", { db: f.db, value, kind });
        const b = new Toy("b", { db: f.db, value: "b", ref: a.id });
        return { aId: a.id, bRef: b.id.apply(() => a.id) };
    };

    const r1 = await f.stack.up(prog("1", "x"));
    assert.deepEqual(ops(r1), ["create a", "create b"]);
    assert.deepEqual(r1.steps[0], { op: "create", urn: urn("a"), name: "a", type: TYPE, id: "a-1" });
    assert.deepEqual(r1.outputs, { aId: "a-1", bRef: "a-1" });
    assert.deepEqual(r1.secretOutputs, []);
    assert.deepEqual(f.objects()["a-1"], { name: "a", value: "1", kind: "x" });
    const st = f.stack.readState();
    assert.equal(st.version, 1);
    const a = st.resources.find((r) => r.name === "a")!;
    const b = st.resources.find((r) => r.name === "b")!;
    assert.equal(a.id, "a-1");
    assert.equal(a.outputs.token, "tok-a-1-zq9");
    assert.equal(typeof a.inputs.__provider, "string");
    assert.equal(a.outputs.__provider, a.inputs.__provider);
    assert.deepEqual(b.dependencies, [urn("a")]);
    assert.equal(b.inputs.ref, "a-1");
    assert.equal(b.parent, "urn:pulumi:dev::toyproj::pulumi:pulumi:Stack::toyproj-dev");
    assert.deepEqual(st.outputs, { aId: "a-1", bRef: "a-1" });
    assertHostGone(r1.hostPid);

    const afterCreate = f.log().length;
    const r2 = await f.stack.up(prog("1", "x"));
    assert.deepEqual(ops(r2), ["same a", "same b"]);
    assert.ok(!f.log().slice(afterCreate).some((l) => /^(create|update|delete)/.test(l)));

    const r3 = await f.stack.up(prog("2", "x"));
    assert.deepEqual(ops(r3), ["update a", "same b"]);
    assert.equal(f.objects()["a-1"].value, "2");

    const before = f.log().length;
    const r4 = await f.stack.up(prog("2", "y"));
    assert.deepEqual(ops(r4), ["replace a", "update b"]);
    assert.deepEqual(r4.steps[0].replaces, ["kind"]);
    assert.equal(r4.steps[0].id, "a-3");
    assert.deepEqual(r4.outputs, { aId: "a-3", bRef: "a-3" });
    // create-before-delete: the replacement exists, b is repointed, then the old one goes.
    const mutations = f.log().slice(before).filter((l) => /^(create|update|delete)/.test(l));
    assert.deepEqual(mutations, ["create a-3", "update b-2", "delete a-1"]);
    assert.deepEqual(Object.keys(f.objects()).sort(), ["a-3", "b-2"]);
    assert.equal(f.stack.readState().resources.filter((r) => r.custom).length, 2);

    const r5 = await f.stack.destroy();
    assert.deepEqual(ops(r5), ["delete b", "delete a"]);
    assert.deepEqual(f.objects(), {});
    assert.deepEqual(f.stack.readState().resources, []);
    assert.deepEqual(f.stack.readState().outputs, {});
    assertHostGone(r5.hostPid);
});

test("deleteBeforeReplace from the resource option and from diff deletes first", async () => {
    const f = fixture();
    const prog = (kind: string) => () => {
        const opt = new Toy("opt", { db: f.db, kind }, { deleteBeforeReplace: true });
        new Toy("dif", { db: f.db, kind, dbr: true }, { dependsOn: [opt] }); // dependsOn fixes the order
    };
    await f.stack.up(prog("x"));
    assert.deepEqual(Object.keys(f.objects()), ["opt-1", "dif-2"]);
    const before = f.log().length;
    const r = await f.stack.up(prog("y"));
    assert.deepEqual(ops(r), ["replace opt", "replace dif"]);
    const mutations = f.log().slice(before).filter((l) => /^(create|delete)/.test(l));
    assert.deepEqual(mutations, ["delete opt-1", "create opt-3", "delete dif-2", "create dif-4"]);
    assert.deepEqual(
        f.stack.readState().resources.filter((x) => x.custom).map((x) => x.id),
        ["opt-3", "dif-4"],
    );
});

test("resources removed from the program are deleted, dependents first", async () => {
    const f = fixture();
    await f.stack.up(() => {
        const base = new Toy("base", { db: f.db });
        const mid = new Toy("mid", { db: f.db, ref: base.id });
        new Toy("leaf", { db: f.db, ref: mid.id });
        new Toy("keep", { db: f.db });
    });
    const before = f.log().length;
    const r = await f.stack.up(() => {
        new Toy("keep", { db: f.db });
    });
    assert.deepEqual(ops(r), ["same keep", "delete leaf", "delete mid", "delete base"]);
    // ids depend on creation order, which is only fixed along dependencies
    const deletes = f.log().slice(before).filter((l) => l.startsWith("delete"));
    assert.deepEqual(deletes.map((l) => l.replace(/-\d+$/, "")), ["delete leaf", "delete mid", "delete base"]);
    assert.deepEqual(
        f.stack.readState().resources.filter((x) => x.custom).map((x) => x.name),
        ["keep"],
    );
});

test("refresh detects an out-of-band delete and the next up recreates it", async () => {
    const f = fixture();
    const prog = () => {
        const a = new Toy("a", { db: f.db, value: "v" });
        new Toy("b", { db: f.db, value: "v" }, { dependsOn: [a] });
    };
    await f.stack.up(prog);
    const d = loadDb(f.db);
    delete d.objects["a-1"]; // someone deleted it in the console
    d.objects["b-2"].value = "drifted";
    saveDb(f.db, d);

    const r = await f.stack.refresh();
    assert.deepEqual(ops(r), ["refresh-gone a", "refresh b"]);
    const st = f.stack.readState();
    assert.deepEqual(st.resources.filter((x) => x.custom).map((x) => x.name), ["b"]);
    assert.equal(st.resources.find((x) => x.name === "b")!.outputs.value, "drifted");
    assertHostGone(r.hostPid);

    const r2 = await f.stack.up(prog);
    assert.deepEqual(ops(r2), ["create a", "update b"]);
    assert.equal(r2.steps[0].id, "a-3");
    assert.equal(f.objects()["b-2"].value, "v");
});

test("preview passes unknowns to check/diff as the sentinel and changes nothing", async () => {
    const f = fixture();
    await f.stack.up(() => {
        const a = new Toy("a", { db: f.db, kind: "x" });
        new Toy("b", { db: f.db, ref: a.id });
    });
    const stateBefore = f.stack.stateText();
    const objectsBefore = f.objects();
    const before = f.log().length;

    const r = await f.stack.preview(() => {
        const a = new Toy("a", { db: f.db, kind: "y" }); // needs replacement: its new id is unknown
        new Toy("b", { db: f.db, ref: a.id });
        const d = new Toy("d", { db: f.db });
        new Toy("c", { db: f.db, ref: d.id });
    });
    // independent resources register in no fixed order; only dependency order is guaranteed
    assert.deepEqual(ops(r).sort(), ["preview-create c", "preview-create d", "preview-replace a", "preview-update b"]);
    assert.ok(ops(r).indexOf("preview-replace a") < ops(r).indexOf("preview-update b"));
    assert.deepEqual(r.steps.find((s) => s.name === "a")!.replaces, ["kind"]);
    const log = f.log().slice(before);
    assert.ok(log.includes(`check b ref=${UNKNOWN}`), log.join("\n"));
    assert.ok(log.includes(`diff b ref=${UNKNOWN}`), log.join("\n"));
    assert.ok(log.includes(`check c ref=${UNKNOWN}`), log.join("\n"));
    assert.ok(!log.some((l) => /^(create|update|delete)/.test(l)), log.join("\n"));
    assert.equal(f.stack.stateText(), stateBefore);
    assert.deepEqual(f.objects(), objectsBefore);

    const r2 = await f.stack.preview(() => {
        new Toy("a", { db: f.db, kind: "x" });
    });
    assert.deepEqual(ops(r2), ["same a", "preview-delete b"]);
    assertHostGone(r2.hostPid);
});

test("check failures fail the run with '<name>: <property>: <reason>' and create nothing", async () => {
    const f = fixture();
    const err = await expectStackError(
        f.stack.up(() => {
            new Toy("bad", { db: f.db, value: "invalid" });
        }),
    );
    assert.equal(err.message, `${TYPE} bad (check): bad: value: must not be 'invalid'`);
    assert.deepEqual(err.steps, []);
    assert.deepEqual(f.objects(), {});
    assert.deepEqual(f.stack.readState().resources.filter((x) => x.custom), []);
    assertHostGone((err as any).hostPid);
});

test("a provider error surfaces in StackError; completed steps stay in state", async () => {
    const f = fixture();
    const err = await expectStackError(
        f.stack.up(() => {
            const ok = new Toy("ok", { db: f.db });
            new Toy("broken", { db: f.db, fail: "quota exceeded", ref: ok.id });
        }),
    );
    assert.equal(err.message, `${TYPE} broken (create): toy create failed: quota exceeded`);
    assert.deepEqual(ops(err), ["create ok"]);
    assert.deepEqual(
        f.stack.readState().resources.filter((x) => x.custom).map((x) => x.id),
        ["ok-1"],
    );
    assertHostGone((err as any).hostPid);

    // A failed update keeps the old state.
    const err2 = await expectStackError(
        f.stack.up(() => {
            new Toy("ok", { db: f.db, value: "new", fail: "read-only" });
        }),
    );
    assert.equal(err2.message, `${TYPE} ok (update): toy update failed: read-only`);
    const ok = f.stack.readState().resources.find((x) => x.name === "ok")!;
    assert.equal(ok.inputs.value, undefined);
});

test("secrets are encrypted in the state file; the host sees plaintext", async () => {
    const configFile = path.join(os.tmpdir(), `harness-config-${process.pid}-${Date.now()}.json`);
    const f = fixture({
        env: { TOY_CONFIG_FILE: configFile },
        config: { "toy:endpoint": "http://127.0.0.1:9" },
        secretConfig: { "toy:token": "cfg-s3cret-777" },
    });
    const prog = () => {
        const cfg = new pulumi.Config("toy");
        const s = new Toy("s", { db: f.db, password: pulumi.secret("hunter2-plain"), value: cfg.require("endpoint") }, { additionalSecretOutputs: ["token"] });
        return { pw: s.password, token: s.token, value: s.value, tokenFromConfig: cfg.requireSecret("token") };
    };
    const r = await f.stack.up(prog);
    assert.deepEqual(ops(r), ["create s"]);
    assert.deepEqual(r.outputs, { pw: "hunter2-plain", token: "tok-s-1-zq9", value: "http://127.0.0.1:9", tokenFromConfig: "cfg-s3cret-777" });
    assert.deepEqual([...r.secretOutputs].sort(), ["pw", "token", "tokenFromConfig"]);

    const text = f.stack.stateText();
    for (const plain of ["hunter2-plain", "tok-s-1-zq9", "cfg-s3cret-777"]) assert.ok(!text.includes(plain), `${plain} in state`);
    assert.ok(text.includes("http://127.0.0.1:9"));
    const s = f.stack.readState().resources.find((x) => x.name === "s")!;
    assert.deepEqual(Object.keys(s.inputs.password as object).sort(), ["4dabf18193072939515e22adb298388d", "ciphertext"]);
    assert.deepEqual([...s.secretOutputs].sort(), ["password", "token"]);
    assert.ok(fs.existsSync(`${path.join(f.dir, "state", "dev.json")}.key`));

    // The provider got plaintext: in create and in Configure (decrypted secret config).
    assert.equal(f.objects()["s-1"].password, "hunter2-plain");
    assert.deepEqual(JSON.parse(fs.readFileSync(configFile, "utf8")), { endpoint: "http://127.0.0.1:9", token: "cfg-s3cret-777" });
    fs.rmSync(configFile, { force: true });

    // Decryption round-trips: diff sees equal plaintext, outputs stay secret.
    const r2 = await f.stack.up(prog);
    assert.deepEqual(ops(r2), ["same s"]);
    assert.deepEqual([...r2.secretOutputs].sort(), ["pw", "token", "tokenFromConfig"]);
    assert.ok(!f.stack.stateText().includes("hunter2-plain"));
    const r3 = await f.stack.refresh();
    assert.deepEqual(ops(r3), ["refresh s"]);
    assert.ok(!f.stack.stateText().includes("tok-s-1-zq9"));

    f.stack.setConfig("toy:token", "rotated-secret-888", true);
    assert.ok(!f.stack.stateText().includes("rotated-secret-888"));
});

test("config is kept in the state file like stack config: a later Stack starts from it, removeConfig drops a key", async () => {
    const f = fixture({ config: { "toy:mode": "fast" } });
    await f.stack.up(() => {
        new Toy("c", { db: f.db });
    });
    const again = new Stack({ project: "toyproj", stack: "dev", programDir, stateFile: path.join(f.dir, "state", "dev.json") });
    assert.equal(JSON.parse(again.stateText()).config["toy:mode"], "fast");
    again.removeConfig("toy:mode");
    assert.equal(JSON.parse(again.stateText()).config["toy:mode"], undefined);
    await again.destroy();
});

test("pulumi.log from inside the provider reaches the logs", async () => {
    const f = fixture();
    const r = await f.stack.up(() => {
        new Toy("logged", { db: f.db });
    });
    assert.ok(
        r.logs.some((l) => l.severity === "info" && l.message === "toy created logged-1"),
        JSON.stringify(r.logs),
    );
    assertHostGone(r.hostPid);
});

test("a program exception or a rejected input fails the run and changes nothing", async () => {
    const f = fixture();
    await f.stack.up(() => {
        new Toy("a", { db: f.db });
    });
    const stateBefore = f.stack.stateText();

    const err = await expectStackError(
        f.stack.up(() => {
            throw new Error("bad program");
        }),
    );
    assert.equal(err.message, "Running program failed: bad program");
    assertHostGone((err as any).hostPid);

    // A rejected Output as an input is an unhandled rejection in the SDK; the run must fail on it.
    const err2 = await expectStackError(
        f.stack.up(() => {
            new Toy("a", { db: f.db });
            new Toy("b", { db: f.db, value: pulumi.output(Promise.reject(new Error("lookup failed"))) });
        }),
    );
    assert.match(err2.message, /^Running program failed: .*lookup failed/);
    // Nothing was deleted: deletes only run after a successful program.
    assert.deepEqual(Object.keys(f.objects()), ["a-1"]);
    assert.equal(
        JSON.stringify(JSON.parse(f.stack.stateText()).resources.filter((r: any) => r.custom)),
        JSON.stringify(JSON.parse(stateBefore).resources.filter((r: any) => r.custom)),
    );
});
