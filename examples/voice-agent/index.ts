// Entry point for `pulumi up` in this folder. Settings come from stack config:
//   pulumi config set voice-agent:pattern platform          # or byoc
//   pulumi config set voice-agent:platformSipHost sip.example-voice.ai
//   pulumi config set voice-agent:number +919876543210     # a number the account owns
//   pulumi config set --secret voice-agent:sipPassword 'Str0ng#Pass'   # optional
// For byoc:
//   pulumi config set --path 'voice-agent:carrierAddresses[0]' 49.36.20.10
//   pulumi config set --path 'voice-agent:carrierSipHosts[0]' sbc1.carrier.example
import * as pulumi from "@pulumi/pulumi";
import { byocCarrier, voiceAgent } from "./program";

const config = new pulumi.Config("voice-agent");

function run(): Record<string, unknown> {
  if ((config.get("pattern") ?? "platform") === "byoc") {
    return byocCarrier({
      carrierAddresses: config.requireObject<string[]>("carrierAddresses"),
      carrierSipHosts: config.requireObject<string[]>("carrierSipHosts"),
      carrierPort: config.getNumber("carrierPort"),
      numbers: config.getObject<string[]>("numbers"),
    });
  }
  return voiceAgent({
    platformSipHost: config.require("platformSipHost"),
    fallbackSipHost: config.get("fallbackSipHost"),
    transport: config.get("transport") as "udp" | "tcp" | "tls" | undefined,
    number: config.require("number"),
    sipUsername: config.get("sipUsername"),
    sipPassword: config.getSecret("sipPassword"),
  });
}

export const outputs = run();
