// examples/ci/vobiz.yml: valid against the GitHub Actions workflow schema (SchemaStore, through
// action-validator), and doing what the README promises: preview on pull requests, up on main,
// credentials only from repository secrets, and an emulator job that needs no Vobiz account.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { repoRoot } from "./support";

const file = path.join(repoRoot, "examples", "ci", "vobiz.yml");
const text = readFileSync(file, "utf8");
const workflow = parse(text);
const runs = (job: any): string => job.steps.map((s: any) => s.run ?? "").join("\n");
const pulumiCommands = (job: any): string[] => job.steps.filter((s: any) => /^pulumi\/actions@/.test(s.uses ?? "")).map((s: any) => s.with.command);

describe("examples/ci/vobiz.yml", () => {
  it("is a valid GitHub Actions workflow", () => {
    assert.deepEqual(validateWorkflow(text).errors, []);
  });

  it("the schema check catches a broken workflow (so the check above means something)", () => {
    const broken = text.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest");
    assert.notEqual(broken, text);
    assert.ok(validateWorkflow(broken).errors.length > 0);
  });

  it("runs on pull requests to main and pushes to main", () => {
    assert.deepEqual(workflow.on.pull_request.branches, ["main"]);
    assert.deepEqual(workflow.on.push.branches, ["main"]);
    assert.deepEqual(workflow.permissions, { contents: "read" });
  });

  it("previews on pull requests and ups only on main, one up at a time", () => {
    const { preview, up } = workflow.jobs;
    assert.match(preview.if, /github\.event_name == 'pull_request'/);
    assert.deepEqual(pulumiCommands(preview), ["preview"]);
    assert.match(up.if, /github\.event_name == 'push' && github\.ref == 'refs\/heads\/main'/);
    assert.deepEqual(pulumiCommands(up), ["up"]);
    assert.equal(up.concurrency["cancel-in-progress"], false);
  });

  it("takes Vobiz and Pulumi credentials from repository secrets only", () => {
    for (const name of ["preview", "up"]) {
      const env = workflow.jobs[name].env;
      assert.equal(env.VOBIZ_AUTH_TOKEN, "${{ secrets.VOBIZ_AUTH_TOKEN }}", name);
      assert.equal(env.VOBIZ_AUTH_ID, "${{ secrets.VOBIZ_AUTH_ID }}", name);
      assert.equal(env.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}", name);
    }
    const emulator = workflow.jobs.emulator;
    assert.doesNotMatch(JSON.stringify(emulator), /secrets\./, "the emulator job needs no secret");
  });

  it("runs the same program against the emulator on every pull request: up, no-change preview and refresh, destroy", () => {
    const job = workflow.jobs.emulator;
    assert.match(job.if, /github\.event_name == 'pull_request'/);
    assert.equal(job.env.VOBIZ_ENDPOINT, "http://127.0.0.1:8787");
    const script = runs(job);
    assert.match(script, /npx vobiz-emulator --port 8787/);
    assert.match(script, /pulumi login "file:\/\/\$RUNNER_TEMP\/pulumi-state"/);
    const order = ["pulumi up --yes", "pulumi preview --expect-no-changes", "pulumi refresh --yes --expect-no-changes", "pulumi destroy --yes"].map((c) => script.indexOf(c));
    assert.ok(order.every((i) => i >= 0), `missing a step: ${order}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order, "in this order");
  });

  it("keeps the provider's operations report as an artifact of the emulator and up jobs, even when they fail", () => {
    for (const name of ["emulator", "up"]) {
      const job = workflow.jobs[name];
      assert.equal(job.env.VOBIZ_REPORT_FILE, "vobiz-report.json", name);
      const upload = job.steps.find((s: any) => /^actions\/upload-artifact@/.test(s.uses ?? ""));
      assert.ok(upload, `${name} uploads the report`);
      assert.equal(upload.if, "always()");
      assert.equal(upload.with.path, "infra/vobiz-report.json");
    }
    assert.equal(workflow.jobs.up.env.VOBIZ_MAX_SPEND_PER_RUN, "5000 INR");
  });

  it("the emulator it starts is the package's own bin", () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    assert.equal(pkg.bin["vobiz-emulator"], "dist/emulator/cli.js");
    assert.match(readFileSync(path.join(repoRoot, "emulator", "cli.ts"), "utf8"), /^#!\/usr\/bin\/env node\n/);
  });
});
