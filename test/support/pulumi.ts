/**
 * The real Pulumi CLI, for the lifecycle tests: each command is one `npm run pulumi` process (tools/pulumi.ts: the
 * project's program as the Automation API's inline program, the real engine and plugins), on a stack of its own with
 * a file backend, a temporary PULUMI_HOME and a passphrase secrets provider. Config is set with the CLI itself.
 */
import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { copyProject, removeProject, ROOT } from "../../tools/checkout";
import { engineSteps, EngineStep } from "../../tools/pulumi";
import { PLUGINS_BIN, policyPackExecutable } from "./plugins/policyPack";

const run = promisify(execFile);

export const TOOLS_BIN = path.join(ROOT, ".tools", "bin");
const DRIVER = path.join(ROOT, "tools", "pulumi.ts");
const PASSPHRASE = "lifecycle-test-passphrase";

export type Op = "create" | "update" | "delete" | "replace" | "same" | "read" | "refresh" | "import" | string;

export type Step = EngineStep;

export interface RunResult {
    ok: boolean;
    command: string;
    stdout: string;
    stderr: string;
    steps: Step[];
    /** Every diagnostic the engine reported (errors, warnings, info), with the resource it is about. */
    diagnostics: { severity: string; message: string; urn?: string }[];
    /** Stack outputs after the command (up only), secrets shown as "[secret]". */
    outputs: Record<string, unknown>;
}

export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    protect?: boolean;
    custom: boolean;
    inputs?: Record<string, any>;
    outputs?: Record<string, any>;
    parent?: string;
    dependencies?: string[];
    provider?: string;
}

/** A stack of a project folder, driven by the real CLI. */
export class PulumiStack {
    readonly env: NodeJS.ProcessEnv;

    private constructor(
        readonly dir: string,
        readonly stack: string,
        readonly home: string,
        private readonly extraEnv: NodeJS.ProcessEnv,
    ) {
        this.env = {
            ...process.env,
            PULUMI_HOME: path.join(home, "pulumi-home"),
            PULUMI_BACKEND_URL: `file://${path.join(home, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK: "1",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "1",
            ...extraEnv,
            // The CLI, the plugins that stand in for those that cannot be built here, and this Node.js first.
            PATH: [TOOLS_BIN, PLUGINS_BIN, path.dirname(process.execPath), extraEnv.PATH ?? process.env.PATH].join(
                path.delimiter,
            ),
        };
    }

    /** Creates (or selects) the stack `stack` of the project in `dir`, with its state under a new temporary folder. */
    static async open(dir: string, stack: string, env: NodeJS.ProcessEnv = {}): Promise<PulumiStack> {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "actors-pulumi-"));
        fs.mkdirSync(path.join(home, "state"));
        const s = new PulumiStack(dir, stack, home, env);
        await s.cli(["stack", "select", "--create"]); // the stack: cli's --stack
        return s;
    }

    /** The same state and stack, seen from another project folder (another checkout). */
    at(dir: string): PulumiStack {
        return new PulumiStack(dir, this.stack, this.home, this.env);
    }

    /** Runs the real CLI itself (config, stack export/import, state ...). */
    async cli(args: string[]): Promise<string> {
        // Before a `--` (after it, everything is a value).
        const end = args.includes("--") ? args.indexOf("--") : args.length;
        const withStack = [...args.slice(0, end), "--stack", this.stack, ...args.slice(end)];
        const { stdout } = await run(path.join(TOOLS_BIN, "pulumi"), withStack, {
            cwd: this.dir,
            env: this.env,
            maxBuffer: 64 * 1024 * 1024,
        });
        return stdout;
    }

    /** `pulumi config set`; with `path`, keys are paths into a list or map (`actors:appEnv[0]`). */
    async setConfig(values: Record<string, string>, opts: { secret?: boolean; path?: boolean } = {}): Promise<void> {
        const flags = [...(opts.secret ? ["--secret"] : []), ...(opts.path ? ["--path"] : [])];
        for (const [key, value] of Object.entries(values))
            await this.cli(["config", "set", ...flags, key, "--", value]);
    }

    async removeConfig(...keys: string[]): Promise<void> {
        for (const key of keys) await this.cli(["config", "rm", key]);
    }

    /** A preview with the project's policy pack (policy/) run by the CLI as an analyzer. */
    previewWithPolicies(...extra: string[]) {
        const pack = policyPackExecutable(path.join(ROOT, "policy"), this.home);
        return this.command("preview", ["--policy-pack", pack, ...extra]);
    }

    preview(...extra: string[]) {
        return this.command("preview", extra);
    }
    up(...extra: string[]) {
        return this.command("up", extra);
    }
    refresh(...extra: string[]) {
        return this.command("refresh", extra);
    }
    destroy(...extra: string[]) {
        return this.command("destroy", extra);
    }

    /** One `npm run pulumi -- <command>` process; never throws for a failed command (see RunResult.ok). */
    async command(command: string, extra: string[] = []): Promise<RunResult> {
        const events = path.join(this.home, `events-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
        const args = ["-r", "ts-node/register/transpile-only", DRIVER, command, "--stack", this.stack];
        args.push("--cwd", this.dir, "--events", events, ...extra);
        const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
            (resolve) => {
                const child = spawn(process.execPath, args, { cwd: ROOT, env: this.env });
                let out = "",
                    err = "";
                child.stdout.on("data", (d) => (out += d));
                child.stderr.on("data", (d) => (err += d));
                child.on("close", (c) => resolve({ code: c ?? 1, stdout: out, stderr: err }));
            },
        );
        const raw: any[] = fs.existsSync(events) ? JSON.parse(fs.readFileSync(events, "utf8")) : [];
        fs.rmSync(events, { force: true });
        const steps: Step[] = engineSteps(raw);
        // What a refresh found different is known once it read the resource (its outputs event).
        const refreshed = new Map<string, string[]>(
            raw
                .filter((e) => e.resOutputsEvent?.metadata?.op === "refresh")
                .map((e) => [e.resOutputsEvent.metadata.urn, e.resOutputsEvent.metadata.diffs ?? []]),
        );
        for (const step of steps) if (step.op === "refresh") step.diffs = refreshed.get(step.urn) ?? step.diffs;
        const diagnostics = raw
            .filter((e) => e.diagnosticEvent)
            .map((e) => ({
                severity: e.diagnosticEvent.severity,
                message: String(e.diagnosticEvent.message),
                urn: e.diagnosticEvent.urn,
            }));
        let outputs: Record<string, unknown> = {};
        if (code === 0 && command === "up") outputs = await this.outputs();
        return { ok: code === 0, command, stdout, stderr, steps, diagnostics, outputs };
    }

    /** Stack outputs; secrets as "[secret]" (as `pulumi stack output --json` shows them). */
    async outputs(): Promise<Record<string, unknown>> {
        return JSON.parse(await this.cli(["stack", "output", "--json"]));
    }

    /** The checkpoint as `pulumi stack export` writes it (secrets encrypted). */
    async exportText(): Promise<string> {
        return this.cli(["stack", "export"]);
    }

    /** The resources of the state, as `pulumi stack export` shows them (secrets left encrypted). */
    async resources(): Promise<StateResource[]> {
        const deployment = JSON.parse(await this.exportText()).deployment;
        return (deployment.resources ?? []).map((r: any) => ({ ...r, custom: Boolean(r.custom) }));
    }

    /**
     * A copy of this stack (its checkout, stack file and state) in new temporary folders, to try things without
     * touching this one. dispose() removes both.
     */
    async fork(): Promise<PulumiStack> {
        const copy = await this.sibling();
        const file = path.join(copy.home, "checkpoint.json");
        fs.writeFileSync(file, await this.exportText());
        await copy.cli(["stack", "import", "--file", file]);
        return copy;
    }

    /**
     * A new, empty stack of the same name, environment and secrets, on a copy of this checkout (its stack file
     * included) with a state of its own. dispose({ checkout: true }) removes both.
     */
    async sibling(env: NodeJS.ProcessEnv = {}): Promise<PulumiStack> {
        return PulumiStack.open(copyProject(this.dir), this.stack, { ...this.extraEnv, ...env });
    }

    /** Removes the stack's state folder (and its checkout, when it is a copy). */
    dispose(opts: { checkout?: boolean } = {}): void {
        if (this.home.startsWith(os.tmpdir())) fs.rmSync(this.home, { recursive: true, force: true });
        if (opts.checkout) removeProject(this.dir);
    }
}

/** Custom resources only (not components, the stack, or providers). */
const isCustomStep = (s: Step) => s.custom && !s.type.startsWith("pulumi:providers:");

/**
 * Every operation on a custom resource other than `same`, as "op Type::name", sorted; a replacement counts once (as
 * `pulumi up` shows it), not as its create and delete halves.
 */
export function changes(r: RunResult): string[] {
    return r.steps
        .filter(
            (s) =>
                isCustomStep(s) &&
                !["same", "create-replacement", "delete-replaced", "discard-replaced"].includes(s.op) &&
                // A refresh visits every resource; it changes only those whose state differed.
                !(s.op === "refresh" && s.diffs.length === 0),
        )
        .map((s) => `${s.op} ${s.type.split(":").pop()}::${s.name}`)
        .sort();
}

export function opsOn(r: RunResult, ...ops: Op[]): string[] {
    return changes(r).filter((c) => ops.some((op) => c.startsWith(`${op} `)));
}

/** Everything the run reported as an error, with the CLI's own output. */
export function errors(r: RunResult): string {
    return [...r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), r.stderr, r.stdout].join(
        "\n",
    );
}

/** Fails with the run's errors when it did not succeed (jest prints the message). */
export function expectOk(r: RunResult): RunResult {
    if (!r.ok) throw new Error(`pulumi ${r.command} failed:\n${errors(r).slice(-6000)}`);
    return r;
}

/** Where any of the plaintexts shows: the state as exported, the CLI's output, the diagnostics, the outputs. */
export async function plainSecretsIn(
    stack: PulumiStack,
    run: { stdout: string; stderr: string; diagnostics: unknown[]; outputs: unknown },
    plaintexts: string[],
): Promise<string[]> {
    const places: Record<string, string> = {
        state: await stack.exportText(),
        stackFile: fs.readFileSync(path.join(stack.dir, `Pulumi.${stack.stack}.yaml`), "utf8"),
        stdout: run.stdout,
        stderr: run.stderr,
        // @pulumi/pulumi itself logs each RegisterResource response at debug level, secrets included (shown only with
        // `pulumi up --debug`): that is the SDK's, not the program's, so debug lines are left out.
        diagnostics: JSON.stringify((run.diagnostics as { severity?: string }[]).filter((d) => d.severity !== "debug")),
        outputs: JSON.stringify(run.outputs),
    };
    return Object.entries(places).flatMap(([where, text]) =>
        plaintexts.filter((p) => p && text.includes(p)).map((p) => `${where} contains ${p.slice(0, 6)}...`),
    );
}
