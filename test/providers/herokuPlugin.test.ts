/**
 * The Heroku provider through Pulumi's real dynamic-provider plugin, with the engine's semantics (Check: old inputs;
 * Diff/Update/Delete: old outputs; `__provider` in every bag), against the Platform API emulator. Here the provider
 * is serialized by value: in a copy of the project without the provider package (what `npm ci --ignore-scripts`
 * leaves, or an edit of components/heroku not yet rebuilt); test/herokuProviderPackage.test.ts does the same with the
 * package captured by reference.
 */
import { pluginSuite } from "../support/herokuPluginHelpers";

const suite = pluginSuite({ providerPackage: false });
const withProvider = suite.withProvider;
const appInputs = { kind: "app", name: "actors-plug1", region: "eu", team: "" };

it("serializes the provider by value here, and without the API key", () => {
    expect(suite.provider).toContain("exports.handler");
    expect(suite.provider).not.toContain("actors-heroku-provider");
    expect(suite.provider).not.toContain(suite.emulator.apiKey);
});

it("creates, checks, diffs, updates and deletes through the suite.plugin (no Map in the dispatcher)", async () => {
    const news = withProvider(appInputs);
    const checked = await suite.plugin.check({}, news);
    expect(checked.failures).toEqual([]);
    const app = await suite.plugin.create(checked.inputs);
    expect(app.outs).toMatchObject({ kind: "app", name: "actors-plug1", appId: app.id, adopted: false });
    expect(app.outs.__provider).toBe(suite.provider);

    const vars = await suite.plugin.create(withProvider({ kind: "configVars", appId: app.id, vars: { A: "1" } }));
    const changed = withProvider({ kind: "configVars", appId: app.id, vars: { A: "2" } });
    expect((await suite.plugin.diff(vars.id, vars.outs, changed)).changes).toBe("some");
    expect(await suite.plugin.update(vars.id, vars.outs, changed)).toMatchObject({ vars: { A: "2" } });
    expect(suite.emulator.configVars.get(app.id)).toEqual({ A: "2" });

    await suite.plugin.delete(app.id, app.outs);
    expect(suite.emulator.apps.size).toBe(0);
    expect(suite.plugin.stderr).not.toContain("incompatible receiver");
});

it("refuses a new region or team with a message naming the setting, and replaces nothing", async () => {
    const app = await suite.plugin.create(withProvider(appInputs));
    // The engine hands Check the OLD INPUTS: no appId in them.
    const region = await suite.plugin.check(withProvider(appInputs), withProvider({ ...appInputs, region: "us" }));
    expect(region.failures).toEqual([
        {
            property: "region",
            reason: expect.stringMatching(/^actors:herokuRegion: Heroku cannot move app actors-plug1/),
        },
    ]);
    const team = await suite.plugin.check(withProvider(appInputs), withProvider({ ...appInputs, team: "acme" }));
    expect(team.failures).toEqual([
        { property: "team", reason: expect.stringMatching(/^actors:herokuTeam: .*heroku apps:transfer/) },
    ]);
    // Even past Check, a Diff never asks to replace (let alone delete first) the app.
    const diff = await suite.plugin.diff(app.id, app.outs, withProvider({ ...appInputs, region: "us" }));
    expect(diff).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });
    expect(suite.emulator.apps.size).toBe(1);
});

it("formation and app-feature diffs ignore a changed __provider (an edit of components/heroku)", async () => {
    const app = await suite.plugin.create(withProvider(appInputs));
    for (const inputs of [
        { kind: "formation", appId: app.id, processes: { web: { quantity: 1, size: "basic" } } },
        { kind: "feature", appId: app.id, feature: "preboot", enabled: true },
    ]) {
        const created = await suite.plugin.create(withProvider(inputs));
        const edited = withProvider(inputs, suite.provider.replace("exports.handler", "exports.handler /* edited */"));
        expect([inputs.kind, (await suite.plugin.diff(created.id, created.outs, edited)).changes]).toEqual([
            inputs.kind,
            "none",
        ]);
    }
});

it("an API failure reaches the user as Heroku's id and message, never the key", async () => {
    const error = { id: "invalid_params", message: `Name is already taken (key ${"x"}).` };
    suite.emulator.inject({ method: "POST", path: /^\/apps$/, status: 422, error });
    const failure: any = await suite.plugin.create(withProvider(appInputs)).catch((e) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toBe("Heroku API POST /apps failed: 422 invalid_params: Name is already taken (key x).");

    // Through Check, Diff, Read and Delete the suite.plugin passes the error itself to gRPC: it must be an Error too.
    const app = await suite.plugin.create(withProvider(appInputs));
    suite.emulator.inject({
        method: "DELETE",
        path: /^\/apps\//,
        status: 403,
        error: { id: "forbidden", message: `You do not have access to ${suite.emulator.apiKey}.` },
    });
    const denied: any = await suite.plugin.delete(app.id, app.outs).catch((e) => e);
    expect(denied.message).toMatch(
        /^Heroku API DELETE \/apps\/\S+ failed: 403 forbidden: You do not have access to \[redacted\]\.$/,
    );
    for (const text of [failure.message, denied.message, suite.plugin.stderr]) {
        expect(text).not.toContain(suite.emulator.apiKey);
        expect(text).not.toContain("[object Object]");
        expect(text).not.toContain("Unknown Error");
    }
});
