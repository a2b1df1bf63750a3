/**
 * Writes Pulumi.yaml's `config:` block, and the README's configuration reference table, from components/config.ts's
 * CONFIG_SCHEMA (run: npm run gen:config).
 * Secret keys carry no `secret: true`: with a default, Pulumi >= 3.202 rejects that (pulumi/pulumi#21865); the
 * program itself refuses a secret key set in plain text.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { CONFIG_SCHEMA, KeySpec } from "../components/config";
import { HEROKU_PACKAGE } from "../components/heroku/herokuResource";

export function projectConfigBlock(): Record<string, unknown> {
    const block: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(CONFIG_SCHEMA) as [string, KeySpec][]) {
        block[key] = {
            type: spec.type,
            ...(spec.type === "array" ? { items: { type: "string" } } : {}),
            description: spec.secret ? `Secret (set with --secret). ${spec.description}` : spec.description,
            default: spec.default,
        };
    }
    return block;
}

export function renderPulumiYaml(): string {
    const doc = {
        name: "actors",
        description: "One Flask app and one image, deployed to Kubernetes (stack k8s) or Heroku (stack heroku)",
        runtime: { name: "nodejs", options: { typescript: true } },
        // The Heroku resources' provider plugin, run from the checkout (provider/pulumi-resource-actors-heroku).
        plugins: { providers: [{ name: HEROKU_PACKAGE, path: "./provider" }] },
        config: projectConfigBlock(),
    };
    return (
        "# Generated from components/config.ts by `npm run gen:config`; edit the schema there.\n" +
        yaml.dump(doc, { lineWidth: -1 })
    );
}

export const TABLE_START = "<!-- config-table:start (npm run gen:config) -->";
export const TABLE_END = "<!-- config-table:end -->";

export function renderConfigTable(): string {
    const rows = (Object.entries(CONFIG_SCHEMA) as [string, KeySpec][]).map(([key, spec]) => {
        const m = /^(k8s|heroku): (.*)$/s.exec(spec.description);
        const text = (m ? m[2] : spec.description).replace(/\|/g, "\\|");
        return `| \`${key}\` | ${m ? m[1] : "both"} | ${spec.type}${spec.secret ? " (secret)" : ""} | \`${JSON.stringify(spec.default)}\` | ${text} |`;
    });
    return [
        TABLE_START,
        "| key | stack | type | default | what it does |",
        "| --- | --- | --- | --- | --- |",
        ...rows,
        TABLE_END,
    ].join("\n");
}

export function withConfigTable(readme: string): string {
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    if (start < 0 || end < 0) throw new Error("README.md has no configuration table markers");
    return readme.slice(0, start) + renderConfigTable() + readme.slice(end + TABLE_END.length);
}

if (require.main === module) {
    const root = path.join(__dirname, "..");
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), renderPulumiYaml());
    const readme = path.join(root, "README.md");
    fs.writeFileSync(readme, withConfigTable(fs.readFileSync(readme, "utf8")));
}
