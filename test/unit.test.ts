// Pure logic, tested without processes: retry decisions, error decoding, validation,
// offline check/diff rules. The lifecycle itself is tested through the real host elsewhere.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { decodeErrorBody, describeApiError, VobizApiError } from "../provider/client/errors";
import { assertEndpointAllowed, parseRetryAfter, retryDelayMs } from "../provider/client/transport";
import { emptyStats, RateLimiter, summarize } from "../provider/client/guards";
import { isAmbiguous } from "../provider/lifecycle";
import { call } from "../provider";
import { generateSipPassword, ipv4OrCidrProblem, publicHttpUrlProblem, sipPassword, UNKNOWN } from "../provider/validation";
import { shimText } from "../sdk/shim";
import { parseFees, parseMoney } from "../provider/money";

const limits = { maxRetries: 3, maxRateLimitWaits: 5, maxRetryAfterSeconds: 60, backoffBaseMs: 1000, maxRetryTimeMs: 300_000 };
const decide = (o: { method: "GET" | "POST" | "PUT" | "DELETE"; status: number; failures?: number; rateLimited?: number; retryAfterSeconds?: number; elapsedMs?: number; random?: () => number }) =>
  retryDelayMs({ failures: 1, rateLimited: 0, elapsedMs: 0, random: () => 1, limits, ...o });

describe("retry decision", () => {
  it("retries reads and idempotent writes on no response, 500 and 502-504 with exponential backoff", () => {
    assert.equal(decide({ method: "GET", status: 0 }), 1000);
    assert.equal(decide({ method: "GET", status: 503, failures: 3 }), 4000);
    assert.equal(decide({ method: "GET", status: 500 }), 1000);
    assert.equal(decide({ method: "DELETE", status: 502, failures: 2 }), 2000);
    assert.equal(decide({ method: "PUT", status: 0 }), 1000);
    assert.equal(decide({ method: "DELETE", status: 500 }), 1000);
  });
  it("uses full jitter", () => {
    assert.equal(decide({ method: "GET", status: 503, failures: 2, random: () => 0.25 }), 500);
    assert.equal(decide({ method: "GET", status: 503, failures: 2, random: () => 0 }), 0);
  });
  it("never retries other 4xx, an unanswered or failed POST, or past the limits", () => {
    for (const status of [400, 401, 402, 403, 404, 409, 422]) assert.equal(decide({ method: "GET", status }), undefined);
    for (const status of [0, 500, 502, 503, 504]) assert.equal(decide({ method: "POST", status }), undefined);
    assert.equal(decide({ method: "GET", status: 503, failures: 4 }), undefined);
    // The total time budget: a retry that would end after it is not scheduled.
    assert.equal(decide({ method: "GET", status: 503, elapsedMs: 299_500 }), undefined);
  });
  it("waits for Retry-After on 429, capped, for any method, without using up the failure retries", () => {
    assert.equal(decide({ method: "GET", status: 429, rateLimited: 1, retryAfterSeconds: 7 }), 7000);
    assert.equal(decide({ method: "GET", status: 429, rateLimited: 1, retryAfterSeconds: 600 }), 60000);
    assert.equal(decide({ method: "POST", status: 429, rateLimited: 1, retryAfterSeconds: 1 }), 1000);
    assert.equal(decide({ method: "GET", status: 429, failures: 4, rateLimited: 1, retryAfterSeconds: 1 }), 1000);
    assert.equal(decide({ method: "GET", status: 429, rateLimited: 6, retryAfterSeconds: 1 }), undefined);
    // Without Retry-After: backoff on the 429 count.
    assert.equal(decide({ method: "GET", status: 429, rateLimited: 2 }), 2000);
  });
  it("reads Retry-After in seconds and HTTP-date forms", () => {
    assert.equal(parseRetryAfter("5"), 5);
    assert.equal(parseRetryAfter("1.5"), 2, "a fraction of a second rounds up, not to a date in 2001");
    const now = Date.parse("2026-12-03T10:00:00Z");
    assert.equal(parseRetryAfter("Thu, 03 Dec 2026 10:00:30 GMT", now), 30);
    assert.equal(parseRetryAfter("soon"), undefined);
  });
});

describe("guards", () => {
  it("spaces requests evenly at the configured rate", () => {
    const limiter = new RateLimiter(4); // one every 250 ms
    assert.deepEqual([limiter.reserve(1000), limiter.reserve(1000), limiter.reserve(1000), limiter.reserve(1600)], [0, 250, 500, 150]);
    assert.equal(new RateLimiter(0).reserve(5), 0);
  });
  it("learns a rate from 429s: the requests accepted in the last second, then probes back up", () => {
    const limiter = new RateLimiter(0);
    for (let t = 0; t < 1000; t += 100) limiter.accept(1050 + t); // 10 accepted in the last second
    assert.equal(limiter.reserve(2000), 0, "no spacing before any 429");
    limiter.refused(2000);
    assert.equal(limiter.learnedGap, 100);
    assert.deepEqual([limiter.reserve(2000), limiter.reserve(2000), limiter.reserve(2000)], [0, 100, 200]);
    limiter.accept(2300);
    assert.equal(limiter.learnedGap, 97, "each accepted request narrows the gap by 3%");
    for (let i = 0; i < 200; i++) limiter.accept(2400);
    assert.equal(limiter.learnedGap, 0, "and it ends");
    limiter.refused(2400);
    // Accepted in the last second: 1450-1950 (6), 2300 and the 200 at 2400.
    assert.equal(limiter.learnedGap, 1000 / 207, "the new gap follows what was accepted in the last second");
  });
  it("summarizes an operation only when something notable happened", () => {
    assert.equal(summarize({ ...emptyStats(), requests: 3, succeeded: 3 }), undefined);
    assert.equal(
      summarize({ ...emptyStats(), requests: 6, retries: 2, rateLimited: 1, rateLimitWaitMs: 1000, breakerOpens: 1, recoveredWrites: 1 }),
      "6 API calls: 2 retries, 1 rate-limit answer (429), waited 1.0 s for Retry-After, circuit breaker opened once, 1 lost answer recovered by lookup (no duplicate sent)",
    );
  });
  it("treats no response and 5xx as ambiguous, but not a refused call or a 4xx", () => {
    const err = (status: number, code?: string) => new VobizApiError({ operation: "POST /x", status, code, apiMessage: "m" });
    assert.equal(isAmbiguous(err(0)), true);
    assert.equal(isAmbiguous(err(503)), true);
    assert.equal(isAmbiguous(err(500)), true);
    assert.equal(isAmbiguous(err(0, "CIRCUIT_OPEN")), false);
    assert.equal(isAmbiguous(err(409)), false);
    assert.equal(isAmbiguous(new Error("x")), false);
  });
});

describe("error decoding", () => {
  it("reads the standard envelope", () => {
    const d = decodeErrorBody(429, JSON.stringify({ status: "error", error: { code: "RATE_LIMIT_EXCEEDED", message: "CPS limit exceeded" }, requestId: "req_1" }));
    assert.deepEqual(d, { code: "RATE_LIMIT_EXCEEDED", message: "CPS limit exceeded", requestId: "req_1" });
  });
  it("reads the flat numbers shape, the trunk-family shape and the gateway shape", () => {
    assert.deepEqual(decodeErrorBody(404, '{"error":"not_found","message":"number not found in inventory"}'), {
      code: "not_found",
      message: "number not found in inventory",
      requestId: undefined,
    });
    assert.deepEqual(decodeErrorBody(409, '{"error":"Username already exists","code":409}'), {
      code: "409",
      message: "Username already exists",
      requestId: undefined,
    });
    assert.deepEqual(decodeErrorBody(401, '{"error":{"code":401,"message":"Invalid token"}}'), {
      code: "401",
      message: "Invalid token",
      requestId: undefined,
    });
  });
  it("counts a missing object as gone, but not a missing route", () => {
    const err = (apiMessage: string, status = 404) => new VobizApiError({ operation: "GET x", status, apiMessage });
    assert.equal(err("IP ACL not found").isNotFound, true);
    assert.equal(err("route not found").isNotFound, false);
    assert.equal(err("IP ACL not found", 400).isNotFound, false);
  });
  it("survives bodies that are not JSON", () => {
    assert.equal(decodeErrorBody(502, "<html>Bad gateway</html>").message, "<html>Bad gateway</html>");
    assert.equal(decodeErrorBody(502, "").message, "(empty response body)");
  });
  it("describes the call, status, API message and request id", () => {
    assert.equal(
      describeApiError({ operation: "POST /Account/{auth_id}/credentials", status: 409, code: "409", apiMessage: "Username already exists", requestId: "req_9" }),
      "POST /Account/{auth_id}/credentials failed: HTTP 409: Username already exists (request id req_9)",
    );
  });
});

describe("endpoint rule", () => {
  it("allows https anywhere and http only on loopback", () => {
    assert.equal(assertEndpointAllowed("https://api.vobiz.ai").host, "api.vobiz.ai");
    assert.equal(assertEndpointAllowed("http://127.0.0.1:8787").port, "8787");
    assert.equal(assertEndpointAllowed("http://localhost:1").hostname, "localhost");
    assert.throws(() => assertEndpointAllowed("http://api.vobiz.ai"), /must use https:\/\//);
    assert.throws(() => assertEndpointAllowed("not a url"), /not a valid URL/);
    // A base path would double /api/v1 and turn every call into a route-level 404.
    assert.throws(() => assertEndpointAllowed("https://api.vobiz.ai/api/v1"), /must be the API origin only/);
  });
});

describe("address validation", () => {
  it("accepts IPv4 and CIDR, rejects IPv6, bad prefixes and documentation ranges", () => {
    assert.equal(ipv4OrCidrProblem("49.36.12.10"), undefined);
    assert.equal(ipv4OrCidrProblem("10.0.0.0/8"), undefined);
    assert.match(ipv4OrCidrProblem("2001:db8::1")!, /IPv6/);
    assert.match(ipv4OrCidrProblem("10.0.0.1/33")!, /CIDR prefix "\/33" must be a whole number from \/0 to \/32/);
    assert.match(ipv4OrCidrProblem("10.0.0.0/08")!, /CIDR prefix "\/08" must be a whole number from \/0 to \/32, without leading zeros/);
    assert.match(ipv4OrCidrProblem("192.0.2.5")!, /documentation/);
    assert.match(ipv4OrCidrProblem("999.1.1.1")!, /dotted decimal/);
  });
});

describe("generated SIP passwords", () => {
  it("always pass the API's password rules, carry every character class and do not repeat", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const p = generateSipPassword();
      assert.equal(sipPassword.safeParse(p).success, true, `generated password ${i} breaks the rules`);
      assert.equal(p.length, 20);
      for (const cls of [/[a-z]/, /[A-Z]/, /[0-9]/, /[~!@#$%^&*()_+]/]) assert.match(p, cls);
      seen.add(p);
    }
    assert.equal(seen.size, 2000);
  });

  it("rejects a declared password by rule, never echoing it", () => {
    const r = sipPassword.safeParse("short");
    assert.equal(r.success, false);
    const message = r.error!.issues[0].message;
    assert.equal(message, "the SIP password must be 8 to 20 characters long, contain at least one of ~!@#$%^&*()_+");
    assert.ok(!message.includes("short"));
  });
});

describe("check and diff (offline)", () => {
  const check = (type: string, news: object, olds: object = {}) => call(type, "check", [olds, { __vobizName: "r", ...news }]) as Promise<any>;
  const diff = (type: string, olds: object, news: object) => call(type, "diff", ["id", olds, news]) as Promise<any>;

  it("names the field and the rule for bad input, without echoing secrets", async () => {
    const r = await check("SipCredential", { username: "pbx", password: "short" });
    assert.deepEqual(r.failures, [{ property: "password", reason: "the SIP password must be 8 to 20 characters long, contain at least one of ~!@#$%^&*()_+" }]);
    assert.ok(!JSON.stringify(r.failures).includes("short"));
    const n = await check("NumberPurchase", { number: "919876543210" });
    assert.equal(n.failures[0].property, "number");
    assert.match(n.failures[0].reason, /leading \+ and country code/);
  });
  it("lets the preview sentinel through in any field", async () => {
    const r = await check("NumberPurchase", { number: "+919876543210", trunkId: UNKNOWN });
    assert.equal(r.failures, undefined);
    assert.equal(r.inputs.trunkId, UNKNOWN);
    const w = await check("IpWhitelist", { entries: UNKNOWN });
    assert.equal(w.failures, undefined);
    // A required field that is unknown must not drop the known ones, or diff would see them change.
    const n = await check("NumberPurchase", { number: UNKNOWN, trunkId: "trunk-1" });
    assert.equal(n.failures, undefined);
    assert.deepEqual(n.inputs, { __vobizName: "r", number: UNKNOWN, trunkId: "trunk-1" });
  });
  it("plans an update for updatable fields and a replacement for replace fields", async () => {
    const olds = { name: "a", description: "", enabled: true, secure: false, transport: "udp", concurrentCallsLimit: 10, cpsLimit: 2 };
    assert.deepEqual(await diff("Trunk", olds, { ...olds }), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await diff("Trunk", olds, { ...olds, name: "b" }), { changes: true, replaces: [], deleteBeforeReplace: false });
    const cred = { username: "pbx", password: "Passw0rd#1", enabled: true, generation: "abc123" };
    assert.deepEqual((await diff("SipCredential", cred, { ...cred, password: "Passw0rd#2", generation: "def456" })).replaces, ["password", "generation"]);
    assert.deepEqual((await diff("NumberPurchase", { number: "+1", trunkId: "t1" }, { number: "+1", trunkId: UNKNOWN })).replaces, []);
  });
  it("derives the same generation for the same inputs, so a retried create asks for the same username", async () => {
    process.env.VOBIZ_AUTH_ID = "MA_UNITTEST";
    process.env.VOBIZ_AUTH_TOKEN = "unit-test-token";
    try {
      const a = await check("SipCredential", { username: "pbx", password: "Passw0rd#1" });
      const b = await check("SipCredential", { username: "pbx", password: "Passw0rd#1" });
      assert.match(a.inputs.generation, /^[0-9a-f]{6}$/);
      assert.equal(a.inputs.generation, b.inputs.generation);
    } finally {
      delete process.env.VOBIZ_AUTH_ID;
      delete process.env.VOBIZ_AUTH_TOKEN;
    }
  });
  it("keeps a credential's generation while its username and password stay the same", async () => {
    const first = await check("SipCredential", { username: "pbx", password: "Passw0rd#1" });
    const again = await check("SipCredential", { username: "pbx", password: "Passw0rd#1" }, first.inputs);
    assert.equal(again.inputs.generation, first.inputs.generation);
    const rotated = await check("SipCredential", { username: "pbx", password: "Passw0rd#2" }, first.inputs);
    assert.notEqual(rotated.inputs.generation, first.inputs.generation);
  });
});

describe("provider shim", () => {
  it("is small and captures nothing but the type name", () => {
    for (const t of ["SubAccount", "Trunk", "SipCredential", "IpWhitelist", "NumberPurchase"]) {
      const text = shimText(t);
      assert.ok(text.length < 1024, `${t} shim is ${text.length} bytes`);
      assert.match(text, /require\("pulumi-vobiz\/provider"\)/);
    }
  });
  it("is byte-for-byte the text that 0.1.0 wrote into state, so old stacks keep loading", () => {
    const fixture = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "test", "fixtures", "provider-shims-v0.1.0.json"), "utf8"));
    for (const [type, text] of Object.entries(fixture)) assert.equal(shimText(type), text, type);
  });
});

describe("money settings", () => {
  it("parse amounts with ISO 4217 currencies, either order, spaces around", () => {
    assert.deepEqual(parseMoney("maxSpendPerRun", " 5000 INR "), { amount: 5000, currency: "INR" });
    assert.deepEqual(parseMoney("maxSpendPerRun", "USD 12.5"), { amount: 12.5, currency: "USD" });
    assert.equal(parseMoney("maxSpendPerRun", ""), undefined);
    assert.deepEqual(parseFees("releaseFees", "700 INR, 10 USD"), { INR: 700, USD: 10 });
  });
  it("refuse what they cannot mean, naming the setting", () => {
    for (const [raw, message] of [
      ["5000 inr", /vobiz:maxSpendPerRun must be an amount and an ISO 4217 currency, such as "5000 INR"; got "5000 inr"/],
      ["-1 INR", /must be an amount/],
      ["5000.123 INR", /must be an amount/],
      ["5000 XYZ", /vobiz:maxSpendPerRun: XYZ is not an ISO 4217 currency code; got "5000 XYZ"/],
    ] as const) {
      assert.throws(() => parseMoney("maxSpendPerRun", raw), message);
    }
    assert.throws(() => parseFees("releaseFees", "700 INR,"), /vobiz:releaseFees must list amounts with currencies separated by single commas, such as "700 INR, 10 USD"; got "700 INR,"/);
    assert.throws(() => parseFees("releaseFees", "700 INR,,10 USD"), /separated by single commas/);
    assert.throws(() => parseFees("releaseFees", "700 INR, 800 INR"), /vobiz:releaseFees lists INR twice/);
  });
});

describe("webhook URLs", () => {
  it("must be public http(s): loopback, private, link-local and single-label hosts are refused at check", () => {
    for (const url of ["https://hooks.example.com/vobiz", "http://8.8.8.8/x", "http://[2001:4860:4860::8888]/x"]) assert.equal(publicHttpUrlProblem(url), undefined, url);
    for (const [url, why] of [
      ["http://127.0.0.1/hook", /127\.0\.0\.1 is a loopback address, which Vobiz refuses/],
      ["http://10.0.0.1/hook", /10\.0\.0\.1 is a private address/],
      ["http://[::1]/x", /::1 is a loopback address/],
      ["http://169.254.169.254/latest", /linkLocal address/],
      ["http://localhost:3000/x", /localhost is not a public host name/],
      ["http://intranet/x", /intranet is not a public host name/],
      ["ftp://files.example.com/x", /^must be a public http\(s\) URL$/],
    ] as const) {
      assert.match(publicHttpUrlProblem(url) ?? "", why, url);
    }
  });
});
