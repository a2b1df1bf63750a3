/**
 * The program of a checkout run through the real Pulumi CLI (.tools/bin/pulumi): the Automation API's inline
 * program (the Node language host cannot be had here), a file backend, a passphrase secrets provider and a
 * PULUMI_HOME of its own. Each operation runs in a child Node process whose working directory is the checkout, so
 * every run loads the program afresh (as `pulumi up` does) and module caches never mix between checkouts.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

export type Operation = "preview" | "up" | "destroy" | "export" | "import";

export interface CliStack {
    /** The checkout: the project folder (Pulumi.yaml), the program's working directory and the CLI's workDir. */
    dir: string;
    stack: string;
    /** file:// backend folder, PULUMI_HOME and passphrase: one set per test. */
    backend: string;
    home: string;
    passphrase: string;
    config: Record<string, string>;
    secrets: Record<string, string>;
    /** Environment of the CLI (and so of every plugin it starts) and of the program. */
    env: NodeJS.ProcessEnv;
}

/** A step the engine reported (resourcePreEvent): what it did, or in a preview would do, to which resource. */
export interface Step {
    op: string;
    urn: string;
    type: string;
    /** The property keys that caused a replace, or that differ. */
    keys: string[];
    diffs: string[];
}

export interface OpResult {
    ok: boolean;
    error?: string;
    steps: Step[];
    /** Everything the CLI printed. */
    stdout: string;
    /** How long the operation itself took (after the stack was selected and configured). */
    outputs?: Record<string, unknown>;
    deployment?: unknown;
    seconds: number;
}

/** A new stack of `dir`, with its own backend and PULUMI_HOME in a temporary folder. */
export function cliStack(dir: string, stack: string, extra: Partial<CliStack> = {}): CliStack {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "actors-pulumi-"));
    fs.mkdirSync(path.join(tmp, "backend"));
    return {
        dir,
        stack,
        backend: path.join(tmp, "backend"),
        home: path.join(tmp, "home"),
        passphrase: "test-passphrase",
        config: {},
        secrets: {},
        env: {},
        ...extra,
    };
}

/** The environment the CLI runs with: offline, quiet, this stack's backend, `PATH` first. */
export function cliEnv(s: CliStack, pathFirst: string[] = []): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_CONFIG_PASSPHRASE: s.passphrase,
        PULUMI_BACKEND_URL: `file://${s.backend}`,
        PULUMI_HOME: s.home,
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        ...s.env,
        PATH: [...pathFirst, path.dirname(process.execPath), s.env.PATH ?? process.env.PATH].join(path.delimiter),
    };
}

/** Runs one operation on the stack (created on first use) in a child process; `input` is import's deployment. */
export async function pulumi(s: CliStack, op: Operation, input?: unknown, pathFirst: string[] = []): Promise<OpResult> {
    const resultFile = path.join(path.dirname(s.backend), `result-${Date.now()}-${Math.random()}.json`);
    const job = { ...s, op, input, resultFile, pulumiRoot: path.join(ROOT, ".tools") };
    const env = { ...cliEnv(s, pathFirst), ACTORS_PULUMI_JOB: JSON.stringify(job) };
    const child = await new Promise<{ stdout: string; stderr: string }>((resolve) =>
        execFile(
            process.execPath,
            ["-r", require.resolve("ts-node/register/transpile-only"), __filename],
            { cwd: s.dir, env, maxBuffer: 256 * 1024 * 1024 },
            (_err, stdout, stderr) => resolve({ stdout, stderr }),
        ),
    );
    if (!fs.existsSync(resultFile))
        return { ok: false, error: `${child.stderr}\n${child.stdout}`, steps: [], stdout: child.stdout, seconds: 0 };
    const result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as OpResult;
    fs.rmSync(resultFile);
    return result;
}

/** The child: one Automation API operation on the inline program `<dir>/index.ts`. */
async function runJob(job: CliStack & { op: Operation; input?: unknown; resultFile: string; pulumiRoot: string }) {
    const { LocalWorkspace, PulumiCommand } = await import("@pulumi/pulumi/automation");
    let started = Date.now();
    const steps: Step[] = [];
    let stdout = "";
    const result: OpResult = { ok: false, steps, stdout, seconds: 0 };
    try {
        const pulumiCommand = await PulumiCommand.get({ root: job.pulumiRoot, skipVersionCheck: true });
        const envVars = Object.fromEntries(
            Object.entries(process.env).filter(([k, v]) => v !== undefined && k !== "ACTORS_PULUMI_JOB"),
        ) as Record<string, string>;
        const stack = await LocalWorkspace.createOrSelectStack(
            {
                stackName: job.stack,
                projectName: "actors",
                program: async () => require(path.join(job.dir, "index.ts")),
            },
            { workDir: job.dir, pulumiCommand, envVars, pulumiHome: job.home },
        );
        const config = {
            ...Object.fromEntries(Object.entries(job.config).map(([k, value]) => [k, { value }])),
            ...Object.fromEntries(Object.entries(job.secrets).map(([k, value]) => [k, { value, secret: true }])),
        };
        if (Object.keys(config).length) await stack.setAllConfig(config);
        const onEvent = (e: any) => {
            const m = e.resourcePreEvent?.metadata;
            if (m) steps.push({ op: m.op, urn: m.urn, type: m.type, keys: m.keys ?? [], diffs: m.diffs ?? [] });
        };
        const onOutput = (out: string) => void (stdout += out);
        started = Date.now();
        if (job.op === "preview") await stack.preview({ onEvent, onOutput, diff: true });
        else if (job.op === "up") result.outputs = (await stack.up({ onEvent, onOutput })).outputs;
        else if (job.op === "destroy") await stack.destroy({ onEvent, onOutput });
        // As `pulumi stack export` writes it (the Automation API's exportStack adds --show-secrets).
        else if (job.op === "export")
            result.deployment = JSON.parse(
                (await (pulumiCommand as any).run(["stack", "export", "--stack", job.stack], job.dir, envVars)).stdout,
            );
        else if (job.op === "import") await stack.importStack(job.input as any);
        result.ok = true;
    } catch (err) {
        result.error = String((err as Error)?.message ?? err);
    }
    result.stdout = stdout;
    result.seconds = (Date.now() - started) / 1000;
    fs.writeFileSync(job.resultFile, JSON.stringify(result));
}

if (require.main === module && process.env.ACTORS_PULUMI_JOB)
    runJob(JSON.parse(process.env.ACTORS_PULUMI_JOB)).then(
        () => process.exit(0),
        (err) => {
            console.error(err);
            process.exit(1);
        },
    );
