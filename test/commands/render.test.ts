import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { ROOT, validateKubernetesObject } from "../support/helpers";

function render(stack: string): Map<string, string> {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `render-${stack}-`));
    execFileSync(
        path.join(ROOT, "node_modules", ".bin", "ts-node"),
        ["--transpile-only", "cli/render.ts", "--stack", stack, "--out", out],
        {
            cwd: ROOT,
            env: { ...process.env, HEROKU_API_KEY: "" },
            encoding: "utf8",
        },
    );
    const files = new Map<string, string>();
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, e.name);
            if (e.isDirectory()) walk(full);
            else files.set(path.relative(out, full), fs.readFileSync(full, "utf8"));
        }
    };
    walk(out);
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

    it("refuses a stack it does not know", () => {
        expect(() => render("aws")).toThrow();
    });
});
