/**
 * One `pulumi preview` of a new stack through the real CLI and engine (tools/pulumi.ts: the program as the Automation
 * API's inline program), on a copy of the project with a file backend of its own. Prints
 * {"program", "wallMs", "maxRssMb", "resources"} as JSON: the wall time of the whole preview (CLI, engine, plugins
 * and program) and the peak resident memory of the process that evaluates the program. Run by bench/run.py:
 *   node -r ts-node/register/transpile-only bench/eval.ts k8s|heroku|empty
 * `empty` is a project that declares nothing: the ratio to it is what the program itself costs.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { copyProject, removeProject, ROOT } from "../tools/checkout";

function main() {
    const which = process.argv[2];
    if (!["k8s", "heroku", "empty"].includes(which)) throw new Error("usage: bench/eval.ts k8s|heroku|empty");
    const dir = copyProject();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "actors-bench-pulumi-"));
    try {
        if (which === "empty") fs.copyFileSync(path.join(ROOT, "bench", "emptyProgram.ts"), path.join(dir, "index.ts"));
        const events = path.join(home, "events.json");
        const stack = which === "empty" ? "empty" : which;
        const env = {
            ...process.env,
            PATH: [
                path.join(ROOT, ".tools", "bin"),
                // The docker and random plugins cannot be built here: their stand-ins serve the preview's Check.
                path.join(ROOT, "test", "support", "plugins", "bin"),
                process.env.PATH,
            ].join(path.delimiter),
            PULUMI_HOME: path.join(home, "home"),
            PULUMI_BACKEND_URL: `file://${home}`,
            PULUMI_CONFIG_PASSPHRASE: "bench",
            HEROKU_API_KEY: process.env.HEROKU_API_KEY || "bench",
        };
        const started = process.hrtime.bigint();
        const run = spawnSync(
            "/usr/bin/time",
            [
                "-f",
                "maxrss_kb=%M",
                process.execPath,
                "-r",
                "ts-node/register/transpile-only",
                path.join(ROOT, "tools", "pulumi.ts"),
                "preview",
                "--stack",
                stack,
                "--cwd",
                dir,
                "--events",
                events,
            ],
            { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
        );
        const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
        if (run.status !== 0) throw new Error(`preview of ${which} failed:\n${run.stdout}\n${run.stderr}`);
        const rssKb = Number(/maxrss_kb=(\d+)/.exec(run.stderr)?.[1] ?? 0);
        const steps = (JSON.parse(fs.readFileSync(events, "utf8")) as any[]).filter((e) => e.resourcePreEvent);
        process.stdout.write(
            JSON.stringify({
                program: which,
                wallMs: Math.round(wallMs),
                maxRssMb: Math.round((rssKb / 1024) * 10) / 10,
                resources: steps.filter((e) => e.resourcePreEvent.metadata.type !== "pulumi:pulumi:Stack").length,
            }) + "\n",
        );
    } finally {
        removeProject(dir);
        fs.rmSync(home, { recursive: true, force: true });
    }
}

main();
