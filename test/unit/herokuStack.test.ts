import { plainSecretLeaks, ProgramRun, runProgram, SENTINEL, stackConfig, unwrapSecrets } from "../support/helpers";

const base = { ...stackConfig("heroku"), "actors:herokuApiKey": `${SENTINEL}-api-key` };
const secretKeys = ["actors:herokuApiKey", "actors:herokuLogDrainUrl"];
const T = (name: string) => `actors-heroku:index:${name}`;

let plain: ProgramRun;
let full: ProgramRun;
beforeAll(async () => {
    plain = await runProgram(base, { secretKeys, env: { HEROKU_API_KEY: undefined } });
    full = await runProgram(
        {
            ...base,
            "actors:herokuAppName": "actors-prod",
            "actors:herokuTeam": "acme",
            "actors:herokuDomain": "actors.example.com",
            "actors:herokuLogDrainUrl": `syslog+tls://${SENTINEL}-token@logs.example.com:6514`,
            "actors:herokuPreboot": "true",
            "actors:herokuPostgresPlan": "standard-0",
            "actors:herokuWebQuantity": "3",
            "actors:herokuWebSize": "standard-2x",
            "actors:appEnv": '["FEATURE_FLAGS=search"]',
        },
        { secretKeys, env: { HEROKU_API_KEY: undefined } },
    );
});

describe("heroku stack as configured in Pulumi.heroku.yaml", () => {
    it("declares the app, Postgres, config vars, the release, the formation and both guards, nothing of Kubernetes", () => {
        const types = plain.resources
            .filter((r) => !r.type.startsWith("actors:"))
            .map((r) => r.type)
            .sort();
        expect(types).toEqual(
            [
                "docker:index/image:Image",
                "random:index/randomString:RandomString",
                "pulumi:providers:actors-heroku",
                "pulumi-nodejs:dynamic:Resource", // the destroy guard
                "pulumi-nodejs:dynamic:Resource", // the database guard
                T("App"),
                T("PostgresAddon"),
                T("ConfigVars"),
                T("ContainerRelease"),
                T("Formation"),
            ].sort(),
        );
    });

    it("builds the image locally; the release pushes it to Heroku's registry", () => {
        const image = plain.one("docker:index/image:Image").inputs;
        expect(image.skipPush).toBe(true);
        expect(image.build.platform).toBe("linux/amd64");
        const release = plain.one(T("ContainerRelease")).inputs;
        expect(release.image).toBe(image.imageName);
        expect(release.processTypes).toEqual(["web", "release"]);
    });

    it("names the app actors-<random> unless configured", () => {
        expect(plain.one(T("App")).inputs.name).toMatch(/^actors-[a-z0-9]{6,8}$/);
        expect(full.one(T("App")).inputs).toMatchObject({ name: "actors-prod", team: "acme", region: "us" });
        expect(full.byType("random:index/randomString:RandomString")).toHaveLength(0);
        expect(full.outputs.appName.value).toBe("actors-prod");
        expect(full.outputs.namespace).toBeUndefined();
        expect(full.outputs.tools.value).toEqual({ platform: "heroku", app: "actors-prod" });
    });

    it("attaches Heroku Postgres as DATABASE with the configured plan", () => {
        expect(plain.one(T("PostgresAddon")).inputs).toMatchObject({ plan: "essential-0", attachment: "DATABASE" });
        expect(full.one(T("PostgresAddon")).inputs.plan).toBe("standard-0");
    });

    it("owns exactly the shared app settings as config vars (the same contract as the Kubernetes env)", () => {
        const vars = plain.one(T("ConfigVars")).inputs.vars;
        expect(unwrapSecrets(vars)).toEqual({ WEB_CONCURRENCY: "2", LOG_LEVEL: "info", PGSSLMODE: "require" });
        expect(unwrapSecrets(full.one(T("ConfigVars")).inputs.vars)).toMatchObject({ FEATURE_FLAGS: "search" });
    });

    it("keys everything of the app on its resource ID, which a preview of a rename keeps known", () => {
        const owned = full.resources.filter((r) => r.type.startsWith(T("")) && r.type !== T("App"));
        expect(owned.map((r) => r.type.split(":").pop()).sort()).toEqual([
            "ConfigVars",
            "ContainerRelease",
            "Domain",
            "Feature",
            "Formation",
            "LogDrain",
            "PostgresAddon",
        ]);
        for (const r of owned) expect([r.type, r.inputs.appId]).toEqual([r.type, "heroku-app-id"]);
    });

    it("scales the web formation", () => {
        expect(plain.one(T("Formation")).inputs.processes).toEqual({ web: { quantity: 1, size: "basic" } });
        expect(full.one(T("Formation")).inputs.processes).toEqual({ web: { quantity: 3, size: "standard-2x" } });
    });

    it("adds the custom domain, log drain and preboot when set", () => {
        expect(full.one(T("Domain")).inputs.hostname).toBe("actors.example.com");
        expect(full.one(T("Feature")).inputs).toMatchObject({ feature: "preboot", enabled: true });
        expect(full.byType(T("LogDrain"))).toHaveLength(1);
        expect(full.outputs.url.value).toBe("https://actors.example.com/");
        expect(full.outputs.dnsTarget).toBeDefined(); // the domain's DNS target, for the CNAME/ALIAS record
        expect(plain.outputs.dnsTarget).toBeUndefined();
        for (const name of ["Domain", "Feature", "LogDrain"]) expect(plain.byType(T(name))).toHaveLength(0);
    });

    it("hands the API key only to the Heroku provider, as a secret; no Heroku resource carries it or any code", () => {
        for (const run of [plain, full]) {
            const provider = run.one("pulumi:providers:actors-heroku");
            expect(plainSecretLeaks(provider.inputs, [SENTINEL], "provider")).toEqual([]);
            expect(unwrapSecrets(provider.inputs).apiKey).toBe(`${SENTINEL}-api-key`);
            const others = run.resources.filter((r) => r !== provider);
            const everything = JSON.stringify(others.map((r) => r.inputs)) + JSON.stringify(run.outputs);
            expect(everything).not.toContain(`${SENTINEL}-api-key`);
            const heroku = run.resources.filter((r) => r.type.startsWith("actors-heroku:"));
            expect(JSON.stringify(heroku.map((r) => r.inputs))).not.toContain("__provider");
        }
    });

    it("keeps the log drain URL a secret", () => {
        const leaks = full.resources.flatMap((r) => plainSecretLeaks(r.inputs, [SENTINEL], `${r.type} ${r.name}`));
        expect(leaks).toEqual([]);
        expect(JSON.stringify(full.one(T("LogDrain")).inputs)).toContain(SENTINEL); // present, but wrapped
    });
});
