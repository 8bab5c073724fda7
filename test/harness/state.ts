// State file, secret encryption and the secret-wrapper helpers shared by the harness.
//
// State file format (JSON, version 1):
// {
//   "version": 1,
//   "config": { "<ns:key>": "<plain>" | <encrypted secret> },   // stack config (secrets encrypted)
//   "resources": [{
//     "urn", "type", "name", "custom": true|false, "id"?,   // id only for custom resources
//     "inputs": {...}, "outputs": {...},                   // checked inputs / provider outputs, incl. __provider
//     "dependencies": [urns], "secretOutputs": [top-level output keys holding a secret],
//     "parent"?: urn, "protect"?: true, "retainOnDelete"?: true,
//     "delete"?: true                                      // old copy of a replaced resource awaiting Delete
//   }],
//   "outputs": {...}                                       // stack outputs
// }
// Any secret value, at any depth, is stored as
//   {"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"<base64>"}
// where ciphertext = AES-256-GCM(iv 12 bytes | tag 16 bytes | data) of JSON.stringify(value), with a
// random 32-byte key kept (hex) in the sibling file `<stateFile>.key`.
// In memory the harness uses the SDK's wire form for secrets instead: {sig: secretSig, value}.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Props = Record<string, unknown>;

export interface StateResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    id?: string;
    inputs: Props;
    outputs: Props;
    dependencies: string[];
    secretOutputs: string[];
    parent?: string;
    protect?: boolean;
    retainOnDelete?: boolean;
    delete?: boolean;
}

export interface StateFile {
    version: 1;
    config: Record<string, unknown>;
    resources: StateResource[];
    outputs: Props;
}

export function emptyState(): StateFile {
    return { version: 1, config: {}, resources: [], outputs: {} };
}

function isPlainObject(v: unknown): v is Props {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isSecret(v: unknown): v is { value: unknown } {
    return isPlainObject(v) && v[SIG_KEY] === SECRET_SIG && "value" in v;
}

export function secret(v: unknown): Props {
    return isSecret(v) ? v : { [SIG_KEY]: SECRET_SIG, value: unwrap(v) };
}

/** Deep copy without secret wrappers: what the host (which does not accept secrets) receives. */
export function unwrap(v: unknown): any {
    if (isSecret(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (isPlainObject(v)) {
        const out: Props = {};
        for (const [k, x] of Object.entries(v)) out[k] = unwrap(x);
        return out;
    }
    return v;
}

export function containsSecret(v: unknown): boolean {
    if (isSecret(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecret);
    if (isPlainObject(v)) return Object.values(v).some(containsSecret);
    return false;
}

/**
 * The engine's annotateSecrets: copy secretness from `ins` onto plain `outs` by top-level key,
 * recursing where both sides are objects (so one secret field does not taint a whole object).
 */
export function annotateSecrets(outs: Props, ins: Props): Props {
    const result: Props = { ...outs };
    for (const [k, o] of Object.entries(outs)) {
        if (!(k in ins)) continue;
        const i = ins[k];
        if (isPlainObject(o) && isPlainObject(i) && !isSecret(i) && !isSecret(o)) {
            result[k] = annotateSecrets(o, i);
        } else if (containsSecret(i)) {
            result[k] = secret(o);
        }
    }
    return result;
}

export function secretKeys(props: Props): string[] {
    return Object.keys(props).filter((k) => containsSecret(props[k]));
}

/** Removes `undefined` (Struct.fromJavaScript rejects it). */
export function stripUndefined(v: unknown): any {
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : stripUndefined(x)));
    if (isPlainObject(v)) {
        const out: Props = {};
        for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = stripUndefined(x);
        return out;
    }
    return v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(canonical);
    if (isPlainObject(v)) {
        const out: Props = {};
        for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = canonical(v[k]);
        return out;
    }
    return v;
}

/** Reads and writes the state file, encrypting secrets on the way out. */
export class StateStore {
    private key?: Buffer;

    constructor(readonly file: string) {}

    exists(): boolean {
        return fs.existsSync(this.file);
    }

    text(): string {
        return this.exists() ? fs.readFileSync(this.file, "utf8") : JSON.stringify(emptyState(), null, 2);
    }

    /** Parsed file as stored (secrets encrypted). */
    raw(): StateFile {
        return JSON.parse(this.text());
    }

    /** Parsed file with secrets decrypted into {sig, value} wrappers. */
    load(): StateFile {
        return this.decode(this.raw());
    }

    save(state: StateFile): void {
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
        const tmp = `${this.file}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(this.encode(state), null, 2));
        fs.renameSync(tmp, this.file); // atomic, like a checkpoint write
    }

    private getKey(): Buffer {
        if (this.key) return this.key;
        const keyFile = `${this.file}.key`;
        if (fs.existsSync(keyFile)) {
            this.key = Buffer.from(fs.readFileSync(keyFile, "utf8").trim(), "hex");
        } else {
            fs.mkdirSync(path.dirname(keyFile), { recursive: true });
            this.key = crypto.randomBytes(32);
            fs.writeFileSync(keyFile, this.key.toString("hex"), { mode: 0o600 });
        }
        return this.key;
    }

    private encode(v: any): any {
        if (isSecret(v)) {
            const iv = crypto.randomBytes(12);
            const c = crypto.createCipheriv("aes-256-gcm", this.getKey(), iv);
            const data = Buffer.concat([c.update(JSON.stringify(unwrap(v.value)), "utf8"), c.final()]);
            return { [SIG_KEY]: SECRET_SIG, ciphertext: Buffer.concat([iv, c.getAuthTag(), data]).toString("base64") };
        }
        if (Array.isArray(v)) return v.map((x) => this.encode(x));
        if (isPlainObject(v)) {
            const out: Props = {};
            for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = this.encode(x);
            return out;
        }
        return v;
    }

    private decode(v: any): any {
        if (isPlainObject(v) && v[SIG_KEY] === SECRET_SIG && typeof v.ciphertext === "string") {
            const buf = Buffer.from(v.ciphertext, "base64");
            const d = crypto.createDecipheriv("aes-256-gcm", this.getKey(), buf.subarray(0, 12));
            d.setAuthTag(buf.subarray(12, 28));
            const text = Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString("utf8");
            return secret(JSON.parse(text));
        }
        if (Array.isArray(v)) return v.map((x) => this.decode(x));
        if (isPlainObject(v)) {
            const out: Props = {};
            for (const [k, x] of Object.entries(v)) out[k] = this.decode(x);
            return out;
        }
        return v;
    }
}
