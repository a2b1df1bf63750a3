/**
 * The heroku stack's lifecycle, run as Pulumi runs it (test/engine): the program through @pulumi/pulumi's cmd/run,
 * every Heroku resource through the real dynamic-provider plugin, talking to the Platform API emulator; the image
 * pushed with a stand-in docker CLI. One state, a sequence of `up`s on a checkout of the project.
 */
import * as fs from "fs";
import * as path from "path";
import { testValues } from "../scripts/planMocks";
import { binaryProviders } from "./engine/binaryProviders";
import { Engine, messages, ProgramSpec, RunResult, StackState } from "./engine/engine";
import { copyProject, Push, removeProject, stackSpec, startDockerStandIn, touch } from "./engine/fixture";
import { changes, errors, expectOk, opsOn, plainSecretsIn, settingsOf } from "./engine/lifecycle";
import { SENTINEL } from "./helpers";
import { HerokuEmulator } from "./herokuEmulator";

const RELEASE = "update ContainerRelease::heroku-release";
/** What a new image rolls out on Heroku: the image, and one release. */
const ROLLOUT = ["update Image::app", RELEASE].sort();

let engine: Engine;
let emulator: HerokuEmulator;
let docker: { env: NodeJS.ProcessEnv; pushes: Push[]; stop: () => Promise<void> };
let dir: string;
const state = new StackState();
const binary = binaryProviders(testValues(SENTINEL));

function spec(config: Record<string, string> = {}, secretKeys: string[] = [], at = dir): ProgramSpec {
    return stackSpec(at, "heroku", {
        config: { "actors:herokuApiKey": emulator.apiKey, ...config },
        secretKeys: ["actors:herokuApiKey", ...secretKeys],
        env: { HEROKU_API_URL: emulator.url, HEROKU_REGISTRY_URL: emulator.url, HEROKU_API_KEY: "", ...docker.env },
    });
}
const up = (s: StackState, p: ProgramSpec = spec()) => engine.up(s, p, { binary });
const preview = (s: StackState, p: ProgramSpec = spec()) => engine.up(s, p, { binary, preview: true });
const mutations = (since: number) =>
    emulator.requests.slice(since).filter((r) => r.method !== "GET" && !r.path.startsWith("/v2/"));
const releases = () => [...emulator.releases.values()].flat().filter((r) => r.description !== "Initial release");
const noSecretsIn = (run: RunResult, s = state) =>
    expect(plainSecretsIn(run, s, [emulator.apiKey, SENTINEL])).toEqual([]);

beforeAll(async () => {
    engine = await Engine.start();
    emulator = await new HerokuEmulator().start();
    emulator.provisioningPolls = 1;
    docker = await startDockerStandIn({
        expectedAuth: () => Buffer.from(`_:${emulator.apiKey}`).toString("base64"),
        onPush: (push, digest) => {
            const [, app, type] = push.target.split("/");
            emulator.pushed(app, type, digest);
        },
    });
    dir = copyProject();
});
afterAll(async () => {
    await engine?.stop();
    await emulator?.stop();
    await docker?.stop();
    removeProject(dir);
});
afterEach(() => expect(emulator.invalid).toEqual([])); // every request matched the Platform API schema

describe("the first deploy", () => {
    it("previews creates of every resource, calling Check but creating nothing", async () => {
        const run = expectOk(await preview(state));
        expect(changes(run)).toEqual(
            [
                "create Image::app",
                "create RandomString::heroku-suffix",
                "create HerokuApp::heroku-app",
                "create PostgresAddon::heroku-postgres",
                "create ConfigVars::heroku-config",
                "create ContainerRelease::heroku-release",
                "create HerokuFormation::heroku-formation",
            ].sort(),
        );
        expect(mutations(0)).toEqual([]);
        expect(state.resources).toEqual([]);
    });

    it("creates the app, the database, config vars, one release and the formation; no secret in plain text", async () => {
        const run = expectOk(await up(state));
        expect(opsOn(run, "create")).toHaveLength(7);
        expect(emulator.apps.size).toBe(1);
        const [app] = [...emulator.apps.values()];
        expect(app.name).toMatch(/^actors-[a-z0-9]+$/);
        expect(run.outputs.appName).toBe(app.name);
        expect([...emulator.addons.values()].map((a) => a.state)).toEqual(["provisioned"]);
        expect(releases().map((r) => r.status)).toEqual(["succeeded"]);
        expect(docker.pushes.map((p) => p.target.split("/").slice(1).join("/"))).toEqual([
            `${app.name}/web`,
            `${app.name}/release`,
        ]);
        noSecretsIn(run);
    });

    it("an unchanged re-run does nothing at all", async () => {
        const before = emulator.requests.length;
        const run = expectOk(await up(state));
        expect(changes(run)).toEqual([]);
        expect(run.steps.every((s) => s.op === "same")).toBe(true);
        expect(mutations(before)).toEqual([]);
    });
});

describe("what rolls out", () => {
    it("an app code change releases once: the image and the release, nothing else", async () => {
        const pushes = docker.pushes.length;
        touch(dir, "app/actors/__init__.py", "# harness: an app change");
        expect(changes(expectOk(await preview(state)))).toEqual(ROLLOUT);
        const run = expectOk(await up(state));
        expect(changes(run)).toEqual(ROLLOUT);
        expect(docker.pushes.length - pushes).toBe(2);
        expect(releases()).toHaveLength(2);
    });

    it("a Dockerfile change releases once (it is part of what the image is made of)", async () => {
        touch(dir, "app/Dockerfile", "# harness: a Dockerfile change");
        const run = expectOk(await up(state));
        expect(changes(run)).toEqual(ROLLOUT);
        expect(releases()).toHaveLength(3);
    });

    it("a change to the provider code alone updates no resource", async () => {
        // A comment in a method body changes the serialized provider (`__provider`) and nothing else.
        const file = path.join(dir, "components", "heroku", "provider.ts");
        const text = fs.readFileSync(file, "utf8");
        const edited = text.replace(/(\n\s*protected api\(\)[^{]*\{)/, "$1\n        // harness: provider code changed");
        expect(edited).not.toBe(text);
        fs.writeFileSync(file, edited);
        const before = emulator.requests.length;
        const run = expectOk(await up(state));
        expect(changes(run)).toEqual([]);
        expect(mutations(before)).toEqual([]);
    });

    it("the same commit from another checkout changes nothing", async () => {
        const other = copyProject();
        try {
            for (const f of ["app/actors/__init__.py", "app/Dockerfile", "components/heroku/provider.ts"])
                fs.copyFileSync(path.join(dir, f), path.join(other, f));
            // On a copy of the state: what happens here must not leak into the tests after it.
            const run = expectOk(await up(state.clone(), spec({}, [], other)));
            expect(changes(run)).toEqual([]);
        } finally {
            removeProject(other);
        }
    });
});

describe("every heroku setting, changed in turn", () => {
    /** A new value for each setting the heroku stack reads (keys from components/config.ts). */
    const CHANGES: Record<string, { config: Record<string, string>; secretKeys?: string[] }> = {
        webConcurrency: { config: { "actors:webConcurrency": "4" } },
        logLevel: { config: { "actors:logLevel": "debug" } },
        appEnv: { config: { "actors:appEnv": '["FEATURE_FLAGS=search"]' } },
        protectDatabase: { config: { "actors:protectDatabase": "false" } },
        herokuAppName: { config: { "actors:herokuAppName": "actors-renamed" } },
        herokuRegion: { config: { "actors:herokuRegion": "eu" } },
        herokuTeam: { config: { "actors:herokuTeam": "acme" } },
        herokuApiKey: { config: {} }, // the emulator accepts one key; a new key is the same account
        herokuPostgresPlan: { config: { "actors:herokuPostgresPlan": "essential-1" } },
        herokuWebQuantity: { config: { "actors:herokuWebQuantity": "2" } },
        herokuWebSize: { config: { "actors:herokuWebSize": "standard-1x" } },
        herokuDomain: { config: { "actors:herokuDomain": "actors.example.com" } },
        herokuLogDrainUrl: {
            config: { "actors:herokuLogDrainUrl": `syslog+tls://${SENTINEL}-token@logs.example.com:6514` },
            secretKeys: ["actors:herokuLogDrainUrl"],
        },
        herokuPreboot: { config: { "actors:herokuPreboot": "true" } },
    };

    it("has a change for every setting the heroku stack reads", () => {
        expect(Object.keys(CHANGES).sort()).toEqual(settingsOf("heroku").sort());
    });

    it.each(settingsOf("heroku"))(
        "%s: applied in place, or replacing only what the preview said, or refused naming the setting",
        async (key) => {
            const change = CHANGES[key];
            const trial = state.clone();
            const p = spec(change.config, change.secretKeys ?? []);
            const appsBefore = JSON.stringify([...emulator.apps.keys(), ...emulator.addons.keys()]);
            const planned = await preview(trial, p);
            const applied = await up(trial, p);
            expect({ previewOk: planned.ok, upOk: applied.ok, errors: errors(applied) }).toMatchObject({
                previewOk: applied.ok,
            });
            if (applied.ok) {
                // Nothing happens that the preview did not show (a preview may show more: what it cannot know is unknown).
                expect(changes(applied).filter((c) => !changes(planned).includes(c))).toEqual([]);
                noSecretsIn(applied, trial);
            } else {
                expect(errors(applied)).toContain(`actors:${key}`);
            }
            // The app and its database are never deleted or replaced while protectDatabase is on.
            if (key !== "protectDatabase") {
                expect(opsOn(applied, "delete", "replace").filter((c) => /HerokuApp|PostgresAddon/.test(c))).toEqual(
                    [],
                );
                expect(JSON.stringify([...emulator.apps.keys(), ...emulator.addons.keys()])).toBe(appsBefore);
            }
        },
    );
});

describe("failures", () => {
    it("a failed release fails the update with the release output; the next up releases again", async () => {
        emulator.nextReleaseStatus = "failed";
        emulator.releaseOutput = "Running release command...\nmigration 0003 failed: relation exists\n";
        touch(dir, "app/actors/__init__.py", "# harness: a change whose release fails");
        const failed = await up(state);
        expect(failed.ok).toBe(false);
        expect(errors(failed)).toMatch(/release v\d+ of actors-[a-z0-9]+ failed/);
        expect(errors(failed)).toContain("migration 0003 failed");
        emulator.nextReleaseStatus = "succeeded";
        const retried = expectOk(await up(state));
        expect(changes(retried)).toEqual([RELEASE]);
        expect(releases().at(-1)!.status).toBe("succeeded");
    });

    it("a Heroku API error reaches the user with Heroku's message", async () => {
        emulator.inject({ method: "PATCH", path: /\/config-vars$/, status: 403 });
        const run = await up(state, spec({ "actors:logLevel": "warning" }));
        expect(run.ok).toBe(false);
        expect(errors(run)).toContain("Injected fault.");
        expect(errors(run)).toContain("PATCH");
        noSecretsIn(run);
    });
});

describe("destroy", () => {
    it("is refused while protectDatabase is on, and the app and database stay", async () => {
        const run = await engine.destroy(state, spec(), { binary });
        expect(run.ok).toBe(false);
        const postgres = state.resources.find((r) => r.name === "heroku-postgres")!;
        expect(postgres.protect).toBe(true);
        // Deletes go in reverse dependency order: the add-on is the first protected resource reached.
        expect(errors(run)).toContain(messages.deleteProtected(postgres.urn));
        expect(emulator.apps.size).toBe(1);
        expect(emulator.addons.size).toBe(1);
    });

    it("removes everything once protectDatabase is off", async () => {
        const open = spec({ "actors:protectDatabase": "false" });
        expectOk(await up(state, open));
        const run = expectOk(await engine.destroy(state, open, { binary }));
        expect(opsOn(run, "delete")).toEqual(expect.arrayContaining([`delete HerokuApp::heroku-app`]));
        expect(emulator.apps.size).toBe(0);
        expect(state.resources).toEqual([]);
    });
});
