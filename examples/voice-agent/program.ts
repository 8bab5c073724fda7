// The setup most voice-AI and PBX guides describe (Vapi, Retell, Bolna, ElevenLabs, LiveKit,
// OpenAI Realtime SIP, 3CX): outbound calls leave through a trunk the platform authenticates to
// with a SIP credential; inbound calls to a number the account already owns arrive on a second
// trunk whose origination URIs (primary, then fallback) point at the platform's SIP host.
// byocCarrier is the other common shape: a carrier that authenticates by IP address.
import * as pulumi from "@pulumi/pulumi";
import * as vobiz from "pulumi-vobiz";

export interface VoiceAgentSettings {
  /** The platform's SIP host for inbound calls, a bare host such as sip.example-voice.ai (no "sip:"). */
  platformSipHost: string;
  /** A second host the platform offers for failover; defaults to platformSipHost. */
  fallbackSipHost?: string;
  /** udp, tcp or tls, if the platform asks for one (LiveKit and most others: tcp). */
  transport?: "udp" | "tcp" | "tls";
  /** A number the account already owns; it is routed to the inbound trunk and given back on destroy. */
  number: string;
  /** Base SIP username the platform uses for outbound calls. */
  sipUsername?: string;
  /** Leave out to have a strong password generated (exported as a secret). */
  sipPassword?: pulumi.Input<string>;
  /** Route the number to this trunk instead of the inbound trunk (e.g. while moving platforms). */
  numberTrunkId?: pulumi.Input<string>;
  name?: string;
}

const sipUri = (host: string, transport?: string, port?: number) => `sip:${host}${port ? `:${port}` : ""}${transport ? `;transport=${transport}` : ""}`;

export function voiceAgent(s: VoiceAgentSettings) {
  const name = s.name ?? "voice-agent";

  // Outbound: the platform registers nothing; it sends INVITEs to the trunk domain with this credential.
  const credential = new vobiz.SipCredential("agent-outbound", { username: s.sipUsername ?? "voiceagent", password: s.sipPassword });
  const outbound = new vobiz.Trunk("outbound", {
    name: `${name}-outbound`,
    description: "Calls the voice-AI platform places",
    direction: "outbound",
    credentialId: credential.credentialId,
  });

  // Inbound: Vobiz sends calls to the platform, the primary first, then the fallback.
  const primary = new vobiz.OriginationUri("agent-primary", { name: `${name}-primary`, uri: sipUri(s.platformSipHost, s.transport), priority: 1 });
  const fallback = new vobiz.OriginationUri("agent-fallback", {
    name: `${name}-fallback`,
    uri: sipUri(s.fallbackSipHost ?? s.platformSipHost, s.transport),
    priority: 2,
  });
  const inbound = new vobiz.Trunk("inbound", {
    name: `${name}-inbound`,
    description: "Calls to the agent's number",
    direction: "inbound",
    primaryUriId: primary.uriId,
    fallbackUriId: fallback.uriId,
  });

  const route = new vobiz.NumberRoute("agent-number", { number: s.number, trunkId: s.numberTrunkId ?? inbound.trunkId });

  return {
    // What the platform's "SIP trunk" form asks for.
    sipDomain: outbound.domain,
    sipUsername: credential.sipUsername,
    sipPassword: credential.password,
    outboundTrunkId: outbound.trunkId,
    inboundTrunkId: inbound.trunkId,
    number: route.number,
    numberTrunkId: route.trunkId,
    previousTrunkId: route.previousTrunkId,
  };
}

export interface ByocSettings {
  /** The carrier's signalling addresses (IPv4 or CIDR), allowed to send calls through Vobiz. */
  carrierAddresses: string[];
  /** The carrier's SIP hosts for calls from Vobiz to the carrier, in failover order. */
  carrierSipHosts: string[];
  /** The carrier's SIP port, if not 5060. */
  carrierPort?: number;
  /** Owned numbers whose calls go to the carrier. */
  numbers?: string[];
  name?: string;
}

export function byocCarrier(s: ByocSettings) {
  const name = s.name ?? "byoc";
  const whitelist = new vobiz.IpWhitelist("carrier", { entries: s.carrierAddresses.map((ip, i) => ({ ip, label: `${name}-carrier-${i + 1}` })) });
  // Vobiz tries the primary, then the fallback; further hosts would need a second trunk.
  const [first, second] = s.carrierSipHosts;
  const uris = [first, second ?? first].map(
    (host, i) => new vobiz.OriginationUri(`carrier-${i === 0 ? "primary" : "fallback"}`, { name: `${name}-${i + 1}`, uri: sipUri(host, undefined, s.carrierPort), priority: i + 1 }),
  );
  const trunk = new vobiz.Trunk("carrier", {
    name: `${name}-carrier`,
    description: "Bring-your-own-carrier trunk, authenticated by IP",
    ipAclId: whitelist.primaryEntryId,
    primaryUriId: uris[0].uriId,
    fallbackUriId: uris[1].uriId,
  });
  const routes = (s.numbers ?? []).map((number, i) => new vobiz.NumberRoute(`carrier-number-${i + 1}`, { number, trunkId: trunk.trunkId }));
  return {
    trunkId: trunk.trunkId,
    trunkDomain: trunk.domain,
    entryIds: whitelist.entryIds,
    originationUris: uris.map((u) => u.uri),
    numbers: routes.map((r) => r.number),
  };
}
