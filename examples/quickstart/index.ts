// Entry point for `pulumi up` (see the root Pulumi.yaml). Settings come from stack config:
//   pulumi config set --path 'quickstart:numbers[0]' +919876543210
//   pulumi config set --secret quickstart:sipPassword 'Str0ng#Pass'
//   pulumi config set --path 'quickstart:pbxAddresses[0]' 49.36.12.10
import * as pulumi from "@pulumi/pulumi";
import { quickstart } from "./program";

const config = new pulumi.Config("quickstart");
const outputs = quickstart({
  numbers: config.requireObject<string[]>("numbers"),
  sipPassword: config.requireSecret("sipPassword"),
  pbxAddresses: config.requireObject<string[]>("pbxAddresses"),
  trunkName: config.get("trunkName"),
});

export const trunkDomain = outputs.trunkDomain;
export const trunkId = outputs.trunkId;
export const numbers = outputs.numbers;
export const sipUsername = outputs.sipUsername;
export const sipPassword = outputs.sipPassword;
export const sipRealm = outputs.sipRealm;
export const subAccountAuthId = outputs.subAccountAuthId;
export const subAccountAuthToken = outputs.subAccountAuthToken;
