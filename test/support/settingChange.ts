/**
 * One setting changed on a deployed stack, through the real CLI, on a fork of it (its own checkout and state):
 * preview, then up. The two must agree; nothing is applied that the preview did not show; no secret appears in plain
 * text; or, refused, the message names the setting and nothing was applied. A protected resource is never deleted or
 * replaced (unless the change is to the protection itself).
 *
 * On a world shared by every fork (`sharedWorld`: the k8s stack's one cluster), the fork's settings are put back and
 * `pulumi up` runs once more when its change created, replaced or deleted anything, which undoes it: otherwise the
 * next fork, whose state does not know of it, would create those objects again and collide (a Helm release name in
 * use, a field owned by another server-side-apply manager), or expect objects that are gone. (A targeted
 * `pulumi destroy` cannot: every resource is a dependency of the destroy guard, which the engine would then have to
 * delete too.)
 */
import * as fs from "fs";
import * as path from "path";
import { SETTINGS } from "../../components/config";
import type { Platform } from "../../components/config/settings";
import { changes, errors, Op, opsOn, plainSecretsIn, PulumiStack, RunResult } from "./pulumi";

/** The operations after which the shared world holds other objects than the next fork's state knows. */
const ALTERS_WHAT_EXISTS: Op[] = ["create", "replace", "create-replacement", "delete", "delete-replaced"];

export interface SettingChange {
    /** Plain settings, as `pulumi config set`. */
    config?: Record<string, string>;
    /** Secret settings, as `pulumi config set --secret`. */
    secrets?: Record<string, string>;
    /** List or map settings by path, as `pulumi config set --path 'actors:appEnv[0]' ...`. */
    paths?: Record<string, string>;
}

/** The settings a stack of this platform reads (its own and both platforms'), platform itself aside. */
export function settingsOf(platform: Exclude<Platform, "both">): string[] {
    return Object.entries(SETTINGS)
        .filter(([key, spec]) => key !== "platform" && (spec.platform === platform || spec.platform === "both"))
        .map(([key]) => key);
}

export async function expectSettingChange(
    deployed: PulumiStack,
    key: string,
    change: SettingChange,
    opts: { plaintexts: string[]; sharedWorld?: boolean },
): Promise<{ planned: RunResult; applied: RunResult }> {
    const trial = await deployed.fork();
    let ran: RunResult | undefined;
    let failure: unknown;
    const stackFile = path.join(trial.dir, `Pulumi.${trial.stack}.yaml`);
    const settingsBefore = fs.readFileSync(stackFile, "utf8");
    try {
        const before = await trial.resources();
        const protectedOnes = before.filter((r) => r.protect);
        await trial.setConfig(change.config ?? {});
        await trial.setConfig(change.secrets ?? {}, { secret: true });
        await trial.setConfig(change.paths ?? {}, { path: true });
        const planned = await trial.preview();
        const applied = (ran = await trial.up());
        expect({ preview: planned.ok, up: applied.ok, errors: applied.ok ? "" : errors(applied) }).toMatchObject({
            preview: applied.ok,
        });
        if (applied.ok) {
            // Nothing happens that the preview did not show (a preview may show more: what it cannot know is unknown).
            expect(changes(applied).filter((c) => !changes(planned).includes(c))).toEqual([]);
            expect(await plainSecretsIn(trial, applied, opts.plaintexts)).toEqual([]);
        } else {
            // Refused: the message names the setting, and nothing was applied.
            expect(errors(applied)).toContain(`actors:${key}`);
            expect(changes(applied)).toEqual([]);
        }
        if (key !== "protectDatabase") {
            const names = protectedOnes.map((r) => `::${r.urn.split("::").pop()}`);
            expect(opsOn(applied, "delete", "replace").filter((c) => names.some((n) => c.endsWith(n)))).toEqual([]);
            const after = await trial.resources();
            expect(after.filter((r) => r.protect).map((r) => `${r.urn}=${r.id}`)).toEqual(
                protectedOnes.map((r) => `${r.urn}=${r.id}`),
            );
        }
        return { planned, applied };
    } catch (e) {
        failure = e;
        throw e;
    } finally {
        try {
            if (opts.sharedWorld && ran?.steps.some((s) => s.custom && ALTERS_WHAT_EXISTS.includes(s.op))) {
                fs.writeFileSync(stackFile, settingsBefore);
                const reverted = await trial.up();
                if (!reverted.ok) {
                    // Thrown from here it would hide the test's own failure, so that one is reported with it.
                    const why = failure ? `${failure instanceof Error ? failure.message : failure}\n\nThen ` : "";
                    throw new Error(
                        `${why}putting actors:${key} back on the shared cluster failed:\n${errors(reverted)}`,
                    );
                }
            }
        } finally {
            trial.dispose({ checkout: true });
        }
    }
}
