// The stable public entry point that every serialized shim requires at call time
// (`require("pulumi-vobiz/provider")`). Keep these names and signatures: state written by
// older versions calls them for read and delete.
import { makeLifecycle, ResourceSpec } from "./lifecycle";
import { setStackConfig } from "./config";
import { ipWhitelistSpec } from "./resources/ipWhitelist";
import { numberPurchaseSpec } from "./resources/numberPurchase";
import { numberRouteSpec } from "./resources/numberRoute";
import { originationUriSpec } from "./resources/originationUri";
import { sipCredentialSpec } from "./resources/sipCredential";
import { subAccountSpec } from "./resources/subAccount";
import { trunkSpec } from "./resources/trunk";

const specs: ResourceSpec<any>[] = [subAccountSpec, trunkSpec, sipCredentialSpec, ipWhitelistSpec, numberPurchaseSpec, originationUriSpec, numberRouteSpec];
const lifecycles = new Map(specs.map((s) => [s.typeName, makeLifecycle(s)]));

export type ResourceTypeName = "SubAccount" | "Trunk" | "SipCredential" | "IpWhitelist" | "NumberPurchase" | "OriginationUri" | "NumberRoute";

type Lifecycle = ReturnType<typeof makeLifecycle>;

/**
 * The one function every shim calls: `call(type, method, args)`. `configure` receives the host's
 * stack-config reader; the other methods are the dynamic-provider methods of that resource type.
 */
export async function call(typeName: string, method: string, args: unknown[]): Promise<unknown> {
  if (method === "configure") {
    const config = args[0] as { get(key: string): string | undefined };
    setStackConfig((key) => config.get(key));
    return;
  }
  const lifecycle = lifecycles.get(typeName);
  if (!lifecycle) throw new Error(`pulumi-vobiz: unknown resource type "${typeName}"; is the installed pulumi-vobiz older than this stack's state?`);
  const fn = lifecycle[method as keyof Lifecycle] as ((...a: unknown[]) => Promise<unknown>) | undefined;
  if (!fn) throw new Error(`pulumi-vobiz: ${typeName} has no provider method "${method}"`);
  return fn(...args);
}

export { VobizApiError } from "./client/errors";
