/**
 * Writes Pulumi.yaml's `config:` block from components/config.ts's CONFIG_SCHEMA (run: npm run gen:config).
 * Secret keys carry no `secret: true`: with a default, Pulumi >= 3.202 rejects that (pulumi/pulumi#21865); the
 * program itself refuses a secret key set in plain text.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { CONFIG_SCHEMA, KeySpec } from "../components/config";

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
        config: projectConfigBlock(),
    };
    return "# Generated from components/config.ts by `npm run gen:config`; edit the schema there.\n" + yaml.dump(doc, { lineWidth: -1 });
}

if (require.main === module) {
    fs.writeFileSync(path.join(__dirname, "..", "Pulumi.yaml"), renderPulumiYaml());
}
