/**
 * The heroku stack's lifecycle through the real Pulumi CLI and engine (tools/pulumi.ts): the project's provider
 * plugin for the Heroku resources, talking to the Platform API emulator; the docker and random stand-in plugins; the
 * image built with podman and pushed by the release into a real registry on loopback. One stack, a sequence of
 * commands on a checkout of the project.
 */
import * as fs from "fs";
import * as path from "path";
import { copyProject, removeProject, touch } from "../../tools/checkout";
import { SENTINEL } from "../support/helpers";
import { HerokuWorld, startHerokuWorld } from "../support/herokuWorld";
import { changes, errors, expectOk, opsOn, plainSecretsIn, PulumiStack, RunResult } from "../support/pulumi";

const RELEASE = "update ContainerRelease::heroku-release";
/** What a new image rolls out on Heroku: the image, and one release. */
const ROLLOUT = ["update Image::app", RELEASE].sort();

let world: HerokuWorld;
let stack: PulumiStack;
const releases = () => [...world.emulator.releases.values()].flat().filter((r) => r.description !== "Initial release");
const noSecretsIn = async (run: RunResult, s = stack) =>
    expect(await plainSecretsIn(s, run, [world.emulator.apiKey, SENTINEL])).toEqual([]);

beforeAll(async () => {
    world = await startHerokuWorld();
    stack = world.stack;
});
afterAll(async () => {
    await world?.stop();
});
afterEach(() => expect(world.emulator.invalid).toEqual([])); // every request matched the Platform API schema

describe("the first deploy", () => {
    it("previews creates of every resource and writes nothing", async () => {
        const run = expectOk(await stack.preview());
        expect(changes(run)).toEqual(
            [
                "create App::heroku-app",
                "create ConfigVars::heroku-config",
                "create ContainerRelease::heroku-release",
                "create Formation::heroku-formation",
                "create Image::app",
                "create PostgresAddon::heroku-postgres",
                "create RandomString::heroku-suffix",
                "create Resource::database-guard",
                "create Resource::destroy-guard",
            ].sort(),
        );
        expect(world.writes()).toEqual([]);
        expect(await stack.resources()).toEqual([]);
    });

    it("creates the app, its database, config vars, one release and the formation; no secret in plain text", async () => {
        const run = expectOk(await stack.up());
        expect(opsOn(run, "create")).toHaveLength(9);
        const state = await stack.resources();
        // protectDatabase (on by default): the app (deleting it deletes the database) and the add-on.
        expect(
            state
                .filter((r) => r.protect)
                .map((r) => r.urn.split("::").pop())
                .sort(),
        ).toEqual(["heroku-app", "heroku-postgres"]);
        expect(world.emulator.apps.size).toBe(1);
        const [app] = [...world.emulator.apps.values()];
        expect(app.name).toMatch(/^actors-[a-z0-9]+$/);
        expect(run.outputs.appName).toBe(app.name);
        expect([...world.emulator.addons.values()].map((a) => a.state)).toEqual(["provisioned"]);
        expect(releases().map((r) => r.status)).toEqual(["succeeded"]);
        // The release pushed the image to the registry, under each process type, as a Docker v2 schema 2 manifest.
        for (const type of ["web", "release"]) {
            const manifest = await world.registry.manifest(`${app.name}/${type}`, "latest");
            expect(manifest.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
        }
        const formation = world.emulator.formation.get(app.id)!;
        expect(formation.get("web")!.docker_image).toMatch(/^sha256:[0-9a-f]{64}$/);
        await noSecretsIn(run);
    });

    it("an unchanged re-run does nothing at all", async () => {
        const before = world.emulator.requests.length;
        const run = expectOk(await stack.up());
        expect(changes(run)).toEqual([]);
        expect(world.writes(before)).toEqual([]);
    });

    it("a refresh after the first deploy plans nothing", async () => {
        const before = world.emulator.requests.length;
        const run = expectOk(await stack.refresh("--expect-no-changes"));
        expect(changes(run)).toEqual([]);
        expect(world.writes(before)).toEqual([]);
    });
});

describe("the policy pack", () => {
    it("runs on the deployed stack through the real CLI and finds nothing mandatory", async () => {
        const run = await stack.previewWithPolicies();
        expect(errors(run)).not.toMatch(/mandatory/);
        expectOk(run);
        // The analyzer ran: the CLI names the pack in its output.
        expect(run.stdout).toMatch(/Policies:[\s\S]*actors/);
    });
});

describe("what rolls out", () => {
    it("an app code change releases once: the image and the release, nothing else", async () => {
        touch(stack.dir, "app/actors/__init__.py", "# lifecycle: an app change");
        expect(changes(expectOk(await stack.preview()))).toEqual(ROLLOUT);
        const run = expectOk(await stack.up());
        expect(changes(run)).toEqual(ROLLOUT);
        expect(releases()).toHaveLength(2);
    });

    it("a Dockerfile change releases once (it is part of what the image is made of)", async () => {
        touch(stack.dir, "app/Dockerfile", "# lifecycle: a Dockerfile change");
        expect(changes(expectOk(await stack.up()))).toEqual(ROLLOUT);
        expect(releases()).toHaveLength(3);
    });

    it("a change to the program's or the provider's code alone changes nothing", async () => {
        touch(stack.dir, "components/heroku/app.ts", "// lifecycle: a comment");
        touch(stack.dir, "provider/main.ts", "// lifecycle: a comment");
        const before = world.emulator.requests.length;
        expect(changes(expectOk(await stack.up()))).toEqual([]);
        expect(world.writes(before)).toEqual([]);
    });

    it("the same commit from another checkout changes nothing", async () => {
        const other = copyProject(stack.dir);
        try {
            const before = world.emulator.requests.length;
            expect(changes(expectOk(await stack.at(other).up()))).toEqual([]);
            expect(world.writes(before)).toEqual([]);
        } finally {
            removeProject(other);
        }
    });
});

describe("failures", () => {
    it("a failed release fails the update with the release output; the next up releases again", async () => {
        world.emulator.nextReleaseStatus = "failed";
        world.emulator.releaseOutput = "Running release command...\nmigration 0003 failed: relation exists\n";
        touch(stack.dir, "app/actors/__init__.py", "# lifecycle: a change whose release fails");
        const failed = await stack.up();
        expect(failed.ok).toBe(false);
        expect(errors(failed)).toMatch(/release v\d+ of actors-[a-z0-9]+ failed/);
        expect(errors(failed)).toContain("migration 0003 failed");
        world.emulator.nextReleaseStatus = "succeeded";
        const retried = expectOk(await stack.up());
        expect(changes(retried)).toEqual([RELEASE]);
        expect(releases().at(-1)!.status).toBe("succeeded");
    });

    it("a Heroku API error reaches the user with Heroku's message, and no secret", async () => {
        world.emulator.inject({ method: "PATCH", path: /\/config-vars$/, status: 403 });
        await stack.setConfig({ "actors:logLevel": "warning" });
        try {
            const run = await stack.up();
            expect(run.ok).toBe(false);
            expect(errors(run)).toContain("Injected fault.");
            expect(errors(run)).toContain("PATCH");
            await noSecretsIn(run);
        } finally {
            await stack.removeConfig("actors:logLevel");
        }
        expectOk(await stack.up());
    });
});

describe("the protected database", () => {
    it("refuses another plan tier (a new add-on) in preview and up, naming the setting; nothing is written to Heroku", async () => {
        const before = world.emulator.requests.length;
        await stack.setConfig({ "actors:herokuPostgresPlan": "standard-0" });
        try {
            for (const r of [await stack.preview(), await stack.up()]) {
                expect(r.ok).toBe(false);
                expect(errors(r)).toContain(
                    'refused: actors:herokuPostgresPlan (tier) "essential" -> "standard" would put another database',
                );
                expect(changes(r)).toEqual([]);
            }
            expect(world.writes(before)).toEqual([]);
        } finally {
            await stack.setConfig({ "actors:herokuPostgresPlan": "essential-0" }); // as Pulumi.heroku.yaml has it
        }
        expect(changes(expectOk(await stack.preview("--expect-no-changes")))).toEqual([]);
    });
});

describe("import", () => {
    /**
     * `pulumi import` loads the Node.js language plugin, which cannot be had here; the engine's import step is the
     * same through the `import` resource option, so a small program of the project's own parts adopts the app.
     */
    const IMPORT_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { HerokuApp } from "./components/heroku/app";
import { HerokuProvider } from "./components/heroku/herokuProvider";
const provider = new HerokuProvider("heroku", { apiKey: new pulumi.Config("actors").requireSecret("herokuApiKey") });
const app = new HerokuApp(
    "existing-app",
    { name: process.env.IMPORT_NAME!, region: "us", team: "" },
    { provider, import: process.env.IMPORT_ID, protect: true },
);
export const appName = app.name;
`;

    it("imports an existing Heroku app into a new stack, protected, reading it without a write", async () => {
        const [app] = [...world.emulator.apps.values()];
        const importer = await stack.sibling({ IMPORT_NAME: app.name, IMPORT_ID: app.id });
        try {
            fs.writeFileSync(path.join(importer.dir, "index.ts"), IMPORT_PROGRAM);
            const before = world.emulator.requests.length;
            const run = expectOk(await importer.up());
            expect(changes(run)).toEqual(["import App::existing-app"]);
            const imported = (await importer.resources()).find((r) => r.urn.endsWith("::existing-app"))!;
            expect(imported).toMatchObject({ id: app.id, protect: true });
            expect(imported.outputs).toMatchObject({ name: app.name });
            expect(world.writes(before)).toEqual([]);
            // What was read matches what the program declares: the next up plans nothing.
            expect(changes(expectOk(await importer.preview("--expect-no-changes")))).toEqual([]);
        } finally {
            importer.dispose({ checkout: true });
        }
    });
});

describe("destroy", () => {
    it("is refused while protectDatabase is on: no write to Heroku, every resource still in state", async () => {
        const resources = (await stack.resources()).map((r) => r.urn).sort();
        const before = world.emulator.requests.length;
        const run = await stack.destroy();
        expect(run.ok).toBe(false);
        expect(errors(run)).toContain(
            "destroy refused: the database is protected (actors:protectDatabase is true) and nothing was changed",
        );
        expect(world.writes(before)).toEqual([]);
        expect((await stack.resources()).map((r) => r.urn).sort()).toEqual(resources);
        // ... and an up after it plans nothing.
        expect(changes(expectOk(await stack.preview("--expect-no-changes")))).toEqual([]);
    });

    it("removes everything once protectDatabase is off", async () => {
        await stack.setConfig({ "actors:protectDatabase": "false" });
        const unprotect = expectOk(await stack.up());
        expect(changes(unprotect)).toEqual(["update Resource::database-guard", "update Resource::destroy-guard"]);
        const run = expectOk(await stack.destroy());
        expect(opsOn(run, "delete")).toEqual(expect.arrayContaining(["delete App::heroku-app"]));
        expect(world.emulator.apps.size).toBe(0);
        expect(await stack.resources()).toEqual([]);
    });
});
