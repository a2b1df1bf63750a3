/**
 * The Heroku provider captured by reference: in a copy of the project where the provider package is built into
 * node_modules (as `npm ci` builds it), Pulumi serializes `require("actors-heroku-provider/kinds.js")` instead of the
 * provider's code, and the real dynamic-provider plugin, started in the project directory, finds the package there.
 */
import * as fs from "fs";
import * as path from "path";
import { buildProviderPackage, installedProviderPackage } from "../components/heroku/providerPackage";
import { DynamicPlugin, projectCopy, serializeHerokuProvider } from "./dynamicPlugin";
import { HerokuEmulator } from "./herokuEmulator";
import { ROOT } from "./helpers";

let project: string;
let emulator: HerokuEmulator;
let plugin: DynamicPlugin;
let byReference: string;

beforeAll(async () => {
    project = projectCopy(ROOT);
    buildProviderPackage(project);
    byReference = await serializeHerokuProvider(project);
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

const appInputs = { kind: "app", name: "actors-pkg1", region: "eu", team: "" };
const withProvider = (props: Record<string, unknown>, text: string) => ({ ...props, __provider: text });
const herokuSource = (file: string) => path.join(project, "components", "heroku", file);

it("serializes a require of the installed package, not the provider's code", () => {
    expect(byReference).toContain('require("actors-heroku-provider/kinds.js")');
    expect(byReference).not.toContain("HerokuClient");
    expect(byReference.length).toBeLessThan(2000);
});

it("runs every call through the plugin from the package in the project's node_modules", async () => {
    const app = await plugin.create(withProvider(appInputs, byReference));
    expect(app.outs).toMatchObject({ kind: "app", appId: app.id, __provider: byReference });
    const region = await plugin.check(
        withProvider(appInputs, byReference),
        withProvider({ ...appInputs, region: "us" }, byReference),
    );
    expect(region.failures.map((f) => f.property)).toEqual(["region"]);
    const vars = await plugin.create(
        withProvider({ kind: "configVars", appId: app.id, vars: { A: "1" } }, byReference),
    );
    expect(emulator.configVars.get(app.id)).toEqual({ A: "1" });
    await plugin.delete(vars.id, vars.outs);
    await plugin.delete(app.id, app.outs);
    expect(emulator.apps.size).toBe(0);
    emulator.inject({ method: "POST", path: /^\/apps$/, status: 422, error: { id: "invalid_params", message: "No." } });
    const failure: any = await plugin.create(withProvider(appInputs, byReference)).catch((e) => e);
    expect(failure.details).toBe("Heroku API POST /apps failed: 422 invalid_params: No.");
});

it("an edit of components/heroku serializes by value until rebuilt; the rebuilt package serializes the same text", async () => {
    const original = fs.readFileSync(herokuSource("formation.ts"));
    try {
        fs.appendFileSync(herokuSource("formation.ts"), "\n// an edit\n");
        expect(installedProviderPackage(path.join(project, "components", "heroku"), project)).toMatch(
            /built from other sources than components\/heroku \(run npm run build:heroku-provider\)/,
        );
        const stale = await serializeHerokuProvider(project);
        expect(stale).not.toContain("actors-heroku-provider"); // by value: the code the program runs, edit included
        buildProviderPackage(project);
        expect(await serializeHerokuProvider(project)).toBe(byReference); // nothing for state or a diff to see
    } finally {
        fs.writeFileSync(herokuSource("formation.ts"), original);
        buildProviderPackage(project);
    }
});

it("older state: a resource written by a by-value provider still deletes, and so does one written by an older package", async () => {
    // State from before the package: its outputs hold the provider's code, which the plugin runs for Delete.
    fs.renameSync(path.join(project, "node_modules", "actors-heroku-provider"), path.join(project, "pkg.off"));
    let byValue: string;
    try {
        byValue = await serializeHerokuProvider(project);
    } finally {
        fs.renameSync(path.join(project, "pkg.off"), path.join(project, "node_modules", "actors-heroku-provider"));
    }
    expect(byValue).not.toContain("actors-heroku-provider");
    const old = await plugin.create(withProvider(appInputs, byValue));
    // The next `pulumi up` with the package: Check and Diff run the new (by-reference) code on the old outputs; no
    // change means no update, so the state keeps the old __provider, and Delete runs that old code.
    const news = withProvider(appInputs, byReference);
    expect((await plugin.check(withProvider(appInputs, byValue), news)).failures).toEqual([]);
    expect(await plugin.diff(old.id, old.outs, news)).toEqual({
        changes: "none",
        replaces: [],
        deleteBeforeReplace: false,
    });
    await plugin.delete(old.id, old.outs);
    expect(emulator.apps.size).toBe(0);

    // State written through the package: Delete requires the package installed now (a later version, here rebuilt
    // from edited sources), which must read the outputs the older version wrote.
    const created = await plugin.create(news);
    const original = fs.readFileSync(herokuSource("app.ts"));
    try {
        fs.appendFileSync(herokuSource("app.ts"), "\n// a later version\n");
        buildProviderPackage(project);
        const later = await new DynamicPlugin(project, { HEROKU_API_URL: emulator.url, HEROKU_API_KEY: "" }).start();
        try {
            await later.configure({ "actors:herokuApiKey": emulator.apiKey });
            await later.delete(created.id, created.outs);
        } finally {
            await later.stop();
        }
        expect(emulator.apps.size).toBe(0);
    } finally {
        fs.writeFileSync(herokuSource("app.ts"), original);
        buildProviderPackage(project);
    }
});
