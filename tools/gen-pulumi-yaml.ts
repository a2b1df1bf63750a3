/**
 * Writes Pulumi.yaml's `config:` block and docs/configuration.md from the settings table
 * (components/config/settings.ts). Run: npm run gen:config.
 * Secret keys carry no `secret: true`: with a default, Pulumi >= 3.202 rejects that (pulumi/pulumi#21865); the
 * program itself refuses a secret key set in plain text.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { PROVIDER_NAMESPACES, SETTINGS, settingKeys, SettingSpec } from "../components/config";
import { HEROKU_PACKAGE } from "../components/heroku/herokuResource";

const ROOT = path.join(__dirname, "..");
export const CONFIG_DOC = path.join(ROOT, "docs", "configuration.md");

const quote = (values: readonly string[]) => values.map((v) => `\`${v}\``).join(", ");

/** What a setting allows, as the checks have it. */
function allowedText(spec: SettingSpec): string {
    if (spec.secret) return "any (a secret: `pulumi config set --secret`)";
    switch (spec.type) {
        case "integer":
            return `whole number, ${spec.min} to ${spec.max}`;
        case "boolean":
            return "`true`, `false`";
        case "array":
            return spec.rule?.allowed ?? "a list of strings";
        case "string":
            return spec.values ? quote(spec.values) : (spec.rule?.allowed ?? "any");
    }
}

function projectConfigBlock(): Record<string, unknown> {
    const block: Record<string, unknown> = {};
    for (const key of settingKeys) {
        const spec: SettingSpec = SETTINGS[key];
        const where = spec.platform === "both" ? "" : `${spec.platform}: `;
        block[key] = {
            type: spec.type,
            ...(spec.type === "array" ? { items: { type: "string" } } : {}),
            description: `${spec.secret ? "Secret (set with --secret). " : ""}${where}${spec.description}`,
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
        "# Generated from components/config/settings.ts by `npm run gen:config`; edit the table there.\n" +
        yaml.dump(doc, { lineWidth: -1 })
    );
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

export function renderConfigurationDoc(): string {
    const rows = settingKeys.map((key) => {
        const spec: SettingSpec = SETTINGS[key];
        return `| \`${key}\` | ${spec.platform} | ${spec.type}${spec.secret ? " (secret)" : ""} | \`${JSON.stringify(spec.default)}\` | ${cell(allowedText(spec))} | ${cell(spec.description)} |`;
    });
    return [
        "<!-- Generated from components/config/settings.ts by `npm run gen:config`; edit the table there. -->",
        "# Configuration reference",
        "",
        "Set a setting with `pulumi config set <key> <value>` (`pulumi config set --secret <key> <value>` for a secret).",
        "Every setting is declared in `Pulumi.yaml` with its type, description and default. The program checks the",
        "whole configuration before it declares any resource, and `pulumi preview` (and `npm run render`) fails with one",
        "line per problem, naming the setting, repeating the value as written (never a secret's) and saying what is",
        "allowed. Refused, besides a value outside the column *allowed*:",
        "",
        "- a setting of the other platform (column *platform*) set on a stack, such as `actors:replicas: 5` on `heroku`",
        "  (`pulumi preview` hands the program every default of `Pulumi.yaml`, so there a value equal to the default cannot",
        "  be told from it: it is accepted, and changes nothing);",
        `- a key in a namespace other than \`actors:\` and the providers' (${PROVIDER_NAMESPACES.map((n) => `\`${n}:\``).join(", ")}), or an`,
        "  `actors:` key that is not a setting; the closest setting is suggested (`herokuRegon` → `herokuRegion`);",
        "- a secret setting set in plain text;",
        "- a request above its limit (`cpuRequest` > `cpuLimit`, `memoryRequest` > `memoryLimit`), compared as quantities;",
        "- on eco and basic dynos, `herokuPreboot: true` ([preboot](https://devcenter.heroku.com/articles/preboot)) and",
        "  `herokuWebQuantity` above 1 ([dyno types](https://devcenter.heroku.com/articles/dyno-types));",
        "- the combinations the table's descriptions name (`maxReplicas` below `replicas`, `routing: gateway` without",
        "  `ingressHost`, a restore into its own cluster name, ...).",
        "",
        "Secret settings carry no `secret: true` in `Pulumi.yaml`: Pulumi 3.202+ rejects a secret key with a default",
        "([pulumi/pulumi#21865](https://github.com/pulumi/pulumi/issues/21865)); the program refuses them in plain text.",
        "",
        "| key | platform | type | default | allowed | what it does |",
        "| --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
    ].join("\n");
}

if (require.main === module) {
    fs.writeFileSync(path.join(ROOT, "Pulumi.yaml"), renderPulumiYaml());
    fs.mkdirSync(path.dirname(CONFIG_DOC), { recursive: true });
    fs.writeFileSync(CONFIG_DOC, renderConfigurationDoc());
}
