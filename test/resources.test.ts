// Every resource type through its whole life, from one table: create; a second up and a refresh
// change nothing; each updatable field updates in place and each replace field replaces (new object
// first, dependents re-pointed, old one last); out-of-band changes and deletes are found by refresh
// and repaired by up; adopt takes over an existing object (and fails clearly on a missing one); a
// preview with unknown inputs plans instead of failing; destroy leaves nothing. All through the real
// dynamic-provider host, with every claim about what exists checked in the emulator.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as vobiz from "pulumi-vobiz";
import { RunningEmulator } from "../emulator";
import { canonicalJson } from "../provider/lifecycle";
import { Stack, StackError } from "./harness";
import { EmulatorClient, newStack, resetEmulator, startTestEmulator } from "./support";

type Props = Record<string, unknown>;
/** Helper outputs a value may refer to (at program time Outputs, at assertion time their values). */
type Helpers = Record<string, unknown>;
/** Inputs for the subject; a function picks a helper's output. */
type Inputs = Record<string, unknown | ((h: Helpers) => unknown)>;

interface TypeCase {
  type: string;
  /** Resources the subject refers to; their outputs are the stack outputs. */
  helpers?: () => Record<string, pulumi.Output<unknown>>;
  declare(inputs: Props): pulumi.CustomResource;
  /** A trunk that points at the subject, which a replacement must re-point. */
  dependent?(subject: pulumi.CustomResource): vobiz.Trunk;
  base: Inputs;
  updates: Inputs[];
  replaces: Inputs[];
  /** The subject as the emulator holds it, in input field names; undefined when gone. */
  live(st: any, outs: Props): Props | undefined;
  /** Changes one updatable field out of band; returns its name. */
  changeOutOfBand(client: EmulatorClient, outs: Props): Promise<string>;
  /** Absent where an out-of-band delete is not a gone object (a NumberRoute: see inbound.test.ts). */
  deleteOutOfBand?(client: EmulatorClient, outs: Props): Promise<void>;
  /** Prepares the emulator before the first up (e.g. numbers the account must already own). */
  setup?(client: EmulatorClient): Promise<void>;
  /** Makes an object to adopt; returns the inputs that adopt it. */
  adoptable?(client: EmulatorClient): Promise<Inputs>;
  /** For a type that takes no adopt: inputs with adopt, and the check failure they must get. */
  noAdopt?: { inputs: Inputs; error: RegExp };
  /** What else an adopt must have done (stack outputs include dependentTrunkId). */
  afterAdopt?(client: EmulatorClient, outputs: Props, logs: string[]): Promise<void>;
  missing?: { inputs: Inputs; error: RegExp };
  /** Inputs fed with a value unknown at preview, and the step that preview must plan. */
  unknown(u: pulumi.Output<string>): Inputs;
  unknownPlan: "preview-update" | "preview-replace";
  /** POSTs that create this type (for "adopt sent no create"). */
  createPath: RegExp;
  /** Nothing this type's stack made is left. */
  leftovers(st: any): unknown[];
}

const trunkHelpers = () => {
  const a = new vobiz.Trunk("trunk-a", { name: "helper-a" });
  const b = new vobiz.Trunk("trunk-b", { name: "helper-b" });
  return { trunkA: a.trunkId, trunkB: b.trunkId };
};

/** An owned number as the emulator holds it (NumberPurchase, NumberRoute). */
const numberLive = (st: any, o: Props) => {
  const n = st.numbers.find((x: any) => x.e164 === o.number && x.account_id && x.status === "active");
  return n && { number: n.e164, trunkId: n.trunk_group_id };
};
async function unrouteOutOfBand(client: EmulatorClient, o: Props): Promise<string> {
  await ok(client.api("DELETE", client.account(`/numbers/${encodeURIComponent(String(o.number))}/assign`)));
  return "trunkId";
}

const cases: TypeCase[] = [
  {
    type: "SubAccount",
    declare: (i) => new vobiz.SubAccount("subject", i as any),
    base: { name: "team-one", description: "first" },
    updates: [{ name: "team-two" }, { description: "second" }, { email: "ops@example.com" }, { kycMode: "customer_use" }, { enabled: false }],
    replaces: [],
    live: (st, o) => {
      const a = st.accounts.find((x: any) => x.auth_id === o.authId);
      return a && { name: a.name, description: a.description ?? undefined, email: a.email ?? undefined, kycMode: a.kyc_mode, enabled: a.enabled };
    },
    async changeOutOfBand(client, o) {
      await ok(client.api("PUT", `/accounts/${client.emu.authId}/sub-accounts/${o.authId}`, { description: "changed in the console" }));
      return "description";
    },
    async deleteOutOfBand(client, o) {
      await ok(client.api("DELETE", `/accounts/${client.emu.authId}/sub-accounts/${o.authId}`));
    },
    async adoptable(client) {
      const r = await ok(client.api("POST", `/accounts/${client.emu.authId}/sub-accounts/`, { name: "made-in-console", enabled: true }));
      return { name: "made-in-console", description: "adopted", adopt: r.body.sub_account.auth_id };
    },
    async afterAdopt(_client, _outputs, logs) {
      assert.ok(logs.some((l) => /auth token of SA_\w+ is shown by Vobiz only when a sub-account is created/.test(l)), logs.join("\n"));
    },
    missing: { inputs: { name: "nobody", adopt: "SA_ZZZZZZZZ" }, error: /SubAccount "subject": create failed: adopt: sub-account SA_ZZZZZZZZ does not exist, so there is nothing to adopt/ },
    unknown: (u) => ({ description: u }),
    unknownPlan: "preview-update",
    createPath: /^POST \/api\/v1\/accounts\/[^/]+\/sub-accounts\/$/,
    leftovers: (st) => st.accounts.filter((a: any) => a.parent_auth_id),
  },
  {
    type: "Trunk",
    helpers: () => {
      const cred = new vobiz.SipCredential("cred", { username: "helper", password: "Helper#Pass1" });
      const wl = new vobiz.IpWhitelist("wl", { entries: [{ ip: "49.36.12.20", label: "helper" }] });
      const primary = new vobiz.OriginationUri("uri-p", { name: "primary", uri: "sip:agent.example.com" });
      const fallback = new vobiz.OriginationUri("uri-f", { name: "fallback", uri: "sip:backup.example.com", priority: 2 });
      return { credentialId: cred.credentialId, ipAclId: wl.primaryEntryId, primaryUriId: primary.uriId, fallbackUriId: fallback.uriId };
    },
    declare: (i) => new vobiz.Trunk("subject", i as any),
    base: { name: "trunk-one" },
    updates: [
      { name: "trunk-two" },
      { description: "carrier trunk" },
      { enabled: false },
      { direction: "outbound" },
      { transport: "tls", secure: true },
      { concurrentCallsLimit: 25 },
      { cpsLimit: 5 },
      { credentialId: (h: Helpers) => h.credentialId },
      { ipAclId: (h: Helpers) => h.ipAclId },
      { webhookUrl: "https://hooks.example.com/vobiz" },
      { direction: "inbound", primaryUriId: (h: Helpers) => h.primaryUriId },
      { fallbackUriId: (h: Helpers) => h.fallbackUriId },
      { inboundDestination: "agent-queue" },
      { recording: true },
      { enableTranscription: true },
      { piiRedaction: true },
      { recording: undefined, enableTranscription: undefined, piiRedaction: undefined, fallbackUriId: undefined },
    ],
    replaces: [],
    live: (st, o) => {
      const t = st.trunks.find((x: any) => x.trunk_id === o.trunkId);
      return (
        t && {
          name: t.name,
          description: t.description,
          enabled: t.trunk_status === "active",
          direction: String(t.trunk_direction).toLowerCase(),
          transport: String(t.transport).toLowerCase(),
          secure: t.secure,
          concurrentCallsLimit: t.concurrent_calls_limit,
          cpsLimit: t.cps_limit,
          credentialId: t.credential_uuid,
          ipAclId: t.ipacl_uuid,
          webhookUrl: t.webhook_url,
          primaryUriId: t.primary_uri_uuid,
          fallbackUriId: t.fallback_uri_uuid,
          inboundDestination: t.inbound_destination,
          // Removed flags read back as the API's default.
          recording: t.recording || undefined,
          enableTranscription: t.enable_transcription || undefined,
          piiRedaction: t.pii_redaction || undefined,
        }
      );
    },
    async changeOutOfBand(client, o) {
      await ok(client.api("PUT", client.account(`/trunks/${o.trunkId}`), { cps_limit: 1 }));
      return "cpsLimit";
    },
    async deleteOutOfBand(client, o) {
      await ok(client.api("DELETE", client.account(`/trunks/${o.trunkId}`)));
    },
    async adoptable(client) {
      await ok(client.api("POST", client.account("/trunks"), { name: "made-in-console" }));
      return { name: "made-in-console", cpsLimit: 3, adopt: true };
    },
    missing: { inputs: { name: "nobody", adopt: "00000000-0000-4000-8000-000000000000" }, error: /Trunk "subject": create failed: adopt: trunk 00000000-0000-4000-8000-000000000000 does not exist/ },
    unknown: (u) => ({ name: u }),
    unknownPlan: "preview-update",
    createPath: /^POST \/api\/v1\/Account\/[^/]+\/trunks$/,
    leftovers: (st) => st.trunks,
  },
  {
    type: "SipCredential",
    declare: (i) => new vobiz.SipCredential("subject", i as any),
    dependent: (subject) => new vobiz.Trunk("dependent", { name: "uses-subject", credentialId: (subject as vobiz.SipCredential).credentialId }),
    base: { username: "subject", password: "First#Pass1" },
    updates: [{ enabled: false }, { rotateAfterDays: 90 }, { enabled: true }],
    replaces: [{ password: "Second#Pass2" }, { username: "renamed" }, { rotationTrigger: "ticket-1" }, { password: undefined }],
    live: (st, o) => {
      const c = st.credentials.find((x: any) => x.id === o.credentialId);
      return c && { sipUsername: c.username, enabled: c.enabled };
    },
    async changeOutOfBand(client, o) {
      await ok(client.api("PUT", client.account(`/credentials/${o.credentialId}`), { password: "Console#Set9", enabled: false }));
      return "enabled";
    },
    async deleteOutOfBand(client, o) {
      await ok(client.api("DELETE", client.account(`/credentials/${o.credentialId}`)));
    },
    async adoptable(client) {
      const r = await ok(client.api("POST", client.account("/credentials"), { username: "madeinconsole", password: "Console#Pw1" }));
      return { username: "madeinconsole", password: "Adopted#Pw2", adopt: r.body.id };
    },
    async afterAdopt(client, outputs) {
      // The adopted credential now has the declared password, and the trunk pointing at it works.
      assert.deepEqual(await client.sipAuth(String(outputs.dependentTrunkId), "madeinconsole", "Adopted#Pw2"), { ok: true });
    },
    missing: { inputs: { username: "nobody", password: "Nobody#Pw1", adopt: true }, error: /SipCredential "subject": create failed: adopt: a SIP credential with username "nobody" does not exist/ },
    unknown: (u) => ({ rotationTrigger: u }),
    unknownPlan: "preview-replace",
    createPath: /^POST \/api\/v1\/Account\/[^/]+\/credentials$/,
    leftovers: (st) => st.credentials,
  },
  {
    type: "IpWhitelist",
    declare: (i) => new vobiz.IpWhitelist("subject", i as any),
    dependent: (subject) => new vobiz.Trunk("dependent", { name: "uses-subject", ipAclId: (subject as vobiz.IpWhitelist).primaryEntryId }),
    base: { entries: [{ ip: "49.36.12.10", label: "pbx-1" }] },
    updates: [
      { entries: [{ ip: "49.36.12.10", label: "pbx-1" }, { ip: "49.36.12.0/28", label: "office" }] },
      { entries: [{ ip: "49.36.12.10", label: "pbx-1-renamed" }, { ip: "49.36.12.0/28", label: "office" }] },
      { entries: [{ ip: "49.36.12.0/28", label: "office" }] },
    ],
    replaces: [],
    live: (st, o) => {
      const ids = Object.values((o.entryIds ?? {}) as Record<string, string>);
      const entries = st.ip_acl.filter((a: any) => ids.includes(a.id)).map((a: any) => ({ ip: a.ip_address, label: a.description }));
      const order = ((o.entries ?? []) as Array<{ ip: string }>).map((e) => e.ip);
      return entries.length ? { entries: entries.sort((a: any, b: any) => order.indexOf(a.ip) - order.indexOf(b.ip)) } : undefined;
    },
    async changeOutOfBand(client, o) {
      const [ip, id] = Object.entries(o.entryIds as Record<string, string>)[0];
      await ok(client.api("PUT", client.account(`/ip-acl/${id}`), { name: "changed-in-console", ip_address: ip }));
      return "entries";
    },
    async deleteOutOfBand(client, o) {
      for (const id of Object.values(o.entryIds as Record<string, string>)) await ok(client.api("DELETE", client.account(`/ip-acl/${id}`)));
    },
    async adoptable(client) {
      for (const ip of ["49.36.13.1", "49.36.13.2"]) await ok(client.api("POST", client.account("/ip-acl"), { name: "console", ip_address: ip }));
      return { entries: [{ ip: "49.36.13.1", label: "adopted-1" }, { ip: "49.36.13.2", label: "adopted-2" }], adopt: true };
    },
    missing: { inputs: { entries: [{ ip: "49.36.99.1", label: "none" }], adopt: true }, error: /IpWhitelist "subject": create failed: adopt: an IP ACL entry for 49\.36\.99\.1 does not exist/ },
    unknown: (u) => ({ entries: [{ ip: "49.36.12.0/28", label: u }] }),
    unknownPlan: "preview-update",
    createPath: /^POST \/api\/v1\/Account\/[^/]+\/ip-acl$/,
    leftovers: (st) => st.ip_acl,
  },
  {
    type: "NumberPurchase",
    helpers: trunkHelpers,
    declare: (i) => new vobiz.NumberPurchase("subject", i as any),
    base: { number: "#0", trunkId: (h: Helpers) => h.trunkA },
    updates: [{ trunkId: (h: Helpers) => h.trunkB }, { trunkId: undefined }, { trunkId: (h: Helpers) => h.trunkA }, { releaseImmediately: true }],
    replaces: [{ number: "#1" }],
    live: numberLive,
    changeOutOfBand: unrouteOutOfBand,
    async deleteOutOfBand(client, o) {
      await ok(client.api("DELETE", client.account(`/numbers/${encodeURIComponent(String(o.number))}`)));
    },
    async adoptable(client) {
      await ok(client.api("POST", client.account("/numbers/purchase-from-inventory"), { e164: numbers[2] }));
      return { number: "#2", trunkId: (h: Helpers) => h.trunkB, adopt: true };
    },
    missing: { inputs: { number: "#3", adopt: true }, error: /NumberPurchase "subject": create failed: adopt: \+\d+ among the numbers this account holds does not exist/ },
    unknown: (u) => ({ trunkId: u }),
    unknownPlan: "preview-update",
    createPath: /^POST \/api\/v1\/Account\/[^/]+\/numbers\/purchase-from-inventory$/,
    leftovers: (st) => st.numbers.filter((n: any) => n.account_id && n.status === "active"),
  },
  {
    type: "OriginationUri",
    declare: (i) => new vobiz.OriginationUri("subject", i as any),
    dependent: (subject) => new vobiz.Trunk("dependent", { name: "uses-subject", direction: "inbound", primaryUriId: (subject as vobiz.OriginationUri).uriId }),
    base: { name: "agent", uri: "sip:agent.example.com" },
    updates: [{ name: "agent-renamed" }, { priority: 2 }],
    replaces: [{ uri: "sip:inbound@agent2.example.com:5080;transport=tcp" }, { weight: 20 }, { enabled: false }],
    live: (st, o) => {
      const u = st.origination_uris.find((x: any) => x.id === o.uriId);
      return u && { name: u.description, uri: u.uri, priority: u.priority, weight: u.weight, enabled: u.enabled };
    },
    async changeOutOfBand(client, o) {
      await ok(client.api("PUT", client.account(`/origination-uris/${o.uriId}`), { name: o.name, priority: 7 }));
      return "priority";
    },
    async deleteOutOfBand(client, o) {
      await ok(client.api("DELETE", client.account(`/origination-uris/${o.uriId}`)));
    },
    async adoptable(client) {
      await ok(client.api("POST", client.account("/origination-uris"), { name: "made-in-console", sip_uri: "sip:pbx.example.net", priority: 3 }));
      return { name: "adopted", uri: "sip:pbx.example.net", priority: 1, adopt: true };
    },
    missing: {
      inputs: { name: "nobody", uri: "sip:none.example.net", adopt: "00000000-0000-4000-8000-000000000000" },
      error: /OriginationUri "subject": create failed: adopt: origination URI 00000000-0000-4000-8000-000000000000 does not exist/,
    },
    unknown: (u) => ({ uri: u }),
    unknownPlan: "preview-replace",
    createPath: /^POST \/api\/v1\/Account\/[^/]+\/origination-uris$/,
    leftovers: (st) => st.origination_uris,
  },
  {
    type: "NumberRoute",
    helpers: trunkHelpers,
    async setup(client) {
      for (const n of numbers.slice(0, 2)) await ok(client.api("POST", client.account("/numbers/purchase-from-inventory"), { e164: n }));
    },
    declare: (i) => new vobiz.NumberRoute("subject", i as any),
    base: { number: "#0", trunkId: (h: Helpers) => h.trunkA },
    updates: [{ trunkId: (h: Helpers) => h.trunkB }, { trunkId: (h: Helpers) => h.trunkA }],
    replaces: [{ number: "#1" }],
    live: numberLive,
    changeOutOfBand: unrouteOutOfBand,
    noAdopt: {
      inputs: { number: "#0", trunkId: (h: Helpers) => h.trunkA, adopt: true },
      error: /NumberRoute subject \(check\): subject: adopt: NumberRoute takes no adopt: it always routes a number the account already owns/,
    },
    unknown: (u) => ({ trunkId: u }),
    unknownPlan: "preview-update",
    createPath: /^POST \/api\/v1\/Account\/[^/]+\/numbers\/[^/]+\/assign$/,
    // Destroy gives the numbers back unrouted, as they were found; they stay owned.
    leftovers: (st) => st.numbers.filter((n: any) => n.trunk_group_id),
  },
];

/** Inventory numbers for the NumberPurchase case: "#i" in its inputs stands for numbers[i]. */
let numbers: string[] = [];

async function ok<T extends { status: number; body: any }>(call: Promise<T>): Promise<T> {
  const r = await call;
  assert.ok(r.status < 300, `emulator call failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/** Plain input values: helper references and "#i" numbers resolved, unset fields dropped. */
function resolve(inputs: Inputs, helpers: Helpers): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(inputs)) {
    const value = typeof v === "function" ? (v as (h: Helpers) => unknown)(helpers) : v;
    if (value !== undefined) out[k] = typeof value === "string" && /^#\d$/.test(value) ? numbers[Number(value.slice(1))] : value;
  }
  return out;
}

function programFor(c: TypeCase, inputs: Inputs, opts: { probe?: boolean } = {}) {
  return () => {
    const helpers = c.helpers?.() ?? {};
    const extra = opts.probe ? c.unknown(new vobiz.SipCredential("probe", { username: "probe", password: "Probe#Pass1" }).sipUsername) : {};
    const subject = c.declare(resolve({ ...inputs, ...extra }, helpers));
    const dependent = c.dependent?.(subject);
    return { ...helpers, ...(dependent ? { dependentTrunkId: dependent.trunkId } : {}) };
  };
}

const writesOf = async (client: EmulatorClient) => (await client.writes()).map((w) => `${w.method} ${w.path}`);

for (const c of cases) {
  describe(`${c.type}: the whole lifecycle`, () => {
    let emu: RunningEmulator;
    let client: EmulatorClient;
    let stack: Stack;
    let declared: Inputs = {};
    let helpers: Helpers = {};

    before(async () => {
      ({ emu, client } = await startTestEmulator());
      numbers = await client.inventory("IN", 4);
      await c.setup?.(client);
      stack = newStack(emu, `life-${c.type}`);
    });
    after(async () => {
      await emu.close();
    });

    const subject = () => stack.outputsOf("subject") ?? {};
    const up = async (inputs: Inputs) => {
      declared = inputs;
      const r = await stack.up(programFor(c, inputs));
      helpers = r.outputs;
      return r;
    };
    const ops = (r: { steps: Array<{ op: string; name: string }> }) => r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
    /** The emulator holds exactly what the program declares, for every field the case knows. */
    async function assertLiveMatches(): Promise<void> {
      const live = c.live(await client.state(), subject());
      assert.ok(live, `${c.type} exists in the emulator`);
      const want = resolve(declared, helpers);
      // A field the program set, or removed (undefined), must read back as declared.
      for (const k of Object.keys(live)) if (k in declared) assert.equal(canonicalJson(live[k]), canonicalJson(want[k]), `live ${k}`);
    }
    async function assertQuiet(): Promise<void> {
      await client.clearRequests();
      const again = await stack.up(programFor(c, declared));
      assert.deepEqual(ops(again), [], "a second up changes nothing");
      assert.deepEqual(await client.requests(), [], "and makes no API call");
      await stack.refresh();
      const preview = await stack.preview(programFor(c, declared));
      assert.deepEqual(ops(preview), [], "refresh then preview plans nothing");
    }

    it("create, then up, refresh and preview are quiet", async () => {
      const r = await up(c.base);
      assert.ok(ops(r).includes("create subject"));
      await assertLiveMatches();
      await assertQuiet();
    });

    it("each updatable field changes in place", async () => {
      for (const change of c.updates) {
        const r = await up({ ...declared, ...change });
        assert.deepEqual(ops(r).filter((o) => !o.endsWith("dependent")), ["update subject"], `update of ${Object.keys(change)}`);
        await assertLiveMatches();
      }
      await assertQuiet();
    });

    // SubAccount and Trunk update every field in place, so they have no replacement to test.
    if (c.replaces.length) it("each replace field replaces: the new object first, dependents re-pointed, the old one last", async () => {
      for (const change of c.replaces) {
        const old = subject();
        await client.clearRequests();
        const r = await up({ ...declared, ...change });
        assert.deepEqual(ops(r).filter((o) => !o.endsWith("dependent")), ["replace subject"], `replace on ${Object.keys(change)}`);
        if (c.dependent) assert.ok(ops(r).includes("update dependent"), "the dependent is re-pointed");
        const writes = await writesOf(client);
        const created = writes.findIndex((w) => c.createPath.test(w));
        const oldId = String(old.credentialId ?? old.uriId ?? old.number ?? old.trunkId);
        const deleted = writes.findIndex((w) => w.startsWith("DELETE") && w.includes(encodeURIComponent(oldId)));
        assert.ok(created >= 0 && deleted > created, `created before the old one was deleted: ${writes.join(", ")}`);
        await assertLiveMatches();
      }
      await assertQuiet();
    });

    it("an out-of-band change is shown by refresh and repaired by up", async () => {
      const field = await c.changeOutOfBand(client, subject());
      await stack.refresh();
      assert.notEqual(canonicalJson(subject()[field]), canonicalJson(resolve(declared, helpers)[field]), `refresh shows the changed ${field}`);
      // (A dependent shows an update too: in a preview the subject's outputs are not known yet.)
      assert.deepEqual(ops(await stack.preview(programFor(c, declared))).filter((o) => !o.endsWith("dependent")), ["preview-update subject"]);
      assert.deepEqual(ops(await up(declared)).filter((o) => !o.endsWith("dependent")), ["update subject"]);
      await assertLiveMatches();
      await assertQuiet();
    });

    if (c.deleteOutOfBand) it("an out-of-band delete is shown by refresh and recreated by up", async () => {
      await c.deleteOutOfBand!(client, subject());
      const refreshed = await stack.refresh();
      assert.ok(refreshed.steps.some((s) => s.op === "refresh-gone" && s.name === "subject"));
      const r = await up(declared);
      assert.ok(ops(r).includes("create subject"), ops(r).join(", "));
      await assertLiveMatches();
      await assertQuiet();
    });

    it("a preview with unknown inputs plans and calls nothing", async () => {
      await client.clearRequests();
      const r = await stack.preview(programFor(c, declared, { probe: true }));
      assert.deepEqual(ops(r).filter((o) => o.endsWith("subject")), [`${c.unknownPlan} subject`]);
      assert.deepEqual(await client.requests(), []);
    });

    it("destroy leaves nothing", async () => {
      await stack.destroy();
      assert.deepEqual(c.leftovers(await client.state()), []);
    });

    if (c.noAdopt) it("adopt is refused at check, saying why", async () => {
      const refusing = newStack(emu, `adopt-${c.type}`);
      await client.clearRequests();
      const err = await refusing.up(programFor(c, c.noAdopt!.inputs)).then(
        () => assert.fail("adopt must be refused"),
        (e: StackError) => e,
      );
      assert.match(err.message, c.noAdopt!.error);
      assert.deepEqual((await writesOf(client)).filter((w) => c.createPath.test(w)), [], "nothing routed for the subject");
      await refusing.destroy();
    });

    if (c.adoptable) it("adopt takes over an existing object without creating one, and fails clearly on a missing one", async () => {
      await resetEmulator(emu);
      const adopting = newStack(emu, `adopt-${c.type}`);
      const inputs = await c.adoptable!(client);
      await client.clearRequests();
      const r = await adopting.up(programFor(c, inputs));
      assert.deepEqual(
        r.steps.filter((s) => s.name === "subject").map((s) => s.op),
        ["create"],
      );
      assert.deepEqual((await writesOf(client)).filter((w) => c.createPath.test(w)), [], "no create call for the subject");
      await c.afterAdopt?.(client, r.outputs, r.logs.map((l) => l.message));
      declared = inputs;
      helpers = r.outputs;
      stack = adopting;
      await assertLiveMatches();
      await assertQuiet();
      await adopting.destroy();
      assert.deepEqual(c.leftovers(await client.state()), []);

      const failing = newStack(emu, `adopt-missing-${c.type}`);
      await client.clearRequests();
      const err = await failing.up(programFor(c, c.missing!.inputs)).then(
        () => assert.fail("adopting a missing object must fail"),
        (e: StackError) => e,
      );
      assert.match(err.message, c.missing!.error);
      assert.deepEqual((await writesOf(client)).filter((w) => c.createPath.test(w)), [], "nothing created for the subject");
      await failing.destroy();
    });
  });
}
