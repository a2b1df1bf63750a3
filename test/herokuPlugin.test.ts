/**
 * The Heroku provider through Pulumi's real dynamic-provider plugin, with the engine's semantics (Check: old inputs;
 * Diff/Update/Delete: old outputs; `__provider` in every bag), against the Platform API emulator. Here the provider
 * is serialized by value: in a copy of the project without the provider package (what `npm ci --ignore-scripts`
 * leaves, or an edit of components/heroku not yet rebuilt); test/herokuProviderPackage.test.ts does the same with the
 * package captured by reference.
 */
import * as fs from "fs";
import { DynamicPlugin, projectCopy, serializeHerokuProvider } from "./dynamicPlugin";
import { HerokuEmulator } from "./herokuEmulator";
import { ROOT } from "./helpers";

let emulator: HerokuEmulator;
let plugin: DynamicPlugin;
let provider: string;
let project: string;

beforeAll(async () => {
    project = projectCopy(ROOT);
    provider = await serializeHerokuProvider(project);
});
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));
beforeEach(async () => {
    emulator = await new HerokuEmulator().start();
    plugin = await new DynamicPlugin(project, { HEROKU_API_URL: emulator.url, HEROKU_API_KEY: "" }).start();
    await plugin.configure({ "actors:herokuApiKey": emulator.apiKey });
});
afterEach(async () => {
    await plugin.stop();
    expect(emulator.invalid).toEqual([]);
    await emulator.stop();
});

const withProvider = (props: Record<string, unknown>, text = provider) => ({ ...props, __provider: text });
const appInputs = { kind: "app", name: "actors-plug1", region: "eu", team: "" };

it("serializes the provider by value here, and without the API key", () => {
    expect(provider).toContain("exports.handler");
    expect(provider).not.toContain("actors-heroku-provider");
    expect(provider).not.toContain(emulator.apiKey);
});

it("creates, checks, diffs, updates and deletes through the plugin (no Map in the dispatcher)", async () => {
    const news = withProvider(appInputs);
    const checked = await plugin.check({}, news);
    expect(checked.failures).toEqual([]);
    const app = await plugin.create(checked.inputs);
    expect(app.outs).toMatchObject({ kind: "app", name: "actors-plug1", appId: app.id, adopted: false });
    expect(app.outs.__provider).toBe(provider);

    const vars = await plugin.create(withProvider({ kind: "configVars", appId: app.id, vars: { A: "1" } }));
    const changed = withProvider({ kind: "configVars", appId: app.id, vars: { A: "2" } });
    expect((await plugin.diff(vars.id, vars.outs, changed)).changes).toBe("some");
    expect(await plugin.update(vars.id, vars.outs, changed)).toMatchObject({ vars: { A: "2" } });
    expect(emulator.configVars.get(app.id)).toEqual({ A: "2" });

    await plugin.delete(app.id, app.outs);
    expect(emulator.apps.size).toBe(0);
    expect(plugin.stderr).not.toContain("incompatible receiver");
});

it("refuses a new region or team with a message naming the setting, and replaces nothing", async () => {
    const app = await plugin.create(withProvider(appInputs));
    // The engine hands Check the OLD INPUTS: no appId in them.
    const region = await plugin.check(withProvider(appInputs), withProvider({ ...appInputs, region: "us" }));
    expect(region.failures).toEqual([
        {
            property: "region",
            reason: expect.stringMatching(/^actors:herokuRegion: Heroku cannot move app actors-plug1/),
        },
    ]);
    const team = await plugin.check(withProvider(appInputs), withProvider({ ...appInputs, team: "acme" }));
    expect(team.failures).toEqual([
        { property: "team", reason: expect.stringMatching(/^actors:herokuTeam: .*heroku apps:transfer/) },
    ]);
    // Even past Check, a Diff never asks to replace (let alone delete first) the app.
    const diff = await plugin.diff(app.id, app.outs, withProvider({ ...appInputs, region: "us" }));
    expect(diff).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });
    expect(emulator.apps.size).toBe(1);
});

it("formation and app-feature diffs ignore a changed __provider (an edit of components/heroku)", async () => {
    const app = await plugin.create(withProvider(appInputs));
    for (const inputs of [
        { kind: "formation", appId: app.id, processes: { web: { quantity: 1, size: "basic" } } },
        { kind: "feature", appId: app.id, feature: "preboot", enabled: true },
    ]) {
        const created = await plugin.create(withProvider(inputs));
        const edited = withProvider(inputs, provider.replace("exports.handler", "exports.handler /* edited */"));
        expect([inputs.kind, (await plugin.diff(created.id, created.outs, edited)).changes]).toEqual([
            inputs.kind,
            "none",
        ]);
    }
});

it("an API failure reaches the user as Heroku's id and message, never the key", async () => {
    const error = { id: "invalid_params", message: `Name is already taken (key ${"x"}).` };
    emulator.inject({ method: "POST", path: /^\/apps$/, status: 422, error });
    const failure: any = await plugin.create(withProvider(appInputs)).catch((e) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(failure.details).toBe("Heroku API POST /apps failed: 422 invalid_params: Name is already taken (key x).");

    // Through Check, Diff, Read and Delete the plugin passes the error itself to gRPC: it must be an Error too.
    const app = await plugin.create(withProvider(appInputs));
    emulator.inject({
        method: "DELETE",
        path: /^\/apps\//,
        status: 403,
        error: { id: "forbidden", message: `You do not have access to ${emulator.apiKey}.` },
    });
    const denied: any = await plugin.delete(app.id, app.outs).catch((e) => e);
    expect(denied.details).toMatch(
        /^Heroku API DELETE \/apps\/\S+ failed: 403 forbidden: You do not have access to \[redacted\]\.$/,
    );
    for (const text of [failure.details, denied.details, plugin.stderr, ...plugin.logs]) {
        expect(text).not.toContain(emulator.apiKey);
        expect(text).not.toContain("[object Object]");
        expect(text).not.toContain("Unknown Error");
    }
});
