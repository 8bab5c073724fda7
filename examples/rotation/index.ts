// Entry point for `pulumi up` in this folder. Settings come from stack config:
//   pulumi config set rotation:username officepbx
//   pulumi config set rotation:rotateAfterDays 90          # optional, 90 by default
//   pulumi config set rotation:trigger 2027-01-incident-42  # optional; change it to rotate now
//   pulumi config set --secret rotation:password 'Str0ng#Pass'  # optional; generated when unset
import * as pulumi from "@pulumi/pulumi";
import { rotation } from "./program";

const config = new pulumi.Config("rotation");
const outputs = rotation({
  username: config.require("username"),
  password: config.getSecret("password"),
  rotateAfterDays: config.getNumber("rotateAfterDays"),
  rotationTrigger: config.get("trigger"),
});

export const trunkId = outputs.trunkId;
export const trunkDomain = outputs.trunkDomain;
export const sipUsername = outputs.sipUsername;
export const password = outputs.password;
export const createdAt = outputs.createdAt;
