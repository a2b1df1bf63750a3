/** What the lifecycle tests read from a run: the operations planned, the errors, and where a secret shows. */
import { SETTINGS, settingKeys } from "../../../components/config";
import { BinaryProvider } from "./binaryProviders";
import { Engine, messages, Op, ProgramSpec, RunResult, StackState } from "./engine";
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

/** The settings that apply to a platform (the table's `platform` field: the platform's own and those of both). */
export function settingsOf(platform: "k8s" | "heroku"): string[] {
    return settingKeys.filter((key) => key !== "platform" && [platform, "both"].includes(SETTINGS[key].platform));
}

/**
 * One setting changed on the deployed stack (on a copy of its state): preview, then up. Expects the two to agree;
 * nothing applied that the preview did not show; no plain secret; or, refused, a message naming the setting (or,
 * with `protectRefusalInPreview`, the engine's refusal to replace a protected resource, already in the preview);
 * and never a delete or replace of a protected resource (unless the change is to protection itself).
 */
export async function expectSettingChange(
    engine: Engine,
    deployed: StackState,
    key: string,
    spec: ProgramSpec,
    opts: { binary: BinaryProvider; secrets: string[]; protectRefusalInPreview?: boolean },
): Promise<{ planned: RunResult; applied: RunResult; trial: StackState }> {
    const trial = deployed.clone();
    const protectedOnes = deployed.resources.filter((r) => r.protect);
    const planned = await engine.up(trial, spec, { binary: opts.binary, preview: true });
    const applied = await engine.up(trial, spec, { binary: opts.binary });
    expect({ preview: planned.ok, up: applied.ok, errors: errors(applied) }).toMatchObject({ preview: applied.ok });
    if (applied.ok) {
        // Nothing happens that the preview did not show (a preview may show more: what it cannot know is unknown).
        expect(changes(applied).filter((c) => !changes(planned).includes(c))).toEqual([]);
        expect(plainSecretsIn(applied, trial, opts.secrets)).toEqual([]);
    } else {
        const refusal = protectedOnes
            .map((r) => messages.replaceProtected(r.urn))
            .find((m) => errors(applied).includes(m));
        if (refusal && opts.protectRefusalInPreview) expect(errors(planned)).toContain(refusal);
        else expect(errors(applied)).toContain(`actors:${key}`);
    }
    if (key !== "protectDatabase") {
        const names = protectedOnes.map((r) => `::${r.name}`);
        expect(opsOn(applied, "delete", "replace").filter((c) => names.some((n) => c.endsWith(n)))).toEqual([]);
        expect(trial.resources.filter((r) => r.protect).map((r) => `${r.urn}=${r.id}`)).toEqual(
            protectedOnes.map((r) => `${r.urn}=${r.id}`),
        );
    }
    return { planned, applied, trial };
}
