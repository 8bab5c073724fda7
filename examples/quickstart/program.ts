// The quickstart environment: a sub-account, a trunk authenticated by a SIP credential and an
// IP whitelist, and numbers bought from inventory and routed to the trunk.
import * as pulumi from "@pulumi/pulumi";
import * as vobiz from "pulumi-vobiz";

export interface QuickstartSettings {
  /** E.164 numbers to buy from Vobiz inventory. */
  numbers: string[];
  /** The SIP password for the PBX (8-20 characters, one of ~!@#$%^&*()_+). */
  sipPassword: pulumi.Input<string>;
  /** Public IPv4 addresses of the office PBX. */
  pbxAddresses: string[];
  trunkName?: string;
}

export function quickstart(s: QuickstartSettings) {
  const team = new vobiz.SubAccount("team", { name: "quickstart-team", description: "Created by the pulumi-vobiz quickstart" });

  const credential = new vobiz.SipCredential("pbx", { username: "quickstartpbx", password: s.sipPassword });

  const office = new vobiz.IpWhitelist("office", {
    entries: s.pbxAddresses.map((ip) => ({ ip, label: `office-pbx-${ip}` })),
  });

  const trunk = new vobiz.Trunk("main", {
    name: s.trunkName ?? "quickstart-trunk",
    description: "Outbound and inbound calls for the office PBX",
    credentialId: credential.credentialId,
    ipAclId: office.primaryEntryId,
  });

  const numbers = s.numbers.map(
    (number, i) => new vobiz.NumberPurchase(`number-${i + 1}`, { number, trunkId: trunk.trunkId }),
  );

  return {
    trunkDomain: trunk.domain,
    trunkId: trunk.trunkId,
    numbers: numbers.map((n) => n.number),
    sipUsername: credential.sipUsername,
    sipPassword: credential.password,
    sipRealm: credential.realm,
    subAccountAuthId: team.authId,
    subAccountAuthToken: team.authToken,
  };
}
