/**
 * `pulumi <command> --stack S` for machines without Pulumi's Node.js language host (it cannot be built here): the real
 * CLI (.tools/bin/pulumi, or PULUMI_CLI_ROOT/bin/pulumi) runs the project's index.ts as the Automation API's inline
 * program, with the project folder as its working directory, so the engine, the plugins, the stack's
 * Pulumi.<stack>.yaml, its backend and secrets provider are exactly those of `pulumi <command>`.
 *
 *   npm run pulumi -- preview --stack k8s          (also: up, refresh, destroy)
 *
 * Options: --cwd DIR (the project folder; default this checkout), --target URN (repeatable), --policy-pack DIR
 * (repeatable), --events FILE (the engine's events as JSON, for tests), --expect-no-changes. Environment as for the
 * CLI: PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, PULUMI_HOME. Every other command (config, stack, state, and
 * `pulumi import`, which needs the language host: use the `import` resource option instead) is the CLI's own.
 */
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";

const ROOT = path.resolve(__dirname, "..");
const COMMANDS = ["preview", "up", "refresh", "destroy"] as const;
type Command = (typeof COMMANDS)[number];

interface Options {
    command: Command;
    stack: string;
    cwd: string;
    targets: string[];
    policyPacks: string[];
    events?: string;
    expectNoChanges: boolean;
}

const USAGE = `usage: npm run pulumi -- <${COMMANDS.join("|")}> --stack NAME [--cwd DIR] [--target URN]... [--policy-pack DIR]...
       [--events FILE] [--expect-no-changes]`;

class UsageError extends Error {}

export function parseArgs(argv: string[]): Options {
    const values: Record<string, string[]> = {};
    const flags = new Set<string>();
    let command: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (!arg.startsWith("--")) {
            if (command) throw new UsageError(`unexpected argument "${arg}"`);
            command = arg;
            continue;
        }
        const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
        if (["expect-no-changes", "help"].includes(name)) {
            flags.add(name);
            continue;
        }
        const value = inline ?? argv[++i];
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
        (values[name] ??= []).push(value);
    }
    if (flags.has("help")) throw new UsageError("");
    if (!command || !(COMMANDS as readonly string[]).includes(command))
        throw new UsageError(`the command must be one of ${COMMANDS.join(", ")}; got "${command ?? ""}"`);
    const known = ["stack", "cwd", "target", "policy-pack", "events"];
    const unknown = Object.keys(values).filter((k) => !known.includes(k));
    if (unknown.length) throw new UsageError(`unknown option --${unknown[0]}`);
    const one = (name: string) => values[name]?.at(-1);
    const stack = one("stack");
    if (!stack) throw new UsageError("--stack is required (for example --stack k8s)");
    return {
        command: command as Command,
        stack,
        cwd: path.resolve(one("cwd") ?? ROOT),
        targets: values["target"] ?? [],
        policyPacks: (values["policy-pack"] ?? []).map((p) => path.resolve(p)),
        events: one("events"),
        expectNoChanges: flags.has("expect-no-changes"),
    };
}

/** One resource step as the engine reported it (a resourcePreEvent of the events file --events writes). */
export interface EngineStep {
    op: string;
    urn: string;
    type: string;
    /** The resource's name (the URN's last part). */
    name: string;
    /** The provider reference (URN::id), empty for components. */
    provider: string;
    diffs: string[];
    replaces: string[];
    protect: boolean;
    /** A custom resource (not a component or the stack); providers are custom too. */
    custom: boolean;
    /** The inputs the step planned (the new ones, or the old for a delete). */
    inputs: Record<string, unknown>;
}

/** The resource steps of an events file's events, in the order the engine reported them. */
export function engineSteps(events: any[]): EngineStep[] {
    return events
        .filter((e) => e.resourcePreEvent)
        .map((e) => e.resourcePreEvent.metadata)
        .map((m) => ({
            op: m.op,
            urn: m.urn,
            type: m.type,
            name: String(m.urn).split("::").pop() ?? "",
            provider: m.provider ?? "",
            diffs: m.diffs ?? [],
            replaces: m.keys ?? [],
            protect: Boolean((m.new ?? m.old)?.protect),
            custom: Boolean((m.new ?? m.old)?.custom),
            inputs: (m.new ?? m.old)?.inputs ?? {},
        }));
}

/** The project's program, loaded afresh from the project folder, its working directory (as the language host's). */
function program(cwd: string) {
    return async () => {
        process.chdir(cwd);
        return require(path.join(cwd, "index.ts"));
    };
}

export async function run(opts: Options): Promise<number> {
    // Pulumi runs a program in its project folder: paths in the program (the image's build context) are relative to it.
    process.chdir(opts.cwd);
    const project = fs.readFileSync(path.join(opts.cwd, "Pulumi.yaml"), "utf8").match(/^name:\s*(\S+)/m)?.[1];
    if (!project) throw new UsageError(`${opts.cwd} holds no Pulumi.yaml with a project name`);
    // PULUMI_CLI_ROOT's CLI, else this checkout's .tools (built here), else `pulumi` on PATH (a user's, CI's).
    const built = path.join(ROOT, ".tools");
    const cliRoot =
        process.env.PULUMI_CLI_ROOT ?? (fs.existsSync(path.join(built, "bin", "pulumi")) ? built : undefined);
    const pulumiCommand = await PulumiCommand.get(cliRoot ? { root: cliRoot } : {});
    // The dynamic-provider plugin script that the npm @pulumi/pulumi ships, for any pulumi.dynamic.Resource.
    const sdkBin = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [opts.cwd] }));
    const envVars: Record<string, string> = {
        PATH: [...(cliRoot ? [path.join(cliRoot, "bin")] : []), process.env.PATH ?? "", sdkBin].join(path.delimiter),
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "1",
    };
    const stack: Stack = await LocalWorkspace.createOrSelectStack(
        { stackName: opts.stack, projectName: project, program: program(opts.cwd) },
        { workDir: opts.cwd, pulumiCommand, envVars },
    );
    const events: EngineEvent[] = [];
    const common = {
        onOutput: (out: string) => process.stdout.write(out),
        onError: (out: string) => process.stderr.write(out),
        onEvent: (e: EngineEvent) => events.push(e),
        target: opts.targets.length ? opts.targets : undefined,
        color: "never" as const,
    };
    const withPolicy = { ...common, policyPacks: opts.policyPacks.length ? opts.policyPacks : undefined };
    let failed: unknown;
    try {
        switch (opts.command) {
            case "preview":
                await stack.preview({ ...withPolicy, expectNoChanges: opts.expectNoChanges, diff: false });
                break;
            case "up":
                await stack.up({ ...withPolicy, expectNoChanges: opts.expectNoChanges });
                break;
            case "refresh":
                await stack.refresh({ ...common, expectNoChanges: opts.expectNoChanges });
                break;
            case "destroy":
                await stack.destroy(common);
                break;
        }
    } catch (err) {
        failed = err;
    } finally {
        if (opts.events) fs.writeFileSync(opts.events, JSON.stringify(events));
    }
    if (failed) {
        // The CLI has already printed its diagnostics; say once, without a stack trace, that the command failed.
        const e = failed as { commandResult?: { code?: number } };
        process.stderr.write(`\npulumi ${opts.command} --stack ${opts.stack} failed\n`);
        return e.commandResult?.code || 1;
    }
    return 0;
}

if (require.main === module) {
    let opts: Options;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        if (err.message) process.stderr.write(`error: ${err.message}\n`);
        process.stderr.write(`${USAGE}\n`);
        process.exit(err.message ? 2 : 0);
    }
    run(opts).then(
        (code) => process.exit(code),
        (err) => {
            process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exit(1);
        },
    );
}
