/**
 * The text Pulumi stores as every resource's `__provider` and the dynamic-provider host loads
 * with require-from-string. pulumi.dynamic.Resource would produce it by serializing a closure
 * (2 KB+ of wrapper text per resource, and its shape changes with @pulumi/pulumi versions); we
 * write it by hand instead: it captures nothing but the type name, holds no credentials, and
 * requires the installed package's stable entry point at call time, so state written by this
 * version keeps working after an upgrade. Changing this text changes every stack's inputs:
 * treat it as a public contract (test/fixtures keeps today's texts).
 */
export function shimText(typeName: string): string {
  return [
    `exports.handler = () => {`,
    `  const c = (m, a) => require("pulumi-vobiz/provider").call(${JSON.stringify(typeName)}, m, a);`,
    `  return {`,
    `    configure: (r) => c("configure", [r.config]),`,
    `    check: (o, n) => c("check", [o, n]),`,
    `    diff: (i, o, n) => c("diff", [i, o, n]),`,
    `    create: (n) => c("create", [n]),`,
    `    read: (i, p) => c("read", [i, p]),`,
    `    update: (i, o, n) => c("update", [i, o, n]),`,
    `    delete: (i, p) => c("delete", [i, p]),`,
    `  };`,
    `};`,
    ``,
  ].join("\n");
}
