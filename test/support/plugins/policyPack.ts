/**
 * How the tests run a policy pack through the real CLI. The CLI (3.276) starts a policy pack folder through its
 * runtime's language plugin (pulumi-language-nodejs), which cannot be had here; given an executable file as the pack
 * instead, it runs that file with the engine's address. This writes such a file: it starts the pack the way the CLI
 * release's pulumi-analyzer-policy script does (bin/pulumi-analyzer-policy, from the pack's folder).
 */
import * as fs from "fs";
import * as path from "path";

export const PLUGINS_BIN = path.join(__dirname, "bin");

/** An executable to pass as a policy pack (`policyPacks` in the Automation API) that runs the pack in packDir. */
export function policyPackExecutable(packDir: string, into: string): string {
    const file = path.join(into, `policy-pack-${path.basename(packDir)}`);
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    fs.writeFileSync(
        file,
        `#!/bin/sh\ncd ${quote(path.resolve(packDir))} && exec ${quote(path.join(PLUGINS_BIN, "pulumi-analyzer-policy"))} "$1" .\n`,
        { mode: 0o755 },
    );
    return file;
}
