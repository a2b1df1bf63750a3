/**
 * The heroku stack's lifecycle, run as Pulumi runs it (test/engine): the program through @pulumi/pulumi's cmd/run,
 * every Heroku resource through the real dynamic-provider plugin, talking to the Platform API emulator; the image
 * pushed with a stand-in docker CLI. One state, a sequence of `up`s on a checkout of the project.
 */
import * as fs from "fs";
import * as path from "path";
import { messages, ProgramSpec, RunResult, StackState } from "../support/engine/engine";
import { copyProject, removeProject, touch } from "../support/engine/fixture";
import { HerokuWorld, startHerokuWorld } from "../support/engine/herokuWorld";
import { changes, errors, expectOk, opsOn, plainSecretsIn } from "../support/engine/lifecycle";
import { SENTINEL } from "../support/helpers";

const RELEASE = "update ContainerRelease::heroku-release";
/** What a new image rolls out on Heroku: the image, and one release. */
const ROLLOUT = ["update Image::app", RELEASE].sort();

let world: HerokuWorld;
const state = new StackState();
const spec = (config?: Record<string, string>, secretKeys?: string[], at?: string) =>
    world.spec(config, secretKeys, at);
const up = (s: StackState, p?: ProgramSpec) => world.up(s, p);
const preview = (s: StackState, p?: ProgramSpec) => world.preview(s, p);
const mutations = (since: number) =>
    world.emulator.requests.slice(since).filter((r) => r.method !== "GET" && !r.path.startsWith("/v2/"));
const releases = () => [...world.emulator.releases.values()].flat().filter((r) => r.description !== "Initial release");
const noSecretsIn = (run: RunResult, s = state) =>
    expect(plainSecretsIn(run, s, [world.emulator.apiKey, SENTINEL])).toEqual([]);

beforeAll(async () => {
    world = await startHerokuWorld();
});
afterAll(async () => {
    await world?.stop();
});
afterEach(() => expect(world.emulator.invalid).toEqual([])); // every request matched the Platform API schema

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
        // protectDatabase (on by default): the app (its deletion takes the database) and the add-on.
        expect(state.resources.filter((r) => r.protect).map((r) => r.name)).toEqual(["heroku-app", "heroku-postgres"]);
        expect(world.emulator.apps.size).toBe(1);
        const [app] = [...world.emulator.apps.values()];
        expect(app.name).toMatch(/^actors-[a-z0-9]+$/);
        expect(run.outputs.appName).toBe(app.name);
        expect([...world.emulator.addons.values()].map((a) => a.state)).toEqual(["provisioned"]);
        expect(releases().map((r) => r.status)).toEqual(["succeeded"]);
        expect(world.pushes.map((p) => p.target.split("/").slice(1).join("/"))).toEqual([
            `${app.name}/web`,
            `${app.name}/release`,
        ]);
        noSecretsIn(run);
    });

    it("an unchanged re-run does nothing at all", async () => {
        const before = world.emulator.requests.length;
        const run = expectOk(await up(state));
        expect(changes(run)).toEqual([]);
        expect(run.steps.every((s) => s.op === "same")).toBe(true);
        expect(mutations(before)).toEqual([]);
    });
});

describe("what rolls out", () => {
    it("an app code change releases once: the image and the release, nothing else", async () => {
        const pushes = world.pushes.length;
        touch(world.dir, "app/actors/__init__.py", "# harness: an app change");
        expect(changes(expectOk(await preview(state)))).toEqual(ROLLOUT);
        const run = expectOk(await up(state));
        expect(changes(run)).toEqual(ROLLOUT);
        expect(world.pushes.length - pushes).toBe(2);
        expect(releases()).toHaveLength(2);
    });

    it("a Dockerfile change releases once (it is part of what the image is made of)", async () => {
        touch(world.dir, "app/Dockerfile", "# harness: a Dockerfile change");
        const run = expectOk(await up(state));
        expect(changes(run)).toEqual(ROLLOUT);
        expect(releases()).toHaveLength(3);
    });

    it("a change to the provider code alone updates no resource", async () => {
        // A comment in a method body changes the serialized provider (`__provider`) and nothing else.
        const file = path.join(world.dir, "components", "heroku", "provider.ts");
        const text = fs.readFileSync(file, "utf8");
        const edited = text.replace(/(\n\s*protected api\(\)[^{]*\{)/, "$1\n        // harness: provider code changed");
        expect(edited).not.toBe(text);
        fs.writeFileSync(file, edited);
        const before = world.emulator.requests.length;
        const run = expectOk(await up(state));
        expect(changes(run)).toEqual([]);
        expect(mutations(before)).toEqual([]);
    });

    it("the same commit from another checkout changes nothing", async () => {
        const other = copyProject();
        try {
            for (const f of ["app/actors/__init__.py", "app/Dockerfile", "components/heroku/provider.ts"])
                fs.copyFileSync(path.join(world.dir, f), path.join(other, f));
            // On a copy of the state: what happens here must not leak into the tests after it.
            const run = expectOk(await up(state.clone(), spec({}, [], other)));
            expect(changes(run)).toEqual([]);
        } finally {
            removeProject(other);
        }
    });
});

describe("failures", () => {
    it("a failed release fails the update with the release output; the next up releases again", async () => {
        world.emulator.nextReleaseStatus = "failed";
        world.emulator.releaseOutput = "Running release command...\nmigration 0003 failed: relation exists\n";
        touch(world.dir, "app/actors/__init__.py", "# harness: a change whose release fails");
        const failed = await up(state);
        expect(failed.ok).toBe(false);
        expect(errors(failed)).toMatch(/release v\d+ of actors-[a-z0-9]+ failed/);
        expect(errors(failed)).toContain("migration 0003 failed");
        world.emulator.nextReleaseStatus = "succeeded";
        const retried = expectOk(await up(state));
        expect(changes(retried)).toEqual([RELEASE]);
        expect(releases().at(-1)!.status).toBe("succeeded");
    });

    it("a Heroku API error reaches the user with Heroku's message", async () => {
        world.emulator.inject({ method: "PATCH", path: /\/config-vars$/, status: 403 });
        const run = await up(state, spec({ "actors:logLevel": "warning" }));
        expect(run.ok).toBe(false);
        expect(errors(run)).toContain("Injected fault.");
        expect(errors(run)).toContain("PATCH");
        noSecretsIn(run);
    });
});

describe("destroy", () => {
    it("is refused while protectDatabase is on, and the app and database stay", async () => {
        const run = await world.engine.destroy(state, spec(), { binary: world.binary });
        expect(run.ok).toBe(false);
        const postgres = state.resources.find((r) => r.name === "heroku-postgres")!;
        expect(postgres.protect).toBe(true);
        // Deletes go in reverse dependency order: the add-on is the first protected resource reached.
        expect(errors(run)).toContain(messages.deleteProtected(postgres.urn));
        expect(world.emulator.apps.size).toBe(1);
        expect(world.emulator.addons.size).toBe(1);
    });

    it("removes everything once protectDatabase is off", async () => {
        const open = spec({ "actors:protectDatabase": "false" });
        expectOk(await up(state, open));
        const run = expectOk(await world.engine.destroy(state, open, { binary: world.binary }));
        expect(opsOn(run, "delete")).toEqual(expect.arrayContaining([`delete HerokuApp::heroku-app`]));
        expect(world.emulator.apps.size).toBe(0);
        expect(state.resources).toEqual([]);
    });
});
