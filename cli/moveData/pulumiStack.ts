/** What the command learns from a deployed stack through the Pulumi CLI (flags override each of these). */
import { run } from "./pg";

const PULUMI = () => process.env.PULUMI_CLI ?? "pulumi";

/** `pulumi stack output --stack <stack> --json` (the program's outputs: namespace, appName, url, image). */
export async function stackOutputs(stack: string): Promise<Record<string, unknown>> {
    const { stdout } = await run(PULUMI(), ["stack", "output", "--stack", stack, "--json"], {
        what: `pulumi stack output --stack ${stack}`,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
}

/** `pulumi config get actors:<key> --stack <stack>`, or "" when the key is not set. */
export async function stackConfig(stack: string, key: string): Promise<string> {
    try {
        const { stdout } = await run(PULUMI(), ["config", "get", `actors:${key}`, "--stack", stack], {
            what: `pulumi config get actors:${key} --stack ${stack}`,
        });
        return stdout.trim();
    } catch (err) {
        if (/not found|configuration key .* not found/i.test(String((err as Error).message))) return "";
        throw err;
    }
}

/** The flag's value when given, else the stack output, else a clear error naming both. */
export async function fromStack(
    flagValue: string | undefined,
    flag: string,
    stack: string,
    output: string,
): Promise<string> {
    if (flagValue) return flagValue;
    let outputs: Record<string, unknown>;
    try {
        outputs = await stackOutputs(stack);
    } catch (err) {
        throw new Error(
            `cannot read the stack ${stack}'s outputs (${(err as Error).message.split("\n")[0]}); ` +
                `pass ${flag}, or run next to the deployed stacks with the Pulumi CLI logged in`,
        );
    }
    const value = outputs[output];
    if (typeof value !== "string" || value === "")
        throw new Error(`the stack ${stack} has no output "${output}" (is it deployed?); pass ${flag}`);
    return value;
}
