// Origination URI validation at check (notes §9.2): the `sip:` form Vobiz accepts, with the
// mistakes guides make most often named plainly instead of surfacing as the API's one 400.
import { z } from "zod";

// What the API accepts (notes §9.2): sip:[user@]host[:port][;param[=value]]..., host a DNS name or IPv4.
const USER = /^[A-Za-z0-9._~!$&'()*+,=%-]+$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const PARAM = /^[A-Za-z0-9_-]+(?:=[A-Za-z0-9_.-]+)?$/;

/** The parts of a valid SIP URI, or the reason it is not one. */
export function parseSipUri(value: string): { user?: string; host: string; port?: number; transport?: string } | { problem: string } {
  const bad = (problem: string) => ({ problem });
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1];
  if (scheme === undefined || !/^sips?$/i.test(scheme)) {
    if (/^https?$/i.test(scheme ?? "")) return bad(`must be a SIP URI such as sip:agent.example.com, not an ${scheme!.toLowerCase()} URL`);
    return bad("must start with sip:, e.g. sip:agent.example.com or sip:inbound@203.0.114.7:5080");
  }
  if (scheme !== "sip") {
    return bad(scheme.toLowerCase() === "sips" ? "Vobiz accepts only sip: URIs; for TLS write sip:host:5061;transport=tls" : "the scheme must be lower-case sip:");
  }
  let rest = value.slice(4);
  if (/^sips?:/i.test(rest)) return bad(`has a stray "${rest.slice(0, rest.indexOf(":") + 1)}" after sip:; write sip:${rest.slice(rest.indexOf(":") + 1)} (a bare host after the one sip:)`);
  if (rest.startsWith("//")) return bad(`must not have // after sip:; write sip:${rest.slice(2)}`);
  const [target, ...params] = rest.split(";");
  rest = target;
  let user: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user)) return bad(`has an invalid user part "${user}"`);
  }
  const [host, port, extra] = rest.split(":");
  if (!host) return bad("has no host: write sip:host, sip:host:port or sip:user@host:port");
  if (/^sips?$/i.test(host) && port !== undefined) return bad(`has a stray "${host}:" where a bare host is expected`);
  if (extra !== undefined) return bad(`has more than one ":" after the host (IPv6 is not supported)`);
  if (host.length > 253 || !host.split(".").every((l) => LABEL.test(l))) return bad(`host "${host}" is not a valid host name or IPv4 address`);
  if (/^[\d.]+$/.test(host) && !(host.split(".").length === 4 && host.split(".").every((o) => Number(o) <= 255))) return bad(`host "${host}" is not a valid IPv4 address`);
  // A Vobiz domain here sends the call back to Vobiz: an origination URI is where inbound calls leave it.
  if (/(^|\.)sip\.vobiz\.ai$/i.test(host)) {
    return bad(
      `points at Vobiz itself (${host}): an origination URI is where Vobiz sends inbound calls, so it must be your platform's or PBX's SIP host; ` +
        "sip.vobiz.ai and trunk domains are what the platform dials for outbound calls",
    );
  }
  let portNumber: number | undefined;
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return bad(`port ${port || "(empty)"} is out of range; it must be 1-65535`);
    portNumber = Number(port);
  }
  let transport: string | undefined;
  for (const p of params) {
    if (!PARAM.test(p)) return bad(`has an invalid parameter ";${p}"`);
    const m = /^transport=(.*)$/i.exec(p);
    if (m) {
      if (!/^(udp|tcp|tls)$/i.test(m[1])) return bad(`transport "${m[1]}" is not one of udp, tcp, tls`);
      transport = m[1].toLowerCase();
    }
  }
  return { user, host, port: portNumber, transport };
}

export const sipUri = z.string().superRefine((v, ctx) => {
  const parsed = parseSipUri(v);
  if ("problem" in parsed) ctx.addIssue({ code: "custom", message: parsed.problem });
});
