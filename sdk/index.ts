// The resources users declare in a Pulumi program. Each is a thin dynamic resource: typed
// arguments in, declared outputs out, and a serialized shim that reaches ../provider at run time.
import * as pulumi from "@pulumi/pulumi";
import { shimText } from "./shim";

type Args = Record<string, pulumi.Input<unknown> | undefined>;

interface Shape {
  outputs: string[];
  /** Inputs stored encrypted in state, and outputs the engine must treat as secret. */
  secrets: string[];
}

/**
 * What pulumi.dynamic.Resource does (a `pulumi-nodejs:dynamic` type carrying `__provider`), but
 * with the hand-written shim text of ./shim instead of a serialized closure.
 */
abstract class VobizResource extends pulumi.CustomResource {
  protected constructor(typeName: string, shape: Shape, name: string, args: Args, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = {
      __provider: shimText(typeName),
      // Hidden inputs: they name the resource in errors and scope its idempotency keys.
      __vobizName: name,
      __vobizStack: `${pulumi.getProject()}/${pulumi.getStack()}`,
    };
    // URNs are unique by parent type and name, so the identity must carry the parent's type too:
    // two "pbx" credentials, one inside a component, are different resources.
    if (opts?.parent) props.__vobizParent = opts.parent.urn.apply((urn) => urn.split("::")[2]);
    for (const [k, v] of Object.entries(args)) {
      if (v === undefined) continue;
      props[k] = shape.secrets.includes(k) ? pulumi.secret(v) : v;
    }
    for (const out of shape.outputs) if (!(out in props)) props[out] = undefined;
    const options = pulumi.mergeOptions(opts, { additionalSecretOutputs: shape.secrets });
    super(`pulumi-nodejs:dynamic/vobiz:${typeName}`, name, props, options);
  }
}

export interface SubAccountArgs {
  /** Display name, 1-255 characters. Updatable. */
  name: pulumi.Input<string>;
  /** Contact and console login email; required when kycMode is "customer_use". Updatable. */
  email?: pulumi.Input<string>;
  /** Disabled sub-accounts keep their numbers and history but carry no traffic. Default true. Updatable. */
  enabled?: pulumi.Input<boolean>;
  /** "personal_use" (default, inherits the parent's KYC) or "customer_use". Updatable. */
  kycMode?: pulumi.Input<"personal_use" | "customer_use">;
  /** Free text, up to 500 characters. Updatable. */
  description?: pulumi.Input<string>;
  /**
   * Take over an existing sub-account instead of creating one: its SA_ auth id, or true for the one
   * named `name`. It is then updated to these inputs and deleted on destroy. Its authToken stays
   * empty (Vobiz shows it only at create). Used only at create.
   */
  adopt?: pulumi.Input<true | string>;
}

/** A Vobiz sub-account (SA_...) under the configured main account. */
export class SubAccount extends VobizResource {
  declare readonly authId: pulumi.Output<string>;
  /** Shown by Vobiz once, at create; kept here as a secret. */
  declare readonly authToken: pulumi.Output<string>;
  declare readonly subAccountId: pulumi.Output<string>;
  declare readonly parentAuthId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;

  constructor(name: string, args: SubAccountArgs, opts?: pulumi.CustomResourceOptions) {
    super("SubAccount", { outputs: ["authId", "authToken", "subAccountId", "parentAuthId"], secrets: ["authToken"] }, name, { ...args }, opts);
  }
}

export interface TrunkArgs {
  /** 1-100 characters. Updatable. */
  name: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /** Default true. Updatable. */
  enabled?: pulumi.Input<boolean>;
  /** "inbound" or "outbound"; omit for both directions. Updatable. */
  direction?: pulumi.Input<"inbound" | "outbound">;
  /** TLS signalling with SRTP media. Default false. Updatable. */
  secure?: pulumi.Input<boolean>;
  /** "udp" (default), "tcp" or "tls". Updatable. */
  transport?: pulumi.Input<"udp" | "tcp" | "tls">;
  /** 0-1000, default 10. Updatable. */
  concurrentCallsLimit?: pulumi.Input<number>;
  /** 0-100, default 2. Updatable. */
  cpsLimit?: pulumi.Input<number>;
  /** The SipCredential whose username and password authenticate calls on this trunk. Updatable. */
  credentialId?: pulumi.Input<string>;
  /** An IP ACL entry id, usually an IpWhitelist's primaryEntryId. Updatable. */
  ipAclId?: pulumi.Input<string>;
  /** Public http(s) URL for call events. Updatable. */
  webhookUrl?: pulumi.Input<string>;
  /** Inbound calls go here first: an OriginationUri's uriId. Updatable. */
  primaryUriId?: pulumi.Input<string>;
  /** Tried when the primary origination URI fails: another OriginationUri's uriId. Updatable. */
  fallbackUriId?: pulumi.Input<string>;
  /** Vobiz's inbound_destination, up to 255 characters (in Vobiz's examples the primary URI id). Updatable. */
  inboundDestination?: pulumi.Input<string>;
  /** Record calls. Default false. Updatable. */
  recording?: pulumi.Input<boolean>;
  /** Transcribe recordings; needs recording. Default false. Updatable. */
  enableTranscription?: pulumi.Input<boolean>;
  /** Redact personal data from transcripts; needs enableTranscription. Default false. Updatable. */
  piiRedaction?: pulumi.Input<boolean>;
  /**
   * Take over an existing trunk instead of creating one: its trunk id, or true for the one named
   * `name`. It is then updated to these inputs and deleted on destroy. Used only at create.
   */
  adopt?: pulumi.Input<true | string>;
}

/** A SIP trunk. Every field updates in place. */
export class Trunk extends VobizResource {
  declare readonly trunkId: pulumi.Output<string>;
  /** The SIP domain the PBX registers to, e.g. 1a2b3c4d.sip.vobiz.ai. */
  declare readonly domain: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly credentialId: pulumi.Output<string | undefined>;

  constructor(name: string, args: TrunkArgs, opts?: pulumi.CustomResourceOptions) {
    super("Trunk", { outputs: ["trunkId", "domain", "status"], secrets: [] }, name, { ...args }, opts);
  }
}

export interface SipCredentialArgs {
  /**
   * Base username: letters, digits, "_" or "-", at most 94 characters. Vobiz usernames are unique per
   * account, so a 6-character generation suffix is appended (see sipUsername). Changing it replaces.
   */
  username: pulumi.Input<string>;
  /**
   * 8-20 characters with at least one of ~!@#$%^&*()_+. Stored as a secret. Changing it replaces
   * (rotation). Leave it out to have a strong 20-character one generated: it is the secret output
   * `password`, and every rotation generates a new one.
   */
  password?: pulumi.Input<string>;
  /** Default true. Updatable. */
  enabled?: pulumi.Input<boolean>;
  /**
   * Rotate when the credential is this many days old (Vobiz recommends 90): the next up after that
   * plans a replacement, with the same password under a new username suffix unless you change it.
   */
  rotateAfterDays?: pulumi.Input<number>;
  /** Any change to this value replaces the credential (like the keepers of @pulumi/random). */
  rotationTrigger?: pulumi.Input<string>;
  /**
   * Take over an existing credential instead of creating one: its id, or true for the one whose
   * username is exactly `username`. Its password is then set to `password` (or a generated one), so
   * the PBX must take the new one. A later rotation creates a new credential. Used only at create.
   */
  adopt?: pulumi.Input<true | string>;
}

/** A SIP digest credential. A new username or password is a replacement: create new, re-point, delete old. */
export class SipCredential extends VobizResource {
  declare readonly credentialId: pulumi.Output<string>;
  /** The username a PBX must use: the base username plus this generation's suffix. */
  declare readonly sipUsername: pulumi.Output<string>;
  /** Digest realm, e.g. MA_XXXXXXXX.sip.vobiz.ai. */
  declare readonly realm: pulumi.Output<string>;
  /** The declared password, or the generated one. Secret. */
  declare readonly password: pulumi.Output<string>;
  /** When this generation was made (ISO time): the start of its rotation age. */
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: SipCredentialArgs, opts?: pulumi.CustomResourceOptions) {
    super("SipCredential", { outputs: ["credentialId", "sipUsername", "realm", "generation", "createdAt", "password"], secrets: ["password"] }, name, { ...args }, opts);
  }
}

export interface IpWhitelistEntry {
  /** IPv4 address or IPv4 CIDR (no IPv6, no RFC 5737 documentation ranges). */
  ip: string;
  /** Label shown in the Vobiz console, 1-100 characters. */
  label: string;
}

export interface IpWhitelistArgs {
  /** The addresses allowed in. Adding or removing one touches only that entry. */
  entries: pulumi.Input<pulumi.Input<IpWhitelistEntry>[]>;
  /**
   * true: take over the existing IP ACL entry of every listed address instead of creating them
   * (each must exist exactly once); labels are then set to these. Used only at create.
   */
  adopt?: pulumi.Input<true>;
}

/** A set of Vobiz IP ACL entries, one per address, for IP-authenticated PBXs. */
export class IpWhitelist extends VobizResource {
  /** Map of address to IP ACL entry id. */
  declare readonly entryIds: pulumi.Output<Record<string, string>>;
  /** The entry id of the first address; pass it to Trunk.ipAclId. */
  declare readonly primaryEntryId: pulumi.Output<string>;

  constructor(name: string, args: IpWhitelistArgs, opts?: pulumi.CustomResourceOptions) {
    super("IpWhitelist", { outputs: ["entryIds", "primaryEntryId"], secrets: [] }, name, { ...args }, opts);
  }
}

export interface NumberPurchaseArgs {
  /** The E.164 number to buy from inventory, e.g. +919876543210. Changing it replaces (buys another). */
  number: pulumi.Input<string>;
  /** Route inbound calls to this trunk. Updatable: unassign, then assign. */
  trunkId?: pulumi.Input<string>;
  /** Release without the 24-hour cancellable window on destroy. Default false. */
  releaseImmediately?: pulumi.Input<boolean>;
  /**
   * true: take over this number, which the account already holds, instead of buying it; it is then
   * routed as declared and released on destroy. Without it, a held number is refused. Used only at create.
   */
  adopt?: pulumi.Input<true>;
}

/** A phone number bought from Vobiz inventory; destroy releases it (Vobiz charges a release fee). */
export class NumberPurchase extends VobizResource {
  declare readonly numberId: pulumi.Output<string>;
  declare readonly country: pulumi.Output<string>;
  declare readonly setupFee: pulumi.Output<number>;
  declare readonly monthlyFee: pulumi.Output<number>;
  declare readonly currency: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly number: pulumi.Output<string>;
  declare readonly trunkId: pulumi.Output<string | undefined>;

  constructor(name: string, args: NumberPurchaseArgs, opts?: pulumi.CustomResourceOptions) {
    super("NumberPurchase", { outputs: ["numberId", "country", "setupFee", "monthlyFee", "currency", "status"], secrets: [] }, name, { ...args }, opts);
  }
}

export interface OriginationUriArgs {
  /** Label shown in the Vobiz console, 1-255 characters. Updatable. */
  name: pulumi.Input<string>;
  /**
   * Where Vobiz sends inbound calls: sip:host, sip:host:port or sip:user@host:port, optionally
   * ;transport=udp|tcp|tls (the transport is read from it). Changing it replaces.
   */
  uri: pulumi.Input<string>;
  /** Lower is tried first, 1-65535, default 1. Updatable. */
  priority?: pulumi.Input<number>;
  /** Share of calls among URIs of the same priority, default 10. Changing it replaces. */
  weight?: pulumi.Input<number>;
  /** Default true. Changing it replaces (the API cannot toggle it). */
  enabled?: pulumi.Input<boolean>;
  /**
   * Take over an existing origination URI instead of creating one: its id, or true for the one whose
   * uri is exactly `uri`. Its name and priority are then set to these; its uri, weight and enabled
   * must already match. Used only at create.
   */
  adopt?: pulumi.Input<true | string>;
}

/**
 * A SIP destination for a trunk's inbound calls (point Trunk.primaryUriId / fallbackUriId at it).
 * Vobiz cannot change its uri, weight or enabled flag, so changing one is a replacement: the new URI
 * is created, the trunks are re-pointed, and only then is the old one deleted.
 */
export class OriginationUri extends VobizResource {
  declare readonly uriId: pulumi.Output<string>;
  /** udp, tcp or tls, as Vobiz read it from the uri. */
  declare readonly transport: pulumi.Output<string>;
  declare readonly uri: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: OriginationUriArgs, opts?: pulumi.CustomResourceOptions) {
    super("OriginationUri", { outputs: ["uriId", "transport"], secrets: [] }, name, { ...args }, opts);
  }
}

export interface NumberRouteArgs {
  /** A number the account already owns, in E.164 form. Changing it replaces. */
  number: pulumi.Input<string>;
  /** The trunk that receives the number's calls. Updatable: unassign, then assign. */
  trunkId: pulumi.Input<string>;
}

/**
 * Routes a number the account already owns to a trunk. It never buys or releases the number; destroy
 * gives back the route it found (the previous trunk, or none).
 */
export class NumberRoute extends VobizResource {
  declare readonly numberId: pulumi.Output<string>;
  declare readonly number: pulumi.Output<string>;
  declare readonly trunkId: pulumi.Output<string>;
  /** The trunk the number was routed to before this resource; destroy routes it back there. */
  declare readonly previousTrunkId: pulumi.Output<string | undefined>;
  declare readonly status: pulumi.Output<string>;

  constructor(name: string, args: NumberRouteArgs, opts?: pulumi.CustomResourceOptions) {
    super("NumberRoute", { outputs: ["numberId", "previousTrunkId", "status"], secrets: [] }, name, { ...args }, opts);
  }
}
