import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../support/helpers";

const actionlint = path.join(ROOT, "node_modules", "@tktco", "node-actionlint", "bin", "node-actionlint.js");
const workflows = path.join(ROOT, ".github", "workflows");
const load = (name: string) => yaml.load(fs.readFileSync(path.join(workflows, name), "utf8")) as any;

function lint(cwd: string) {
    const result = spawnSync(process.execPath, [actionlint], { cwd, encoding: "utf8" });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("GitHub workflows", () => {
    it("have no actionlint findings", () => {
        const { status, output } = lint(ROOT);
        expect(output).toContain("passed lint checks");
        expect(status).toBe(0);
    });

    it("pass pulumi/actions inputs that exist (checked against v6, the newest input list actionlint knows; v7 only moved to Node 24)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
        fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
        for (const file of fs.readdirSync(workflows)) {
            const text = fs
                .readFileSync(path.join(workflows, file), "utf8")
                .replace(/pulumi\/actions@v7/g, "pulumi/actions@v6");
            fs.writeFileSync(path.join(dir, ".github", "workflows", file), text);
        }
        const { status, output } = lint(dir);
        fs.rmSync(dir, { recursive: true, force: true });
        expect(output).toContain("passed lint checks");
        expect(status).toBe(0);
    });

    it("preview: both stacks, tests first, policy pack, comment and summary, newer pushes cancel older runs", () => {
        const wf = load("preview.yml");
        expect(Object.keys(wf.on)).toEqual(["pull_request"]);
        expect(wf.concurrency).toEqual({
            group: "preview-${{ github.event.pull_request.number }}",
            "cancel-in-progress": true,
        });
        expect(wf.jobs.preview.needs).toBe("test");
        expect(wf.jobs.preview.strategy.matrix.stack).toEqual(["k8s", "heroku"]);
        const step = wf.jobs.preview.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
        expect(step.uses).toBe("pulumi/actions@v7");
        expect(step.with).toMatchObject({
            command: "preview",
            "comment-on-pr": true,
            "comment-on-summary": true,
            policyPacks: "policy",
        });
        const offline = wf.jobs.preview.steps.find((s: any) => s.name?.startsWith("Offline plan diff"));
        expect(offline.run).toContain("npm run render -- --stack");
        expect(offline.if).toContain("PULUMI_ACCESS_TOKEN == ''");
    });

    it("deploy: pulumi up per stack in its environment, one run at a time per stack", () => {
        const wf = load("deploy.yml");
        expect(wf.on.push.branches).toEqual(["main"]);
        const job = wf.jobs.deploy;
        expect(job.environment).toBe("${{ matrix.stack }}");
        expect(job.concurrency).toEqual({ group: "deploy-${{ matrix.stack }}", "cancel-in-progress": false });
        const step = job.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
        expect(step.with).toMatchObject({ command: "up", policyPacks: "policy" });
    });

    it("the test job runs exactly what CI runs", () => {
        expect(load("test.yml").jobs.test.steps.pop().run).toContain("bash .ci/run");
    });
});
