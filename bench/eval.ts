/**
 * One `pulumi preview` of a new stack through the real CLI and engine (tools/pulumi.ts: the program as the Automation
 * API's inline program), on a copy of the project with a file backend of its own. Prints
 * {"program", "round", "wallMs", "maxRssMb", "resources"} as a JSON line per preview: the wall time of the whole
 * preview (CLI, engine, plugins and program) and the peak resident memory of the process that evaluates the program.
 * `empty` is a project that declares nothing: the ratio to it is what the program itself costs. The k8s stack checks
 * its cluster before it declares anything, so bench/run.py runs this inside `npm run dev-cluster` (the tests' control
 * plane, with the stand-in charts at ACTORS_CHART_REPOSITORY):
 *   npm run dev-cluster -- node -r ts-node/register/transpile-only bench/eval.ts --rounds 5 empty k8s heroku
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { copyProject, removeProject, ROOT } from "../tools/checkout";

function preview(which: string, round: number) {
    const dir = copyProject();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "actors-bench-pulumi-"));
    try {
        if (which === "empty") fs.copyFileSync(path.join(ROOT, "bench", "emptyProgram.ts"), path.join(dir, "index.ts"));
        const events = path.join(home, "events.json");
        // Charts cannot be fetched offline: the k8s preview reads them from the mirror the caller names.
        if (which === "k8s" && process.env.ACTORS_CHART_REPOSITORY)
            fs.appendFileSync(
                path.join(dir, "Pulumi.k8s.yaml"),
                `  actors:chartRepository: ${process.env.ACTORS_CHART_REPOSITORY}\n`,
            );
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
                round,
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

function main() {
    const args = process.argv.slice(2);
    const at = args.indexOf("--rounds");
    const rounds = at >= 0 ? Number(args.splice(at, 2)[1]) : 1;
    const programs = args.length ? args : ["empty", "k8s", "heroku"];
    if (!programs.every((p) => ["k8s", "heroku", "empty"].includes(p)) || !(rounds >= 1))
        throw new Error("usage: bench/eval.ts [--rounds N] [empty|k8s|heroku]...");
    // Rounds alternate the programs, so drift in the machine's load falls on each alike.
    for (let round = 1; round <= rounds; round++) for (const p of programs) preview(p, round);
}

main();
