import * as pulumi from "@pulumi/pulumi";
import { checkConfig, PlainValues, PROJECT } from "./check";
import { SecretKey, settingKeys, SETTINGS } from "./settings";

/** The checked settings: plain values typed by the table, secrets as Pulumi secret outputs (undefined when unset). */
export type Settings = Readonly<PlainValues> & {
    readonly [K in SecretKey]: pulumi.Output<string> | undefined;
} & { readonly project: string; readonly stack: string };

/** A RunError: Pulumi prints its message and exits, without a stack trace. One line per problem. */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

/** Whether Pulumi passed a config key as a secret (PULUMI_CONFIG_SECRET_KEYS). */
export function isConfigSecret(fullKey: string): boolean {
    // Exported by the SDK's runtime but missing from its typings.
    return (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(fullKey);
}

/**
 * Reads every config key Pulumi passes to the program, checks them all once, before any resource is declared, and
 * throws a ConfigError listing every problem found.
 */
export function loadSettings(): Settings {
    const checked = checkConfig({
        config: pulumi.runtime.allConfig(),
        isSecret: isConfigSecret,
        env: process.env,
        now: Date.now(),
    });
    if (checked.problems.length) throw new ConfigError(checked.problems);
    const config = new pulumi.Config(PROJECT);
    const secrets = Object.fromEntries(
        settingKeys
            .filter((key) => "secret" in SETTINGS[key])
            // Never read as plain text: only wrapped, and only when set.
            .map((key) => [key, checked.secretsSet.has(key as SecretKey) ? config.requireSecret(key) : undefined]),
    ) as { [K in SecretKey]: pulumi.Output<string> | undefined };
    return { ...checked.values, ...secrets, project: pulumi.getProject(), stack: pulumi.getStack() };
}
