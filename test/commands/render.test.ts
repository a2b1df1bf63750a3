import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import {
    ConfigRefused,
    MANIFEST,
    parseArgs,
    PreviewRefused,
    renderPlan,
    SECRET_PLACEHOLDER,
    UsageError,
    writePlan,
} from "../../cli/render";
import { copyProject, removeProject } from "../../tools/checkout";
import { ChartRepository, serveCharts } from "../support/charts";
import { ROOT, validateKubernetesObject } from "../support/helpers";
import { PLUGINS_BIN } from "../support/plugins/policyPack";
import { TOOLS_BIN } from "../support/pulumi";

/** The plan makes no Heroku call; like `pulumi preview`, it wants a key all the same (CI passes a placeholder). */
const OFFLINE_KEY = "offline-plan-placeholder";

/**
 * The environment of a render: the real CLI and Kubernetes provider (.tools/bin) and the stand-in docker and random
 * plugins first on PATH (a user's machine has the real ones, downloaded by the CLI), a PULUMI_HOME of the test's own.
 */
const pulumiHome = fs.mkdtempSync(path.join(os.tmpdir(), "render-home-"));
const RENDER_ENV = {
    PATH: [TOOLS_BIN, PLUGINS_BIN, path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
    PULUMI_HOME: pulumiHome,
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    HEROKU_API_KEY: OFFLINE_KEY,
};
Object.assign(process.env, RENDER_ENV); // for renderPlan called here (it runs the CLI with this process's environment)
afterAll(() => fs.rmSync(pulumiHome, { recursive: true, force: true }));

/** Runs `npm run render` (ts-node, as npm does) with the given arguments. */
function renderCli(args: string[], env: Record<string, string> = {}) {
    return spawnSync(
        path.join(ROOT, "node_modules", ".bin", "ts-node"),
        ["--transpile-only", "cli/render.ts", ...args],
        {
            cwd: ROOT,
            env: { ...process.env, ...RENDER_ENV, ...env },
            encoding: "utf8",
        },
    );
}

/** Every file under dir, relative to it, with its content. */
function readTree(dir: string): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const full = path.join(d, e.name);
            if (e.isDirectory()) walk(full);
            else files.set(path.relative(dir, full), fs.readFileSync(full, "utf8"));
        }
    };
    walk(dir);
    return files;
}

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `render-${prefix}-`));

/** `npm run render -- --stack STACK --out DIR` on this checkout's stack file: the files written. */
function render(stack: string, env: Record<string, string> = {}): Map<string, string> {
    const out = tmp(stack);
    const run = renderCli(["--stack", stack, "--out", out], env);
    if (run.status !== 0) throw new Error(`render failed (${run.status}):\n${run.stderr}`);
    const files = readTree(out);
    fs.rmSync(out, { recursive: true, force: true });
    return files;
}

const plan = (files: Map<string, string>) => yaml.load(files.get("plan.yaml")!) as any;
const step = (p: any, type: string, name: string) => p.steps.find((s: any) => s.type === type && s.name === name);

describe("npm run render: heroku, through a real pulumi preview", () => {
    const stackFile = fs.readFileSync(path.join(ROOT, "Pulumi.heroku.yaml"), "utf8");
    let heroku: Map<string, string>;
    beforeAll(() => {
        heroku = render("heroku");
    });

    it("gives byte-identical output for the same input, and leaves the stack file as it was", () => {
        expect(render("heroku")).toEqual(heroku);
        expect(fs.readFileSync(path.join(ROOT, "Pulumi.heroku.yaml"), "utf8")).toBe(stackFile);
    });

    it("lists every step the engine planned: op, type, name, provider, protect; providers and random resources too", () => {
        const p = plan(heroku);
        expect(p.summary).toEqual({ create: 13 });
        expect(step(p, "actors-heroku:index:App", "heroku-app")).toEqual({
            op: "create",
            type: "actors-heroku:index:App",
            name: "heroku-app",
            provider: "heroku-provider",
            protect: true,
        });
        expect(step(p, "actors-heroku:index:PostgresAddon", "heroku-postgres").protect).toBe(true);
        expect(step(p, "actors-heroku:index:Formation", "heroku-formation").protect).toBe(false);
        expect(step(p, "random:index/randomString:RandomString", "heroku-suffix")).toMatchObject({ op: "create" });
        expect(step(p, "random:index/randomString:RandomString", "heroku-suffix").provider).toMatch(/^default_4_/);
        expect(p.steps.map((s: any) => s.type)).toEqual(
            expect.arrayContaining([
                "pulumi:providers:actors-heroku",
                "pulumi:providers:random",
                "docker:index/image:Image",
            ]),
        );
    });

    it("names its target and notes every output known only once deployed", () => {
        const p = plan(heroku);
        expect(p.target).toEqual({
            herokuApp: "<unknown until deployed>",
            herokuApiUrl: "https://api.heroku.com",
            herokuRegistryUrl: "https://registry.heroku.com",
        });
        expect(p.outputs).toEqual({
            appName: "<unknown until deployed>",
            image: "<unknown until deployed>",
            tools: "<unknown until deployed>",
            url: "<unknown until deployed>",
        });
        for (const key of Object.keys(p.outputs))
            expect(p.notes).toContain(`output ${key} is known only once deployed.`);
    });

    it("shows Heroku's app, add-on, config vars, formation and release", () => {
        expect([...heroku.keys()].filter((f) => f.startsWith("heroku/")).sort()).toEqual([
            "heroku/app-heroku-app.yaml",
            "heroku/configvars-heroku-config.yaml",
            "heroku/containerrelease-heroku-release.yaml",
            "heroku/formation-heroku-formation.yaml",
            "heroku/postgresaddon-heroku-postgres.yaml",
        ]);
        const vars = yaml.load(heroku.get("heroku/configvars-heroku-config.yaml")!) as any;
        expect(vars.properties.vars).toEqual({ LOG_LEVEL: "info", PGSSLMODE: "require", WEB_CONCURRENCY: "2" });
        expect(vars.properties.appId).toBe("<unknown until deployed>");
        expect((yaml.load(heroku.get("heroku/postgresaddon-heroku-postgres.yaml")!) as any).properties.plan).toBe(
            "essential-0",
        );
        expect([...heroku.values()].join("\n")).not.toContain("__provider");
    });

    it("records what it wrote in its manifest", () => {
        const manifest = JSON.parse(heroku.get(MANIFEST)!);
        expect(manifest.files).toEqual([...heroku.keys()].filter((f) => f !== MANIFEST).sort());
    });
});

describe("render's secrets", () => {
    const project = copyProject();
    afterAll(() => removeProject(project));

    it("an encrypted secret of the stack file becomes a placeholder secret, said so in the plan; no plaintext anywhere", async () => {
        const file = path.join(project, "Pulumi.heroku.yaml");
        const doc = yaml.load(fs.readFileSync(file, "utf8")) as any;
        // As `pulumi config set --secret` writes it with another passphrase: render cannot (and must not) read it.
        doc.encryptionsalt = "v1:c2FsdHNhbHQ=:v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
        doc.config["actors:herokuApiKey"] = { secure: "v1:AAAAAAAAAAAAAAAA:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC" };
        doc.config["actors:herokuLogDrainUrl"] = {
            secure: "v1:AAAAAAAAAAAAAAAA:DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
        };
        const before = yaml.dump(doc);
        fs.writeFileSync(file, before);
        const saved = process.env.HEROKU_API_KEY;
        const envKey = "env-plaintext-key-4b1d";
        process.env.HEROKU_API_KEY = envKey;
        try {
            const files = await renderPlan("heroku", project);
            const p = plan(files);
            for (const key of ["actors:herokuApiKey", "actors:herokuLogDrainUrl"])
                expect(p.notes).toContain(
                    `${key} is encrypted in Pulumi.heroku.yaml and cannot be decrypted without its passphrase: the preview used a placeholder secret in its place.`,
                );
            // The log drain exists only when its (secret) URL is set: the placeholder made it appear, its URL redacted.
            expect(step(p, "actors-heroku:index:LogDrain", "heroku-log-drain")).toMatchObject({ op: "create" });
            const all = [...files.values()].join("\n");
            for (const plaintext of [envKey, SECRET_PLACEHOLDER]) expect(all).not.toContain(plaintext);
            expect(fs.readFileSync(file, "utf8")).toBe(before); // the user's stack file is never written
        } finally {
            process.env.HEROKU_API_KEY = saved;
        }
    });
});

describe("npm run render: k8s, with the Kubernetes provider in render mode", () => {
    let charts: ChartRepository;
    const project = copyProject();
    let k8s: Map<string, string>;
    beforeAll(async () => {
        charts = await serveCharts();
        const file = path.join(project, "Pulumi.k8s.yaml");
        const doc = yaml.load(fs.readFileSync(file, "utf8")) as any;
        doc.config["actors:chartRepository"] = charts.url;
        doc.config["actors:kubeContext"] = "production";
        doc.config["actors:imageRegistryUsername"] = "robot";
        doc.config["actors:imageRegistryPassword"] = { secure: "v1:AAAAAAAAAAAAAAAA:EEEEEEEEEEEEEEEEEEEEEEEEEEEEEE" };
        fs.writeFileSync(file, yaml.dump(doc));
        k8s = await renderPlan("k8s", project);
    });
    afterAll(async () => {
        await charts?.stop();
        removeProject(project);
    });

    it("gives byte-identical output for the same input, also where KUBECONFIG is set (the plan contacts no cluster)", async () => {
        process.env.KUBECONFIG = path.join(project, "kubeconfig-of-the-ci-job");
        try {
            expect(await renderPlan("k8s", project)).toEqual(k8s);
        } finally {
            delete process.env.KUBECONFIG;
        }
    });

    it("names the kube context it targets and marks the protected database", () => {
        const p = plan(k8s);
        expect(p.target).toEqual({ kubeContext: "production" });
        const releases = p.steps.filter((s: any) => s.type === "kubernetes:helm.sh/v3:Release");
        expect(releases.length).toBeGreaterThan(0);
        for (const r of releases) expect(r).toMatchObject({ op: "create", provider: "k8s-provider" });
        expect(p.steps.filter((s: any) => s.protect).length).toBeGreaterThan(0);
        expect(step(p, "pulumi:providers:kubernetes", "k8s-provider")).toMatchObject({ op: "create" });
    });

    it("writes every Kubernetes object as valid YAML, and each Helm release with chart, version and values", () => {
        const objects = [...k8s.keys()].filter((f) => f.startsWith("kubernetes/")).sort();
        expect(objects).toContain("kubernetes/namespace-actors.yaml");
        expect(objects).toContain("kubernetes/deployment-actors-actors-web.yaml");
        for (const f of objects) {
            const object = yaml.load(k8s.get(f)!) as any;
            // A Secret's data made secret as a whole is one <redacted> (its keys are secret too): checked below.
            if (object.kind === "Secret")
                for (const field of ["data", "stringData"]) if (object[field] === "<redacted>") delete object[field];
            validateKubernetesObject(object);
        }
        const cluster = yaml.load(k8s.get("helm/actors-db.yaml")!) as any;
        expect(cluster).toMatchObject({
            chart: "cluster",
            version: "0.8.1",
            repository: charts.url,
            namespace: "actors",
        });
        expect(cluster.values.cluster.instances).toBe(1);
        expect(yaml.load(k8s.get("helm/cnpg.yaml")!)).toMatchObject({
            chart: "cloudnative-pg",
            version: "0.29.0",
            namespace: "cnpg-system",
        });
    });

    it("redacts secrets but shows what is set", () => {
        const all = [...k8s.values()].join("\n");
        const secrets = [...k8s.keys()].filter((f) => f.startsWith("kubernetes/secret-"));
        expect(secrets.length).toBeGreaterThan(0);
        for (const f of secrets) {
            const secret = yaml.load(k8s.get(f)!) as any;
            expect(secret.data ?? secret.stringData).toBeDefined();
            for (const field of ["data", "stringData"]) {
                const value = secret[field] ?? {};
                if (typeof value === "string") expect(value).toBe("<redacted>");
                else for (const v of Object.values(value)) expect(v).toBe("<redacted>");
            }
        }
        expect(all).not.toContain("ciphertext");
        expect(all).not.toContain(SECRET_PLACEHOLDER);
        expect(all).not.toMatch(/postgresql:\/\/app:/);
        expect(plan(k8s).notes).toContain(
            "actors:imageRegistryPassword is encrypted in Pulumi.k8s.yaml and cannot be decrypted without its passphrase: the preview used a placeholder secret in its place.",
        );
    });

    it("refuses what pulumi preview refuses: a chart repository that does not answer, with the preview's message", async () => {
        const file = path.join(project, "Pulumi.k8s-norepo.yaml");
        const doc = yaml.load(fs.readFileSync(path.join(project, "Pulumi.k8s.yaml"), "utf8")) as any;
        doc.config["actors:chartRepository"] = "http://127.0.0.1:1";
        fs.writeFileSync(file, yaml.dump(doc));
        const refusal = renderPlan("k8s-norepo", project);
        await expect(refusal).rejects.toThrow(PreviewRefused);
        await expect(refusal).rejects.toThrow("pulumi preview --stack k8s-norepo failed");
        await expect(refusal).rejects.toThrow("127.0.0.1:1");
    });
});

describe("render's command line", () => {
    const project = tmp("project");
    for (const stack of ["k8s", "heroku", "k8s-drill"])
        fs.copyFileSync(path.join(ROOT, "Pulumi.k8s.yaml"), path.join(project, `Pulumi.${stack}.yaml`));
    afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

    it.each([
        [["--stack", "k8s"], "k8s"],
        [["--stack=k8s"], "k8s"],
        [["--stack", "k8s-drill"], "k8s-drill"],
        [["--stack=k8s-drill", "--out=/tmp/x"], "k8s-drill"],
        [["--out", "/tmp/x", "--stack", "heroku"], "heroku"],
    ])("%j names stack %s", (argv, stack) => {
        expect(parseArgs(argv, project)).toMatchObject({ help: false, stack });
    });

    it.each([["--help"], ["-h"], ["--stack", "k8s", "--help"]])("%j asks for help", (...argv) => {
        expect(parseArgs(argv, project)).toEqual({ help: true });
    });

    it.each([
        [[], "--stack is required"],
        [["--stack"], "--stack needs a value"],
        [["--stack="], "--stack needs a value"],
        [["--stack", "aws"], 'got "aws"'],
        [["--stack", "../k8s"], 'got "../k8s"'],
        [["--stack", "k8s", "--stack", "heroku"], "--stack given twice"],
        [["--stack", "k8s", "--out"], "--out needs a value"],
        [["--stack", "k8s", "--verbose"], 'unknown argument "--verbose"'],
        [["k8s"], 'unknown argument "k8s"'],
    ])("%j is a usage error: %s", (argv, message) => {
        expect(() => parseArgs(argv, project)).toThrow(UsageError);
        expect(() => parseArgs(argv, project)).toThrow(message);
    });

    it("a usage error exits 2 with the usage; --help exits 0 with it", () => {
        const bad = renderCli(["--stack", "aws"]);
        expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining("usage: npm run render")]);
        expect(bad.stderr).toContain("(heroku, k8s)");
        const help = renderCli(["--help"]);
        expect([help.status, help.stdout]).toEqual([0, expect.stringContaining("--stack STACK")]);
    });
});

describe("render --out never deletes what it did not write", () => {
    const plan = new Map([
        ["kubernetes/a.yaml", "a: 1\n"],
        ["outputs.yaml", "{}\n"],
    ]);

    it.each([
        ["a file of the user's", { "notes.txt": "mine" }],
        ["a folder of the user's", { "app/main.py": "print(1)" }],
        ["a stale manifest beside the user's files", { [MANIFEST]: '{"files":["outputs.yaml"]}', "README.md": "x" }],
        ["files that look like a plan, without a manifest", { "outputs.yaml": "{}" }],
    ])("refuses a folder holding %s, and leaves it as it was", (_what, tree) => {
        const out = tmp("foreign");
        for (const [file, content] of Object.entries(tree)) {
            fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
            fs.writeFileSync(path.join(out, file), content);
        }
        const before = readTree(out);
        expect(() => writePlan(out, plan)).toThrow(UsageError);
        expect(() => writePlan(out, plan)).toThrow("render never deletes what it did not write");
        expect(readTree(out)).toEqual(before);
        fs.rmSync(out, { recursive: true, force: true });
    });

    it("writes into a missing or empty folder, then replaces only its own files", () => {
        const parent = tmp("own");
        const out = path.join(parent, "plan");
        writePlan(out, plan);
        expect([...readTree(out).keys()].sort()).toEqual([MANIFEST, "kubernetes/a.yaml", "outputs.yaml"]);
        writePlan(out, new Map([["heroku/b.yaml", "b: 2\n"]]));
        expect([...readTree(out).keys()].sort()).toEqual([MANIFEST, "heroku/b.yaml"]);
        expect(fs.existsSync(path.join(out, "kubernetes"))).toBe(false);
        fs.writeFileSync(path.join(out, "mine.txt"), "x");
        expect(() => writePlan(out, plan)).toThrow(UsageError);
        expect(fs.readFileSync(path.join(out, "heroku/b.yaml"), "utf8")).toBe("b: 2\n");
        fs.rmSync(parent, { recursive: true, force: true });
    });

    it("the command refuses the checkout itself (--out .) and a folder of the app (--out app), exit 2, nothing deleted", () => {
        for (const out of [".", "app"]) {
            const before = fs.readdirSync(path.join(ROOT, out)).sort();
            const run = renderCli(["--stack", "k8s", "--out", out]);
            expect([run.status, run.stderr]).toEqual([2, expect.stringContaining("render did not write")]);
            expect(fs.readdirSync(path.join(ROOT, out)).sort()).toEqual(before);
        }
    });
});

describe("render refuses what pulumi preview refuses", () => {
    const project = tmp("stacks");
    afterAll(() => fs.rmSync(project, { recursive: true, force: true }));
    const stackFile = (name: string, config: Record<string, unknown>) =>
        fs.writeFileSync(path.join(project, `Pulumi.${name}.yaml`), yaml.dump({ config }));
    const heroku = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.heroku.yaml"), "utf8")) as any;
    const k8s = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.k8s.yaml"), "utf8")) as any;

    it.each([
        ["heroku", "herokuApiKey", "abc123"],
        ["k8s", "imageRegistryPassword", "hunter2"],
        ["k8s", "backupSecretAccessKey", "s3cr3t-key"],
        ["heroku", "herokuLogDrainUrl", "https://tok@logs.example.com"],
    ])("a plain-text secret on %s: %s", async (base, key, plaintext) => {
        stackFile(`plain-${key}`, { ...(base === "k8s" ? k8s : heroku).config, [`actors:${key}`]: plaintext });
        const refusal = renderPlan(`plain-${key}`, project);
        await expect(refusal).rejects.toThrow(ConfigRefused);
        await expect(refusal).rejects.toThrow(
            `actors:${key} is a secret and is set in plain text: set it with \`pulumi config set --secret ${key}`,
        );
        await refusal.catch((err) => expect(err.message).not.toContain(plaintext));
    });

    it("a missing Heroku API key, unless HEROKU_API_KEY is set (nothing stands in for it quietly)", async () => {
        stackFile("nokey", heroku.config);
        const saved = process.env.HEROKU_API_KEY;
        delete process.env.HEROKU_API_KEY;
        try {
            await expect(renderPlan("nokey", project)).rejects.toThrow("actors:herokuApiKey is required on heroku");
        } finally {
            if (saved !== undefined) process.env.HEROKU_API_KEY = saved;
        }
    });

    it.each([
        [
            "k8s",
            { "actors:replicas": "1e1" },
            'actors:replicas must be a whole number from 1 to 100 (digits only) (got "1e1")',
        ],
        ["k8s", { "actor:replicas": 3 }, "did you mean actors:replicas?"],
        ["heroku", { "actors:replicas": 5 }, 'actors:replicas ("5") applies to k8s only'],
        ["heroku", { replicas: 5 }, 'actors:replicas ("5") applies to k8s only'], // the CLI reads it as actors:replicas
        ["heroku", { "actors:herokuRegon": "eu" }, "did you mean actors:herokuRegion?"],
    ])("a bad %s setting %j, with the program's message", async (base, extra, message) => {
        const name = `bad-${base}-${Object.keys(extra)[0].replace(/:/g, "-")}`;
        stackFile(name, { ...(base === "k8s" ? k8s : heroku).config, ...extra });
        await expect(renderPlan(name, project)).rejects.toThrow(message);
    });

    it("without the Pulumi CLI: exit 1, saying what to install, nothing written", () => {
        const out = path.join(tmp("nocli"), "plan");
        const run = renderCli(["--stack", "heroku", "--out", out], {
            PATH: [path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter),
            PULUMI_CLI_ROOT: path.join(out, "no-cli-here"),
        });
        expect([run.status, run.stderr]).toEqual([1, expect.stringContaining("install the Pulumi CLI")]);
        expect(fs.existsSync(out)).toBe(false);
    });

    it("the command exits 1 with the message and writes nothing", () => {
        const out = path.join(tmp("refused"), "plan");
        const run = renderCli(["--stack", "heroku", "--out", out], { HEROKU_API_KEY: "" });
        expect([run.status, run.stderr]).toEqual([1, expect.stringContaining("actors:herokuApiKey is required")]);
        expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
        expect(fs.existsSync(out)).toBe(false);
    });
});
