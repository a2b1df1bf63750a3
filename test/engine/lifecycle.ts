/** What the lifecycle tests read from a run: the operations planned, the errors, and where a secret shows. */
import { CONFIG_SCHEMA, KeySpec } from "../../components/config";
import { Op, RunResult, StackState } from "./engine";
import { encryptSecrets } from "./values";

/**
 * Every operation on a custom resource (providers excluded) other than `same`, as "op type::name", sorted; a
 * replacement counts once (as `pulumi up` shows it), not as its create and delete.
 */
export function changes(run: RunResult): string[] {
    return run.steps
        .filter((s) => s.op !== "same" && !s.replacing && !s.type.startsWith("pulumi:providers:") && isCustom(s.type))
        .map((s) => `${s.op} ${s.type.split(":").pop()}::${s.name}`)
        .sort();
}

/** Components and the stack have types of the form project:module:Type and no provider package. */
const isCustom = (type: string) =>
    /^(kubernetes|docker|random|pulumi-nodejs):/.test(type) || type.startsWith("pulumi:providers:");

export function opsOn(run: RunResult, ...ops: Op[]): string[] {
    return changes(run).filter((c) => ops.some((op) => c.startsWith(`${op} `)));
}

/** Everything the run reported as an error, the engine's own error included. */
export function errors(run: RunResult): string {
    return [run.error ?? "", ...run.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)].join("\n");
}

/** Fails with the run's errors when it did not succeed (jest prints the message). */
export function expectOk(run: RunResult): RunResult {
    if (!run.ok) throw new Error(`the run failed:\n${errors(run)}\n--- stderr\n${run.stderr.slice(-4000)}`);
    return run;
}

/**
 * Where any of the plaintexts appears: the state file (secrets encrypted, as Pulumi writes it), the diagnostics, the
 * program's and plugin's output, the stack outputs as displayed (secrets hidden). Debug diagnostics are left out:
 * @pulumi/pulumi itself logs each RegisterResource response at debug level, secret values included (shown only
 * with `pulumi up --debug`); that is the SDK's, not the program's.
 */
export function plainSecretsIn(run: RunResult, state: StackState, plaintexts: string[]): string[] {
    const places: Record<string, string> = {
        state: state.serialize(),
        diagnostics: JSON.stringify(run.diagnostics.filter((d) => d.severity !== "debug")),
        stdout: run.stdout,
        stderr: run.stderr,
        outputs: JSON.stringify(encryptSecrets(run.outputs, Buffer.alloc(32))),
    };
    return Object.entries(places).flatMap(([where, text]) =>
        plaintexts.filter((p) => p && text.includes(p)).map((p) => `${where} contains ${p.slice(0, 6)}...`),
    );
}

/** The settings that apply to a platform (CONFIG_SCHEMA's descriptions say "k8s:" or "heroku:"; others both). */
export function settingsOf(platform: "k8s" | "heroku"): string[] {
    const other = platform === "k8s" ? "heroku:" : "k8s:";
    return Object.entries(CONFIG_SCHEMA as Record<string, KeySpec>)
        .filter(([key, spec]) => key !== "platform" && !spec.description.startsWith(other))
        .map(([key]) => key);
}
