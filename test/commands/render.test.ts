import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { ConfigRefused, MANIFEST, parseArgs, renderPlan, UsageError, writePlan } from "../../cli/render";
import { ROOT, validateKubernetesObject } from "../support/helpers";

/** The plan makes no Heroku call; like `pulumi preview`, it wants a key all the same (CI passes a placeholder). */
const OFFLINE_KEY = "offline-plan-placeholder";

/** Runs `npm run render` (ts-node, as npm does) with the given arguments. */
function renderCli(args: string[], env: Record<string, string> = {}) {
    return spawnSync(
        path.join(ROOT, "node_modules", ".bin", "ts-node"),
        ["--transpile-only", "cli/render.ts", ...args],
        {
            cwd: ROOT,
            env: { ...process.env, HEROKU_API_KEY: OFFLINE_KEY, ...env },
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

function render(stack: string): Map<string, string> {
    const out = tmp(stack);
    execFileSync(
        path.join(ROOT, "node_modules", ".bin", "ts-node"),
        ["--transpile-only", "cli/render.ts", "--stack", stack, "--out", out],
        { cwd: ROOT, env: { ...process.env, HEROKU_API_KEY: OFFLINE_KEY }, encoding: "utf8" },
    );
    const files = readTree(out);
    fs.rmSync(out, { recursive: true, force: true });
    return files;
}

describe("npm run render", () => {
    const k8s = render("k8s");
    const heroku = render("heroku");

    it("gives byte-identical output for the same input", () => {
        expect(render("k8s")).toEqual(k8s);
        expect(render("heroku")).toEqual(heroku);
    });

    it("writes every Kubernetes object as valid YAML, Namespace first, and each Helm release with chart, version and values", () => {
        const objects = [...k8s.keys()].filter((f) => f.startsWith("kubernetes/")).sort();
        expect(objects[0]).toBe("kubernetes/00-namespace-actors.yaml");
        expect(objects).toContain("kubernetes/50-deployment-actors-web.yaml");
        for (const f of objects) validateKubernetesObject(yaml.load(k8s.get(f)!) as any);
        const cluster = yaml.load(k8s.get("helm/actors-db.yaml")!) as any;
        expect(cluster).toMatchObject({
            chart: "cluster",
            version: "0.8.1",
            repository: "https://cloudnative-pg.github.io/charts",
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
        const secret = yaml.load(k8s.get("kubernetes/10-secret-actors-db-app.yaml")!) as any;
        expect(Object.values(secret.stringData)).toEqual(Array(6).fill("<redacted>"));
        expect([...k8s.values()].join("\n")).not.toMatch(/postgresql:\/\/app:/);
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
        expect((yaml.load(heroku.get("heroku/postgresaddon-heroku-postgres.yaml")!) as any).properties.plan).toBe(
            "essential-0",
        );
        expect([...heroku.values()].join("\n")).not.toContain("__provider");
    });

    it("records what it wrote in its manifest", () => {
        const manifest = JSON.parse(k8s.get(MANIFEST)!);
        expect(manifest.files).toEqual([...k8s.keys()].filter((f) => f !== MANIFEST).sort());
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

    it("the command exits 1 with the message and writes nothing", () => {
        const out = path.join(tmp("refused"), "plan");
        const run = renderCli(["--stack", "heroku", "--out", out], { HEROKU_API_KEY: "" });
        expect([run.status, run.stderr]).toEqual([1, expect.stringContaining("actors:herokuApiKey is required")]);
        expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
        expect(fs.existsSync(out)).toBe(false);
    });
});
