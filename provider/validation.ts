// Client-side validation shared by every resource: fail at `check`, with the field named,
// before any API call. Rules follow the Vobiz contract (notes §2.3, §7.2, §8.2, §6.1).
import { randomInt } from "node:crypto";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";

/** What the engine sends for a value that is not known yet during preview (pulumi/pulumi#6310). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

// Control characters, angle brackets and quotes have no place in names sent to a telephony API;
// rejecting them early keeps hostile strings out of API calls and logs.
const safeText = (field: string, max: number, min = 1) =>
  z
    .string()
    .min(min, `${field} must be at least ${min} character${min === 1 ? "" : "s"}`)
    .max(max, `${field} must be at most ${max} characters`)
    .refine((s) => !/[\u0000-\u001f\u007f<>"]/.test(s), `${field} must not contain control characters, quotes or angle brackets`);

export const names = {
  inboundDestination: safeText("inboundDestination", 255),
  trunk: safeText("name", 100),
  description: safeText("description", 500, 0),
  subAccount: safeText("name", 255),
  label: safeText("label", 100),
  // ASSUMPTION: origination URI names (stored as description) are 1-255 characters, as the emulator enforces.
  originationUri: safeText("name", 255),
};

// ASSUMPTION (notes §2.3): E.164 shape is "+", a non-zero country digit, then 6-14 digits.
export const e164 = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 number with a leading + and country code, e.g. +919876543210");

export const email = z.email("must be a valid email address (RFC 5322)").max(254);

// Vobiz rejects the RFC 5737 documentation ranges and everything that is not IPv4 (notes §8.2).
const documentationRanges = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"].map((c) => ipaddr.IPv4.parseCIDR(c));

export function ipv4OrCidrProblem(value: string): string | undefined {
  const [addr, prefix, extra] = value.split("/");
  if (extra !== undefined) return "must be an IPv4 address or IPv4 CIDR such as 203.0.114.10 or 10.0.0.0/24";
  if (addr.includes(":")) return "IPv6 addresses are not supported by Vobiz; use an IPv4 address or CIDR";
  if (!ipaddr.IPv4.isValidFourPartDecimal(addr)) return "must be an IPv4 address in dotted decimal form, such as 203.0.114.10";
  if (prefix !== undefined && !(/^(0|[1-9]\d?)$/.test(prefix) && Number(prefix) <= 32)) {
    return `CIDR prefix "/${prefix}" must be a whole number from /0 to /32, without leading zeros`;
  }
  const ip = ipaddr.IPv4.parse(addr);
  if (documentationRanges.some((range) => ip.match(range))) {
    return "documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are rejected by Vobiz";
  }
  return undefined;
}

/**
 * A URL the API can call from the internet: http(s), a host name with a dot or a public IP.
 * Vobiz refuses loopback, private, link-local and similar addresses (SSRF protection, notes §7.2);
 * host names are not resolved.
 */
export function publicHttpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be a public http(s) URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be a public http(s) URL";
  const host = url.hostname.toLowerCase();
  const literal = host.startsWith("[") ? host.slice(1, -1) : host;
  if (ipaddr.isValid(literal) && (ipaddr.IPv4.isValidFourPartDecimal(literal) || literal.includes(":"))) {
    const ip = ipaddr.process(literal);
    if (ip.range() !== "unicast") return `must be a public http(s) URL; ${literal} is a ${ip.range()} address, which Vobiz refuses`;
    return undefined;
  }
  if (host === "localhost" || host.endsWith(".localhost") || !host.includes(".")) return `must be a public http(s) URL; ${host} is not a public host name`;
  return undefined;
}

/** A string rule from a function that says what is wrong with a value (undefined: nothing). */
const fromProblem = (problemOf: (value: string) => string | undefined, string = z.string()) =>
  string.superRefine((v, ctx) => {
    const problem = problemOf(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const ipv4OrCidr = fromProblem(ipv4OrCidrProblem);
export const publicHttpUrl = fromProblem(publicHttpUrlProblem, z.string().max(500, "must be at most 500 characters"));

// Usernames: letters, digits, underscore, hyphen (console rule); the docs recommend alphanumeric.
// The provider appends a 6-character generation suffix, so the base may use at most 94 characters.
export const sipUsernameBase = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, "may contain only letters, digits, underscore and hyphen")
  .min(1, "must not be empty")
  .max(94, "must be at most 94 characters (6 more are used for the rotation suffix)");

// ASSUMPTION (notes §7.2 verdict): 8-20 characters of [A-Za-z0-9~!@#$%^&*()_+], at least one
// letter or digit and at least one of ~!@#$%^&*()_+ .
const SIP_PASSWORD_CLASSES = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "~!@#$%^&*()_+"];

/** A 20-character SIP password with every character class, from the OS CSPRNG (over 110 bits). */
export function generateSipPassword(): string {
  const all = SIP_PASSWORD_CLASSES.join("");
  const chars = SIP_PASSWORD_CLASSES.map((c) => c[randomInt(c.length)]);
  while (chars.length < 20) chars.push(all[randomInt(all.length)]);
  // Shuffle so the guaranteed characters are not always first (Fisher-Yates).
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}

export const sipPassword = z.string().superRefine((v, ctx) => {
  const problems: string[] = [];
  if (v.length < 8 || v.length > 20) problems.push("be 8 to 20 characters long");
  if (!/^[A-Za-z0-9~!@#$%^&*()_+]*$/.test(v)) problems.push("use only letters, digits and ~!@#$%^&*()_+");
  if (!/[A-Za-z0-9]/.test(v)) problems.push("contain a letter or digit");
  if (!/[~!@#$%^&*()_+]/.test(v)) problems.push("contain at least one of ~!@#$%^&*()_+");
  // The message names the rule, never the value: this field is a secret.
  if (problems.length) ctx.addIssue({ code: "custom", message: `the SIP password must ${problems.join(", ")}` });
});

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const uuidRef = z.string().min(1, "must be an id returned by another Vobiz resource");

/** `adopt`: an existing object's id, or true to find it by the natural key in the inputs. */
export const adoptByIdOrKey = z
  .union([z.literal(true), z.string().min(1)], { error: "must be true (find the object by its natural key) or an existing object's id" })
  .optional();

/** `adopt` for types whose natural key is an input (an address, a number). */
export const adoptByKey = z.literal(true, { error: "must be true (take over the existing object with this natural key) or left out" }).optional();
