// The package as a user's TypeScript program sees it: its entry points (the SDK, the emulator and
// the testing engine) type-check under the module settings Pulumi programs use, including the
// classic `"module": "commonjs"` setup whose resolution ignores package.json "exports".
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import ts from "typescript";
import { repoRoot } from "./support";

const consumer = `
import * as vobiz from "pulumi-vobiz";
import { Stack } from "pulumi-vobiz/testing";
import { startEmulator } from "pulumi-vobiz/emulator";

export async function main(): Promise<string> {
  const emu = await startEmulator({ port: 0 });
  const stack = new Stack({ project: "p", stack: "s", programDir: ".", stateFile: "s.json", config: { "vobiz:endpoint": emu.url } });
  const result = await stack.preview(() => {
    const trunk = new vobiz.Trunk("t", { name: "t" });
    return { domain: trunk.domain };
  });
  await emu.close();
  return String(result.outputs.domain);
}
`;

describe("the package's entry points in a user's TypeScript program", () => {
  // Under the repository, so that node_modules/pulumi-vobiz (this package, linked) resolves.
  const dir = mkdtempSync(path.join(repoRoot, "dist", "consumer-"));
  writeFileSync(path.join(dir, "main.ts"), consumer);
  after(() => rmSync(dir, { recursive: true, force: true }));

  const settings: [string, ts.CompilerOptions][] = [
    ['"module": "commonjs" (classic resolution)', { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }],
    ['"module": "node16"', { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }],
  ];
  for (const [name, options] of settings) {
    it(`type-checks with ${name}, without skipLibCheck`, () => {
      const program = ts.createProgram([path.join(dir, "main.ts")], { ...options, strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, types: ["node"] });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      assert.deepEqual(problems, []);
    });
  }
});
