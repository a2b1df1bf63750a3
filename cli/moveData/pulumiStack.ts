/**
 * What the command learns from a deployed stack: its `tools` output (components/toolsOutput.ts), read through the
 * Pulumi CLI (`pulumi stack output tools --json`: no secret in it), and the Heroku API key from the stack's config.
 */
import type { HerokuToolsOutput, K8sToolsOutput, ToolsOutput } from "../../components/toolsOutput";
import { run } from "./pg";
import { Platform } from "./side";

const PULUMI = () => process.env.PULUMI_CLI ?? "pulumi";

/** The stack's `tools` output; a failure carries the CLI's whole stderr (its first line is often a download notice). */
export async function stackTools(stack: string, platform: "k8s"): Promise<K8sToolsOutput>;
export async function stackTools(stack: string, platform: "heroku"): Promise<HerokuToolsOutput>;
export async function stackTools(stack: string, platform: Platform): Promise<ToolsOutput> {
    let stdout: string;
    try {
        ({ stdout } = await run(PULUMI(), ["stack", "output", "tools", "--json", "--stack", stack], {
            what: `pulumi stack output tools --json --stack ${stack}`,
        }));
    } catch (err) {
        throw new Error(`cannot read the stack ${stack}'s outputs: ${(err as Error).message}`);
    }
    let tools: ToolsOutput;
    try {
        tools = JSON.parse(stdout) as ToolsOutput;
    } catch {
        throw new Error(`the stack ${stack}'s output "tools" is not JSON: ${stdout.slice(0, 200)}`);
    }
    if (!tools || typeof tools !== "object" || tools.platform !== platform)
        throw new Error(
            `the stack ${stack} has no ${platform} "tools" output (it has ${JSON.stringify(tools).slice(0, 200)}): ` +
                `is it the ${platform} stack, deployed with this version (pulumi up --stack ${stack})?`,
        );
    return tools;
}

/** `pulumi config get actors:<key> --stack <stack>`, or "" when the key is not set. */
export async function stackConfig(stack: string, key: string): Promise<string> {
    try {
        const { stdout } = await run(PULUMI(), ["config", "get", `actors:${key}`, "--stack", stack], {
            what: `pulumi config get actors:${key} --stack ${stack}`,
        });
        return stdout.trim();
    } catch (err) {
        if (/configuration key .* not found|not found/i.test(String((err as Error).message))) return "";
        throw err;
    }
}
