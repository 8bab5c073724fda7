// Credential rotation with a trunk that stays registered: a SIP credential rotated by age (the
// Vobiz guidance is every 90 days) and at once when `rotationTrigger` changes. Each rotation makes
// the new credential, points the trunk at it, and only then deletes the old one.
import * as pulumi from "@pulumi/pulumi";
import * as vobiz from "pulumi-vobiz";

export interface RotationSettings {
  /** The base SIP username; Vobiz sees it with a per-generation suffix (the sipUsername output). */
  username: string;
  /** Leave out to have a strong password generated, new on every rotation. */
  password?: pulumi.Input<string>;
  /** Days after which the next up rotates (default 90). */
  rotateAfterDays?: number;
  /** Any value (a ticket number, a date); a new value rotates at the next up. */
  rotationTrigger?: string;
  trunkName?: string;
}

export function rotation(s: RotationSettings) {
  const credential = new vobiz.SipCredential("pbx", {
    username: s.username,
    password: s.password,
    rotateAfterDays: s.rotateAfterDays ?? 90,
    rotationTrigger: s.rotationTrigger,
  });
  const trunk = new vobiz.Trunk("main", { name: s.trunkName ?? "rotation-trunk", credentialId: credential.credentialId });
  return {
    trunkId: trunk.trunkId,
    trunkDomain: trunk.domain,
    // What the PBX needs after every rotation: the new username and password.
    sipUsername: credential.sipUsername,
    password: credential.password,
    createdAt: credential.createdAt,
  };
}
