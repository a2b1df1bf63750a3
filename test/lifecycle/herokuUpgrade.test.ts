/**
 * A heroku stack made by the code before the provider plugin (commit 957c0e6: dynamic resources served through
 * node_modules/actors-heroku-provider), upgraded by this checkout through the real Pulumi CLI. Its exported state
 * (test/lifecycle/fixtures, made once by test/support/herokuUpgradeFixture.ts) is imported into a new stack, the
 * emulated Heroku is restored to what it held then, and this checkout runs `preview` and `up` on it.
 */
import * as fs from "fs";
import * as path from "path";
import {
    FIXTURE_CONFIG,
    FIXTURE_FILE,
    FIXTURE_SECRETS,
    loadUpgradeFixture,
    UpgradeFixture,
} from "../support/herokuUpgradeFixture";
import { HerokuWorld, startHerokuWorld } from "../support/herokuWorld";
import { changes, expectOk, RunResult } from "../support/pulumi";

/** Every Heroku resource of the stack, by name, with its type now. */
const HEROKU: Record<string, string> = {
    "heroku-app": "App",
    "heroku-config": "ConfigVars",
    "heroku-domain": "Domain",
    "heroku-formation": "Formation",
    "heroku-log-drain": "LogDrain",
    "heroku-postgres": "PostgresAddon",
    "heroku-preboot": "Feature",
    "heroku-release": "ContainerRelease",
};
const HEROKU_NAMES = Object.keys(HEROKU);
/** What the upgrade does to them: each is updated in place (its state rewritten), nothing asked of Heroku. */
const UPGRADE = HEROKU_NAMES.map((n) => `update ${HEROKU[n]}::${n}`).sort();

let fixture: UpgradeFixture;
let world: HerokuWorld;

const name = (urn: string) => urn.split("::").pop();
/** Every Heroku write since request `since`, a release of a new image aside (app/ may have changed since 957c0e6). */
const writes = (since: number) =>
    world.emulator.requests
        .slice(since)
        .filter((r) => r.method !== "GET" && !r.path.startsWith("/v2/") && !r.accept.includes("docker-releases"));
/** The steps on the Heroku resources (the image may be rebuilt, and resources added since 957c0e6 created). */
const herokuChanges = (run: RunResult) => changes(run).filter((c) => HEROKU_NAMES.includes(c.split("::")[1]));
/** Steps that would lose something: a delete or a replacement of any resource, providers included. */
const losses = (run: RunResult) =>
    run.steps.filter((s) => /delete|replace|discard/.test(s.op)).map((s) => `${s.op} ${s.type} ${s.name}`);
const herokuProviderSteps = (run: RunResult) =>
    run.steps.filter((s) => s.type === "pulumi:providers:actors-heroku").map((s) => s.op);

beforeAll(async () => {
    fixture = loadUpgradeFixture();
    world = await startHerokuWorld({
        apiKey: FIXTURE_SECRETS["actors:herokuApiKey"],
        heroku: fixture.world,
        config: FIXTURE_CONFIG,
    });
    await world.stack.setConfig(FIXTURE_SECRETS, { secret: true });
    const file = path.join(world.stack.home, "old-stack.json");
    fs.writeFileSync(file, JSON.stringify(fixture.deployment));
    await world.stack.cli(["stack", "import", "--file", file]);
}, 600_000);

afterAll(async () => {
    await world?.stop();
});
afterEach(() => expect(world.emulator.invalid).toEqual([])); // every request matched the Platform API schema

it("starts from the old dynamic resources, app and database protected, with no secret in plain text", () => {
    const resources = fixture.deployment.deployment.resources;
    const heroku = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/actors:"));
    expect(heroku.map((r) => name(r.urn)).sort()).toEqual(HEROKU_NAMES);
    expect(heroku.every((r) => typeof r.outputs.__provider === "string")).toBe(true);
    expect(heroku.filter((r) => r.protect).map((r) => name(r.urn))).toEqual(["heroku-app", "heroku-postgres"]);
    const text = fs.readFileSync(FIXTURE_FILE, "utf8");
    for (const secret of Object.values(FIXTURE_SECRETS)) expect(text).not.toContain(secret);
});

it("preview: every Heroku resource is kept, updated in place; nothing replaced, deleted or created", async () => {
    const before = world.emulator.requests.length;
    const preview = expectOk(await world.stack.preview());
    expect(herokuChanges(preview)).toEqual(UPGRADE);
    expect(losses(preview)).toEqual([]);
    // A new provider for them, which the engine does not count as a reason to replace them (no DiffConfig).
    expect(herokuProviderSteps(preview)).toEqual(["create"]);
    expect(writes(before)).toEqual([]);
});

it("up: the same steps; Heroku's app, database and everything else are left as they were", async () => {
    const before = world.emulator.requests.length;
    const up = expectOk(await world.stack.up());
    expect(herokuChanges(up)).toEqual(UPGRADE);
    expect(losses(up)).toEqual([]);
    expect(herokuProviderSteps(up)).toEqual(["create"]);
    expect(writes(before)).toEqual([]);
    expect([...world.emulator.apps.keys()]).toEqual(fixture.world.apps.map(([id]) => id));
    expect([...world.emulator.addons.keys()]).toEqual(fixture.world.addons.map(([id]) => id));
    expect(up.outputs.appName).toBe("actors-upgrade1");
});

it("leaves state that holds only data: typed resources, the plugin's provider, no code, no secret in plain text", async () => {
    const text = await world.stack.exportText();
    expect(text).not.toContain("actors-heroku-provider");
    expect(text).not.toContain("pulumi-nodejs:dynamic/actors:");
    for (const secret of Object.values(FIXTURE_SECRETS)) expect(text).not.toContain(secret);
    const resources = await world.stack.resources();
    const heroku = resources.filter((r) => r.type.startsWith("actors-heroku:index:"));
    expect(heroku.map((r) => name(r.urn)).sort()).toEqual(HEROKU_NAMES);
    const provider = resources.find((r) => r.type === "pulumi:providers:actors-heroku")!;
    expect(heroku.every((r) => r.provider === `${provider.urn}::${provider.id}`)).toBe(true);
    const props = heroku.map((r) => Object.keys({ ...r.inputs, ...r.outputs })).flat();
    expect(props.filter((k) => k === "kind" || k === "__provider")).toEqual([]);
    expect(heroku.filter((r) => r.protect).map((r) => name(r.urn))).toEqual(["heroku-app", "heroku-postgres"]);
    // The key is in the provider's configuration, encrypted (the old default provider kept the whole config so).
    expect(Object.keys(provider.inputs ?? {})).toEqual(["apiKey"]);
    expect(provider.inputs?.apiKey).toHaveProperty("ciphertext");
});

it("a second up changes nothing", async () => {
    const before = world.emulator.requests.length;
    const up = expectOk(await world.stack.up());
    expect(changes(up)).toEqual([]);
    expect(world.emulator.requests.slice(before).filter((r) => r.method !== "GET")).toEqual([]);
});
