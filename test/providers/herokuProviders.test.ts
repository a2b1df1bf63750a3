import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HerokuClient, isHerokuApiError } from "../../components/heroku/api";
import { HerokuApp, HerokuAppProvider } from "../../components/heroku/app";
import { HerokuConfigVars, HerokuConfigVarsProvider } from "../../components/heroku/configVars";
import { HerokuDomain, HerokuDomainProvider } from "../../components/heroku/domain";
import { HerokuFeature, HerokuFeatureProvider } from "../../components/heroku/feature";
import { HerokuFormation, HerokuFormationProvider } from "../../components/heroku/formation";
import { HerokuLogDrain, HerokuLogDrainProvider } from "../../components/heroku/logDrain";
import { HerokuPostgres, HerokuPostgresProvider } from "../../components/heroku/postgres";
import { dockerCliPusher, HerokuReleaseProvider, ImagePusher } from "../../components/heroku/release";
import { configure, herokuPlugin, PROVIDERS } from "../../provider/main";
import { HerokuEmulator, validateRequest } from "../../tools/herokuEmulator";

let emulator: HerokuEmulator;
let sleeps: number[];
const client = () =>
    new HerokuClient({
        apiKey: emulator.apiKey,
        apiUrl: emulator.url,
        registryUrl: emulator.url,
        timeoutMs: 500,
        maxAttempts: 4,
        sleep: async (ms) => void sleeps.push(ms),
    });

beforeEach(async () => {
    emulator = await new HerokuEmulator().start();
    sleeps = [];
});
afterEach(async () => {
    expect(emulator.invalid).toEqual([]); // every request this test made matched the Platform API schema
    await emulator.stop();
});

const noKey = (value: unknown) => expect(JSON.stringify(value)).not.toContain(emulator.apiKey);

async function newApp(name = "actors-test1") {
    const { id, outs } = await new HerokuAppProvider(client).create({ name, region: "eu", team: "" });
    return { id, outs };
}

describe("the schema validator itself", () => {
    it("rejects requests the Platform API would refuse", () => {
        expect(validateRequest("POST", "/apps/x/addons", {}, "application/vnd.heroku+json; version=3")).not.toEqual([]);
        expect(
            validateRequest(
                "PATCH",
                "/apps/x/formation",
                { updates: [{ type: "web", quantity: "two" }] },
                "application/vnd.heroku+json; version=3",
            ),
        ).not.toEqual([]);
        expect(
            validateRequest(
                "PATCH",
                "/apps/x/formation",
                { updates: [{ type: "web", docker_image: "latest" }] },
                "application/vnd.heroku+json; version=3.docker-releases",
            ),
        ).not.toEqual([]);
        expect(validateRequest("POST", "/nowhere", {}, "")).toEqual([
            "POST /nowhere is not an endpoint of the Platform API",
        ]);
        expect(
            validateRequest(
                "POST",
                "/apps",
                { name: "ok-name", region: "eu", stack: "container" },
                "application/vnd.heroku+json; version=3",
            ),
        ).toEqual([]);
    });
});

describe("client", () => {
    it("retries 429 after Retry-After and 500 on reads, then succeeds", async () => {
        await newApp();
        emulator.inject({
            method: "GET",
            path: /^\/apps\/actors-test1$/,
            status: 429,
            headers: { "Retry-After": "3" },
        });
        emulator.inject({ method: "GET", path: /^\/apps\/actors-test1$/, status: 500 });
        const app = await client().request<any>("GET", "/apps/actors-test1");
        expect(app.name).toBe("actors-test1");
        expect(sleeps[0]).toBe(3000);
        expect(sleeps).toHaveLength(2);
    });

    it("retries a read that times out", async () => {
        await newApp();
        emulator.inject({ method: "GET", path: /^\/apps\/actors-test1$/, delayMs: 900 });
        expect((await client().request<any>("GET", "/apps/actors-test1")).name).toBe("actors-test1");
        expect(sleeps).toHaveLength(1);
    });

    it("gives up after the bounded attempts with Heroku's id and message, never the key", async () => {
        for (let i = 0; i < 4; i++) emulator.inject({ method: "GET", path: /^\/apps\/x$/, status: 503 });
        const err: any = await client()
            .request("GET", "/apps/x")
            .catch((e: any) => e);
        expect(err).toBeInstanceOf(Error);
        expect(isHerokuApiError(err, 503)).toBe(true);
        expect(err.message).toBe("Heroku API GET /apps/x failed: 503 internal_server_error: Injected fault.");
        expect(sleeps).toHaveLength(3);
        noKey(err.message + err.stack);
    });

    it("does not repeat a POST that failed on the server", async () => {
        emulator.inject({ method: "POST", path: /^\/apps$/, status: 500 });
        await expect(client().request("POST", "/apps", { body: { name: "actors-x" } })).rejects.toThrow("500");
        expect(emulator.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    });

    it("follows Range pagination to the last page", async () => {
        const { id: appId } = await newApp();
        emulator.pageSize = 2;
        for (let i = 0; i < 5; i++)
            await client().request("POST", `/apps/${appId}/addons`, {
                body: { plan: "heroku-postgresql:essential-0" },
            });
        const all = await client().list<any>(`/apps/${appId}/addons`);
        expect(all).toHaveLength(5);
        expect(new Set(all.map((a) => a.id)).size).toBe(5);
        const pages = emulator.requests.filter((r) => r.method === "GET" && r.path.endsWith("/addons"));
        expect(pages).toHaveLength(3);
    });

    it("refuses an empty key with a message naming the settings", () => {
        expect(() => new HerokuClient({ apiKey: "" })).toThrow("set actors:herokuApiKey (--secret) or HEROKU_API_KEY");
    });
});

describe("app", () => {
    it("creates a container-stack app, reads it and deletes it", async () => {
        const provider = new HerokuAppProvider(client);
        const { id, outs } = await newApp();
        expect(emulator.apps.get(id)).toMatchObject({
            name: "actors-test1",
            region: { name: "eu" },
            stack: { name: "container" },
        });
        expect(outs).toMatchObject({ appId: id, adopted: false, webUrl: expect.stringContaining("actors-test1") });
        expect((await provider.read(id, outs)).props.name).toBe("actors-test1");
        await provider.delete(id, outs);
        expect(emulator.apps.size).toBe(0);
        await provider.delete(id, outs); // already gone: fine
        expect((await provider.read(id, outs)).id).toBe("");
    });

    it("does not create a second app when Heroku fails after creating it", async () => {
        emulator.inject({ method: "POST", path: /^\/apps$/, status: 500, afterHandling: true });
        const { outs } = await newApp();
        expect(emulator.apps.size).toBe(1);
        expect(outs.name).toBe("actors-test1");
    });

    it("adopts an existing app of that name and leaves it in place on delete", async () => {
        const first = await newApp();
        const provider = new HerokuAppProvider(client);
        const adopted = await provider.create({ name: "actors-test1", region: "eu", team: "" });
        expect(adopted.id).toBe(first.id);
        expect(adopted.outs.adopted).toBe(true);
        await provider.delete(adopted.id, adopted.outs);
        expect(emulator.apps.size).toBe(1);
    });

    it("renames in place; region and team never replace it", async () => {
        const provider = new HerokuAppProvider(client);
        const { id, outs } = await newApp();
        expect(await provider.diff(id, outs, { ...outs, name: "actors-renamed" })).toEqual({
            changes: true,
            replaces: [],
        });
        expect(await provider.diff(id, outs, { ...outs, region: "us" })).toEqual({ changes: false, replaces: [] });
        expect((await provider.diff(id, outs, { name: outs.name, region: outs.region, team: outs.team })).changes).toBe(
            false,
        );
        const renamed = await provider.update(id, outs, { name: "actors-renamed", region: "eu", team: "" });
        expect(renamed.outs!.name).toBe("actors-renamed");
    });

    it("refuses to move an existing app to another region or team, given the OLD INPUTS as the engine does", async () => {
        const provider = new HerokuAppProvider(client);
        const oldInputs = { name: "actors-test1", region: "eu", team: "" };
        await newApp();
        expect((await provider.check(oldInputs, oldInputs)).failures).toEqual([]);
        const moved = await provider.check(oldInputs, { ...oldInputs, region: "us" });
        expect(moved.failures.map((f) => f.property)).toEqual(["region"]);
        expect(moved.failures[0].reason).toMatch(/^actors:herokuRegion: .*set it back to eu.*heroku pg:copy/);
        const team = await provider.check(oldInputs, { ...oldInputs, team: "acme" });
        expect(team.failures.map((f) => f.reason)).toEqual([
            expect.stringMatching(/^actors:herokuTeam: .*apps:transfer/),
        ]);
        expect((await provider.check({}, { name: "new-app", region: "us", team: "" })).failures).toEqual([]);
    });

    it("accepts a new team once the app was transferred to it (heroku apps:transfer)", async () => {
        const provider = new HerokuAppProvider(client);
        const oldInputs = { name: "actors-test1", region: "eu", team: "" };
        const { id, outs } = await newApp();
        emulator.apps.get(id)!.team = { name: "acme" };
        expect((await provider.check(oldInputs, { ...oldInputs, team: "acme" })).failures).toEqual([]);
        const news = { ...oldInputs, team: "acme" };
        expect(await provider.diff(id, outs, news)).toEqual({ changes: true, replaces: [] });
        expect((await provider.update(id, outs, news)).outs).toMatchObject({ team: "acme", appId: id });
    });

    it("creates team apps through /teams/apps", async () => {
        await new HerokuAppProvider(client).create({ name: "actors-team1", region: "us", team: "acme" });
        expect(emulator.requests.find((r) => r.method === "POST")!.path).toBe("/teams/apps");
    });
});

describe("postgres add-on", () => {
    it("provisions once, waits until provisioned, and gives the app DATABASE_URL", async () => {
        const { id: appId } = await newApp();
        emulator.inject({ method: "POST", path: /\/addons$/, status: 500, afterHandling: true });
        const provider = new HerokuPostgresProvider(client);
        const { id, outs } = await provider.create({
            appId,
            plan: "essential-0",
            attachment: "DATABASE",
            provisionTimeoutMs: 5000,
        });
        expect(emulator.addons.size).toBe(1);
        expect(outs.state).toBe("provisioned");
        expect(emulator.addons.get(id)!.plan.name).toBe("heroku-postgresql:essential-0");
        expect(emulator.configVars.get(appId)!.DATABASE_URL).toMatch(/^postgres:\/\//);
        const read = await provider.read(id, outs);
        expect(read).toEqual({ id, props: outs });
        expect(emulator.requests.find((r) => r.method === "POST" && r.path.endsWith("/addons"))!.body).toEqual({
            plan: "heroku-postgresql:essential-0",
            attachment: { name: "DATABASE" },
        });
    });

    it("changes plan in place within a tier and replaces across tiers", async () => {
        const { id: appId } = await newApp();
        const provider = new HerokuPostgresProvider(client);
        const { id, outs } = await provider.create({
            appId,
            plan: "essential-0",
            attachment: "DATABASE",
            provisionTimeoutMs: 5000,
        });
        expect(await provider.diff(id, outs, { ...outs, plan: "essential-1" })).toEqual({
            changes: true,
            replaces: [],
        });
        expect(await provider.diff(id, outs, { ...outs, plan: "standard-0" })).toEqual({
            changes: true,
            replaces: ["plan"],
        });
        await provider.update(id, outs, { ...outs, plan: "essential-1" });
        expect(emulator.addons.get(id)!.plan.name).toBe("heroku-postgresql:essential-1");
        await provider.delete(id, outs);
        expect(emulator.addons.size).toBe(0);
    });
});

describe("config vars", () => {
    it("sets exactly the owned keys, removes dropped ones, and never touches DATABASE_URL", async () => {
        const { id: appId } = await newApp();
        emulator.configVars.get(appId)!.DATABASE_URL = "postgres://from-addon";
        const provider = new HerokuConfigVarsProvider(client);
        const { id, outs } = await provider.create({
            appId,
            vars: { PGSSLMODE: "require", WEB_CONCURRENCY: "2", FEATURE_X: "on" },
        });
        await provider.update(id, outs, { appId, vars: { PGSSLMODE: "require", WEB_CONCURRENCY: "3" } });
        expect(emulator.configVars.get(appId)).toEqual({
            DATABASE_URL: "postgres://from-addon",
            PGSSLMODE: "require",
            WEB_CONCURRENCY: "3",
        });
        emulator.configVars.get(appId)!.WEB_CONCURRENCY = "9"; // changed outside Pulumi: read shows the drift
        expect(
            (await provider.read(id, { appId, vars: { PGSSLMODE: "require", WEB_CONCURRENCY: "3" } })).props.vars,
        ).toEqual({ PGSSLMODE: "require", WEB_CONCURRENCY: "9" });
        expect(await provider.diff(id, { appId, vars: { A: "1" } }, { appId, vars: { A: "1" } })).toEqual({
            changes: false,
            replaces: [],
        });
        await provider.delete(id, { appId, vars: { PGSSLMODE: "require", WEB_CONCURRENCY: "3" } });
        expect(emulator.configVars.get(appId)).toEqual({ DATABASE_URL: "postgres://from-addon" });
    });
});

describe("container release", () => {
    const fakePush = (): ImagePusher & { calls: string[][] } => {
        const calls: string[][] = [];
        return {
            calls,
            async push(localImage, targets) {
                calls.push(targets);
                const digest = `sha256:${require("crypto").createHash("sha256").update(localImage).digest("hex")}`;
                for (const target of targets) {
                    const [, app, type] = target.split("/");
                    emulator.pushed(app, type, digest);
                }
            },
        };
    };

    it("pushes web and release, releases the config digest and follows it to succeeded", async () => {
        const { id: appId, outs: app } = await newApp();
        const pusher = fakePush();
        const provider = new HerokuReleaseProvider(client, pusher);
        const { outs } = await provider.create({
            appId,
            appName: app.name,
            image: "actors:sha-1",
            processTypes: ["web", "release"],
            releaseTimeoutMs: 5000,
        });
        const host = new URL(emulator.url).host;
        expect(pusher.calls).toEqual([[`${host}/actors-test1/web`, `${host}/actors-test1/release`]]);
        expect(outs.status).toBe("succeeded");
        expect(outs.digests.web).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(emulator.formation.get(appId)!.get("web")!.docker_image).toBe(outs.digests.web);
        expect(emulator.formation.get(appId)!.get("release")!.docker_image).toBe(outs.digests.release);
        const patch = emulator.requests.find((r) => r.method === "PATCH" && r.path.endsWith("/formation"))!;
        expect(patch.accept).toBe("application/vnd.heroku+json; version=3.docker-releases");
        noKey(outs);
    });

    it("only a new image triggers a release", async () => {
        const provider = new HerokuReleaseProvider(client, fakePush());
        const olds = {
            appId: "a",
            appName: "n",
            image: "actors:sha-1",
            processTypes: ["web", "release"],
            digests: {},
            releaseId: "r",
            releaseVersion: 2,
            status: "succeeded",
        };
        expect((await provider.diff("r", olds, { ...olds })).changes).toBe(false);
        expect((await provider.diff("r", olds, { ...olds, image: "actors:sha-2" })).changes).toBe(true);
    });

    it("a failed release phase fails the update and shows its output", async () => {
        const { id: appId, outs: app } = await newApp();
        emulator.nextReleaseStatus = "failed";
        emulator.releaseOutput = "Running release command...\nactors: configuration error: DATABASE_URL is not set\n";
        const provider = new HerokuReleaseProvider(client, fakePush());
        const err = await provider
            .create({
                appId,
                appName: app.name,
                image: "actors:sha-2",
                processTypes: ["web", "release"],
                releaseTimeoutMs: 5000,
            })
            .catch((e: any) => e);
        expect(err.message).toContain("release v2 of actors-test1 failed; the previous release keeps serving.");
        expect(err.message).toContain("actors: configuration error: DATABASE_URL is not set");
        noKey(err.message);
    });

    it("refuses an image the registry holds in another format", async () => {
        const { id: appId, outs: app } = await newApp();
        const pusher: ImagePusher = {
            async push(_local, targets) {
                for (const t of targets) {
                    const [, a, type] = t.split("/");
                    emulator.pushed(a, type, `sha256:${"2".repeat(64)}`);
                    emulator.manifests.get(`${a}/${type}`).mediaType = "application/vnd.oci.image.index.v1+json";
                }
            },
        };
        const err = await new HerokuReleaseProvider(client, pusher)
            .create({ appId, appName: app.name, image: "actors:sha-3", processTypes: ["web"] })
            .catch((e: any) => e);
        expect(err.message).toContain("not a Docker v2 schema 2 manifest");
    });

    it("the docker CLI pusher logs in through a throwaway config, never an argument", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-docker-"));
        const log = path.join(dir, "log");
        const fake = path.join(dir, "docker");
        fs.writeFileSync(
            fake,
            `#!/bin/sh\necho "$@" >> ${log}\ncat "$DOCKER_CONFIG/config.json" >> ${log}\necho >> ${log}\n`,
            { mode: 0o755 },
        );
        process.env.DOCKER_CLI = fake;
        try {
            await dockerCliPusher.push(
                "actors:sha-1",
                ["registry.heroku.com/app1/web"],
                "registry.heroku.com",
                "key-123",
            );
        } finally {
            delete process.env.DOCKER_CLI;
        }
        const lines = fs.readFileSync(log, "utf8").trim().split("\n");
        expect(lines[0]).toBe("tag actors:sha-1 registry.heroku.com/app1/web");
        expect(lines[2]).toBe("push registry.heroku.com/app1/web");
        expect(JSON.parse(lines[1])).toEqual({
            auths: { "registry.heroku.com": { auth: Buffer.from("_:key-123").toString("base64") } },
        });
        expect(lines[0] + lines[2]).not.toContain("key-123");
        fs.rmSync(dir, { recursive: true, force: true });
    });
});

describe("formation, domain, log drain, preboot", () => {
    it("scales web with its dyno size", async () => {
        const { id: appId } = await newApp();
        const provider = new HerokuFormationProvider(client);
        const { id, outs } = await provider.create({ appId, processes: { web: { quantity: 2, size: "standard-1x" } } });
        expect(emulator.formation.get(appId)!.get("web")).toMatchObject({
            quantity: 2,
            dyno_size: { name: "Standard-1x" },
        });
        expect((await provider.read(id, outs)).props.processes).toEqual({ web: { quantity: 2, size: "standard-1x" } });
    });

    it("adds a domain with ACM, a log drain and preboot, idempotently", async () => {
        const { id: appId } = await newApp();
        const domains = new HerokuDomainProvider(client);
        await domains.create({ appId, hostname: "actors.example.com" });
        await domains.create({ appId, hostname: "actors.example.com" });
        expect(emulator.domains.get(appId)).toHaveLength(1);
        expect(emulator.requests.some((r) => r.method === "POST" && r.path.endsWith("/acm"))).toBe(true);
        const drains = new HerokuLogDrainProvider(client);
        const drain = await drains.create({ appId, url: "syslog+tls://logs.example.com:6514" });
        await drains.delete(drain.id, drain.outs);
        expect(emulator.drains.get(appId)).toEqual([]);
        await new HerokuFeatureProvider(client).create({ appId, feature: "preboot", enabled: true });
        expect(emulator.features.get(appId)).toEqual({ preboot: true });
    });
});

describe("the provider plugin (provider/main.ts)", () => {
    const urn = (type: string, name = "r") => `urn:pulumi:heroku::actors::actors:heroku:HerokuStack$${type}::${name}`;
    /** The plugin's methods, configured as the engine configures them: the key a secret of the configuration. */
    const withKey = async (run: () => Promise<void>) => {
        configure({
            apiKey: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: emulator.apiKey },
        });
        process.env.HEROKU_API_URL = emulator.url;
        try {
            await run();
        } finally {
            delete process.env.HEROKU_API_URL;
            configure({});
        }
    };

    it("serves every resource type of components/heroku, each by the provider in its file", () => {
        expect(Object.keys(PROVIDERS).sort()).toEqual(
            [
                "App",
                "ConfigVars",
                "ContainerRelease",
                "Domain",
                "Feature",
                "Formation",
                "LogDrain",
                "PostgresAddon",
            ].map((name) => `actors-heroku:index:${name}`),
        );
        expect(PROVIDERS[HerokuApp.type]).toBeInstanceOf(HerokuAppProvider);
    });

    it("routes by the type in the URN, with the configured key, and keeps the key out of every result", () =>
        withKey(async () => {
            const app = await herokuPlugin.create!(urn(HerokuApp.type), {
                name: "actors-plug1",
                region: "us",
                team: "",
            });
            expect(app.outs).toMatchObject({ name: "actors-plug1", appId: app.id, adopted: false });
            const varsUrn = urn(HerokuConfigVars.type, "config");
            const vars = await herokuPlugin.create!(varsUrn, { appId: app.id, vars: { A: "1" } });
            const news = { appId: app.id, vars: { A: "2" } };
            expect(await herokuPlugin.diff!(vars.id, varsUrn, vars.outs, news)).toEqual({
                changes: true,
                replaces: [],
            });
            expect((await herokuPlugin.update!(vars.id, varsUrn, vars.outs, news)).outs).toEqual(news);
            expect(emulator.configVars.get(app.id)).toEqual({ A: "2" });
            await herokuPlugin.delete!(app.id, urn(HerokuApp.type), app.outs);
            expect(emulator.apps.size).toBe(0);
            noKey([app, vars]);
            await expect(herokuPlugin.create!(urn("actors-heroku:index:Nope"), {})).rejects.toThrow(
                'the actors-heroku provider has no resource type "actors-heroku:index:Nope"',
            );
        }));

    it("fails with Heroku's message and no `id` (the SDK's server would record a resource under an error's id)", () =>
        withKey(async () => {
            const error = { id: "invalid_params", message: "Name is already taken." };
            emulator.inject({ method: "POST", path: /^\/apps$/, status: 422, error });
            const inputs = { name: "actors-taken1", region: "us", team: "" };
            const failure: any = await herokuPlugin.create!(urn(HerokuApp.type), inputs).catch((e) => e);
            expect(failure).toBeInstanceOf(Error);
            expect(failure.message).toBe("Heroku API POST /apps failed: 422 invalid_params: Name is already taken.");
            expect(failure.id).toBeUndefined();
            noKey(failure.message);
        }));

    it("without a configured key, uses HEROKU_API_KEY", async () => {
        process.env.HEROKU_API_URL = emulator.url;
        process.env.HEROKU_API_KEY = emulator.apiKey;
        try {
            const app = await herokuPlugin.create!(urn(HerokuApp.type), {
                name: "actors-env1",
                region: "us",
                team: "",
            });
            expect(app.outs.name).toBe("actors-env1");
        } finally {
            delete process.env.HEROKU_API_URL;
            delete process.env.HEROKU_API_KEY;
        }
    });

    it("state written by the dynamic provider (__provider, kind) is rewritten by an update that calls no API", () =>
        withKey(async () => {
            const app = await herokuPlugin.create!(urn(HerokuApp.type), {
                name: "actors-old1",
                region: "us",
                team: "",
            });
            const appId = app.id;
            const inputsOf: Record<string, Record<string, unknown>> = {
                [HerokuApp.type]: { name: "actors-old1", region: "us", team: "" },
                [HerokuConfigVars.type]: { appId, vars: { A: "1" } },
                [HerokuFormation.type]: { appId, processes: { web: { quantity: 1, size: "basic" } } },
                [HerokuFeature.type]: { appId, feature: "preboot", enabled: true },
                [HerokuDomain.type]: { appId, hostname: "actors.example.com" },
                [HerokuLogDrain.type]: { appId, url: "syslog+tls://logs.example.com:6514" },
                [HerokuPostgres.type]: { appId, plan: "essential-0", attachment: "DATABASE", provisionTimeoutMs: 2000 },
            };
            const legacy = {
                kind: "old",
                __provider: 'exports.handler = () => require("actors-heroku-provider/kinds.js")',
            };
            for (const [type, inputs] of Object.entries(inputsOf)) {
                const created = await herokuPlugin.create!(urn(type), inputs);
                const before = emulator.requests.length;
                const olds = { ...created.outs, ...legacy };
                const checked = await herokuPlugin.check!(urn(type), { ...inputs, ...legacy }, inputs);
                expect([type, checked.inputs, checked.failures ?? []]).toEqual([type, inputs, []]);
                expect([type, await herokuPlugin.diff!(created.id, urn(type), olds, inputs)]).toEqual([
                    type,
                    { changes: true, replaces: [] },
                ]);
                expect([type, (await herokuPlugin.update!(created.id, urn(type), olds, inputs)).outs]).toEqual([
                    type,
                    created.outs,
                ]);
                expect([type, emulator.requests.slice(before).filter((r) => r.method !== "GET")]).toEqual([type, []]);
                // Once rewritten, nothing changes.
                expect((await herokuPlugin.diff!(created.id, urn(type), created.outs, inputs)).changes).toBe(false);
            }
        }));
});
