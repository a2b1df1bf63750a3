/**
 * A heroku stack made by the code before the provider plugin (commit 957c0e6: dynamic resources served through
 * node_modules/actors-heroku-provider), upgraded by this checkout through the real Pulumi CLI. Its exported state
 * (test/lifecycle/fixtures, made once by test/support/herokuUpgradeFixture.ts) is imported into a new stack, the
 * emulated Heroku is restored to what it held then, and this checkout runs `preview` and `up` on it.
 */
import * as fs from "fs";
import * as path from "path";
import { copyProject, removeProject, startDockerStandIn } from "../support/engine/fixture";
import { HerokuEmulator } from "../support/herokuEmulator";
import {
    FIXTURE_CONFIG,
    FIXTURE_SECRETS,
    loadUpgradeFixture,
    PASSPHRASE,
    UpgradeFixture,
} from "../support/herokuUpgradeFixture";
import { CliStack, cliStack, OpResult, pulumi } from "../support/pulumiCli";

/** The stand-in plugins for what cannot be built here (docs/testing.md): the docker provider. */
const STAND_IN_PLUGINS = path.resolve(__dirname, "..", "support", "plugins", "bin");
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
/** What the upgrade does: the Heroku provider takes the place of the dynamic resources' default provider (an
 *  alias), and every Heroku resource is updated in place: its state rewritten, nothing asked of Heroku. */
const UPGRADE = [
    "update pulumi:providers:actors-heroku heroku-provider",
    ...HEROKU_NAMES.map((n) => `update actors-heroku:index:${HEROKU[n]} ${n}`),
].sort();

let fixture: UpgradeFixture;
let emulator: HerokuEmulator;
let docker: Awaited<ReturnType<typeof startDockerStandIn>>;
let stack: CliStack;

const run = (op: "preview" | "up" | "export") => pulumi(stack, op, undefined, [STAND_IN_PLUGINS]);
const name = (urn: string) => urn.split("::").pop();
/** What a run did to Heroku beyond reading: a release of a new image (if app/ changed since) aside. */
const mutations = (since: number) =>
    emulator.requests
        .slice(since)
        .filter((r) => r.method !== "GET" && !r.path.startsWith("/v2/") && !r.accept.includes("docker-releases"));
/** The steps other than `same`, as "op type name". */
const changes = (result: OpResult) =>
    result.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.type} ${name(s.urn)}`);

beforeAll(async () => {
    if (!fs.existsSync(path.join(STAND_IN_PLUGINS, "pulumi-resource-docker")))
        throw new Error(`the upgrade test needs the stand-in docker plugin in ${STAND_IN_PLUGINS}`);
    fixture = loadUpgradeFixture();
    emulator = await new HerokuEmulator({ apiKey: FIXTURE_SECRETS["actors:herokuApiKey"] }).start();
    emulator.restore(fixture.world);
    docker = await startDockerStandIn({
        expectedAuth: () => Buffer.from(`_:${emulator.apiKey}`).toString("base64"),
        onPush: (push, digest) => {
            const [, app, type] = push.target.split("/");
            emulator.pushed(app, type, digest);
        },
    });
    stack = cliStack(copyProject(), "heroku", {
        passphrase: PASSPHRASE,
        config: FIXTURE_CONFIG,
        secrets: FIXTURE_SECRETS,
        env: { HEROKU_API_URL: emulator.url, HEROKU_REGISTRY_URL: emulator.url, HEROKU_API_KEY: "", ...docker.env },
    });
    const imported = await pulumi(stack, "import", fixture.deployment);
    if (!imported.ok) throw new Error(`stack import failed: ${imported.error}`);
}, 300_000);

afterAll(async () => {
    await docker?.stop();
    await emulator?.stop();
    if (stack) {
        removeProject(stack.dir);
        removeProject(path.dirname(stack.backend));
    }
});
afterEach(() => expect(emulator.invalid).toEqual([])); // every request matched the Platform API schema

it("starts from the old dynamic resources, app and database protected, with no secret in plain text", () => {
    const resources = fixture.deployment.deployment.resources;
    const heroku = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/actors:"));
    expect(heroku.map((r) => name(r.urn)).sort()).toEqual(HEROKU_NAMES);
    expect(heroku.every((r) => typeof r.outputs.__provider === "string")).toBe(true);
    expect(heroku.filter((r) => r.protect).map((r) => name(r.urn))).toEqual(["heroku-app", "heroku-postgres"]);
    const text = fs.readFileSync(require.resolve("./fixtures/heroku-stack-957c0e6.json"), "utf8");
    for (const secret of Object.values(FIXTURE_SECRETS)) expect(text).not.toContain(secret);
});

it("preview: every Heroku resource is kept, as an update of its state only; nothing replaced, deleted or created", async () => {
    const before = emulator.requests.length;
    const preview = await run("preview");
    expect(preview.error).toBeUndefined();
    // The image is the same unless app/ changed since the fixture was made: then it is updated too.
    expect(
        changes(preview)
            .filter((c) => !c.includes(" docker:"))
            .sort(),
    ).toEqual(UPGRADE);
    expect(changes(preview).filter((c) => !c.startsWith("update "))).toEqual([]);
    expect(mutations(before)).toEqual([]);
});

it("up: the same steps; Heroku's app, database and everything else are left as they were", async () => {
    const before = emulator.requests.length;
    const world = emulator.world();
    const up = await run("up");
    expect(up.error).toBeUndefined();
    expect(
        changes(up)
            .filter((c) => !c.includes(" docker:"))
            .sort(),
    ).toEqual(UPGRADE);
    expect(changes(up).filter((c) => !c.startsWith("update "))).toEqual([]);
    expect(mutations(before)).toEqual([]);
    expect([...emulator.apps.keys()]).toEqual(world.apps.map(([id]) => id));
    expect([...emulator.addons.keys()]).toEqual(world.addons.map(([id]) => id));
    expect(up.outputs?.appName).toEqual({ value: "actors-upgrade1", secret: false });
});

it("leaves state that holds only data: typed resources, the plugin's provider, no code, no secret in plain text", async () => {
    const exported = await run("export");
    const text = JSON.stringify(exported.deployment);
    const resources = (exported.deployment as UpgradeFixture["deployment"]).deployment.resources;
    expect(text).not.toContain("pulumi-nodejs");
    expect(text).not.toContain("__provider");
    for (const secret of Object.values(FIXTURE_SECRETS)) expect(text).not.toContain(secret);
    const heroku = resources.filter((r) => r.type.startsWith("actors-heroku:index:"));
    expect(heroku.map((r) => name(r.urn)).sort()).toEqual(HEROKU_NAMES);
    const provider = resources.find((r) => r.type === "pulumi:providers:actors-heroku")!;
    expect(heroku.every((r) => r.provider === `${provider.urn}::${provider.id}`)).toBe(true);
    expect(heroku.every((r) => !("kind" in r.outputs))).toBe(true);
    expect(heroku.filter((r) => r.protect).map((r) => name(r.urn))).toEqual(["heroku-app", "heroku-postgres"]);
    // The key stays in the provider's configuration, encrypted, as the old default provider kept the whole config.
    expect(Object.keys(provider.inputs)).toEqual(["apiKey"]);
    expect(provider.inputs.apiKey).toHaveProperty("ciphertext");
});

it("a second up changes nothing", async () => {
    const before = emulator.requests.length;
    const up = await run("up");
    expect(up.error).toBeUndefined();
    expect(changes(up)).toEqual([]);
    expect(emulator.requests.slice(before).filter((r) => r.method !== "GET")).toEqual([]);
});
