/**
 * The Heroku provider captured by reference: in a copy of the project where the provider package is built into
 * node_modules (as `npm ci` builds it), Pulumi serializes `require("actors-heroku-provider/kinds.js")` instead of the
 * provider's code, and the real dynamic-provider plugin, started in the project directory, finds the package there.
 */
import * as fs from "fs";
import * as path from "path";
import { buildProviderPackage, installedProviderPackage } from "../../components/heroku/providerPackage";
import { pluginSuite, serializeHerokuProvider } from "../support/herokuPluginHelpers";

const suite = pluginSuite({ providerPackage: true });
const withProvider = suite.withProvider;
const appInputs = { kind: "app", name: "actors-pkg1", region: "eu", team: "" };
const herokuSource = (file: string) => path.join(suite.project, "components", "heroku", file);

it("serializes a require of the installed package, not the provider's code", () => {
    expect(suite.provider).toContain('require("actors-heroku-provider/kinds.js")');
    expect(suite.provider).not.toContain("HerokuClient");
    expect(suite.provider.length).toBeLessThan(2000);
});

it("runs every call through the suite.plugin from the package in the project's node_modules", async () => {
    const app = await suite.plugin.create(withProvider(appInputs, suite.provider));
    expect(app.outs).toMatchObject({ kind: "app", appId: app.id, __provider: suite.provider });
    const region = await suite.plugin.check(
        withProvider(appInputs, suite.provider),
        withProvider({ ...appInputs, region: "us" }, suite.provider),
    );
    expect(region.failures.map((f) => f.property)).toEqual(["region"]);
    const vars = await suite.plugin.create(
        withProvider({ kind: "configVars", appId: app.id, vars: { A: "1" } }, suite.provider),
    );
    expect(suite.emulator.configVars.get(app.id)).toEqual({ A: "1" });
    await suite.plugin.delete(vars.id, vars.outs);
    await suite.plugin.delete(app.id, app.outs);
    expect(suite.emulator.apps.size).toBe(0);
    suite.emulator.inject({
        method: "POST",
        path: /^\/apps$/,
        status: 422,
        error: { id: "invalid_params", message: "No." },
    });
    const failure: any = await suite.plugin.create(withProvider(appInputs, suite.provider)).catch((e) => e);
    expect(failure.message).toBe("Heroku API POST /apps failed: 422 invalid_params: No.");
});

it("an edit of components/heroku serializes by value until rebuilt; the rebuilt package serializes the same text", async () => {
    const original = fs.readFileSync(herokuSource("formation.ts"));
    try {
        fs.appendFileSync(herokuSource("formation.ts"), "\n// an edit\n");
        expect(installedProviderPackage(path.join(suite.project, "components", "heroku"), suite.project)).toMatch(
            /built from other sources than components\/heroku \(run npm run build:heroku-provider\)/,
        );
        const stale = await serializeHerokuProvider(suite.project);
        expect(stale).not.toContain("actors-heroku-provider"); // by value: the code the program runs, edit included
        buildProviderPackage(suite.project);
        expect(await serializeHerokuProvider(suite.project)).toBe(suite.provider); // nothing for state or a diff to see
    } finally {
        fs.writeFileSync(herokuSource("formation.ts"), original);
        buildProviderPackage(suite.project);
    }
});

it("older state: a resource written by a by-value provider still deletes, and so does one written by an older package", async () => {
    // State from before the package: its outputs hold the provider's code, which the suite.plugin runs for Delete.
    fs.renameSync(
        path.join(suite.project, "node_modules", "actors-heroku-provider"),
        path.join(suite.project, "pkg.off"),
    );
    let byValue: string;
    try {
        byValue = await serializeHerokuProvider(suite.project);
    } finally {
        fs.renameSync(
            path.join(suite.project, "pkg.off"),
            path.join(suite.project, "node_modules", "actors-heroku-provider"),
        );
    }
    expect(byValue).not.toContain("actors-heroku-provider");
    const old = await suite.plugin.create(withProvider(appInputs, byValue));
    // The next `pulumi up` with the package: Check and Diff run the new (by-reference) code on the old outputs; no
    // change means no update, so the state keeps the old __provider, and Delete runs that old code.
    const news = withProvider(appInputs, suite.provider);
    expect((await suite.plugin.check(withProvider(appInputs, byValue), news)).failures).toEqual([]);
    expect(await suite.plugin.diff(old.id, old.outs, news)).toEqual({
        changes: "none",
        replaces: [],
        deleteBeforeReplace: false,
    });
    await suite.plugin.delete(old.id, old.outs);
    expect(suite.emulator.apps.size).toBe(0);

    // State written through the package: Delete requires the package installed now (a later version, here rebuilt
    // from edited sources), which must read the outputs the older version wrote.
    const created = await suite.plugin.create(news);
    const original = fs.readFileSync(herokuSource("app.ts"));
    try {
        fs.appendFileSync(herokuSource("app.ts"), "\n// a later version\n");
        buildProviderPackage(suite.project);
        const later = await suite.startPlugin();
        try {
            await later.delete(created.id, created.outs);
        } finally {
            await later.stop();
        }
        expect(suite.emulator.apps.size).toBe(0);
    } finally {
        fs.writeFileSync(herokuSource("app.ts"), original);
        buildProviderPackage(suite.project);
    }
});
