import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

/** The stacks that have a stack file in the project (Pulumi.<stack>.yaml), sorted. */
export function stackNames(root: string = ROOT): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

function projectName(root: string): string {
    const file = path.join(root, "Pulumi.yaml");
    const project = fs.existsSync(file) ? (yaml.load(fs.readFileSync(file, "utf8")) as { name?: string } | null) : null;
    return project?.name ?? "actors";
}

/**
 * A stack file's config as Pulumi hands it to the program: every value a string (structured ones as JSON), and the
 * keys that are secrets. A value encrypted in the file (`secure:`) becomes `encrypted` (it cannot be read offline).
 * Used by the tests, `npm run render` and the benchmarks, so all three evaluate the program with the same settings.
 */
export function readStackConfig(
    stack: string,
    opts: { encrypted?: string; isSecretKey?: (key: string) => boolean; root?: string } = {},
): { config: Record<string, string>; secretKeys: string[] } {
    const file = path.join(opts.root ?? ROOT, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file))
        throw new Error(`no stack file Pulumi.${stack}.yaml (stacks: ${stackNames(opts.root).join(", ")})`);
    const doc = (yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> }) ?? {};
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    // As the CLI does, a key without a namespace is the project's (`replicas` is `actors:replicas`).
    const project = projectName(opts.root ?? ROOT);
    for (const [written, value] of Object.entries(doc.config ?? {})) {
        const key = written.includes(":") ? written : `${project}:${written}`;
        const encrypted = Boolean(value) && typeof value === "object" && "secure" in (value as object);
        config[key] = encrypted ? (opts.encrypted ?? "") : typeof value === "string" ? value : JSON.stringify(value);
        if (encrypted || opts.isSecretKey?.(key)) secretKeys.push(key);
    }
    return { config, secretKeys };
}
