/**
 * Checks a stack's whole config as Pulumi hands it to the program (every key, every namespace, values as strings)
 * against the settings table, and returns the values and every problem found, each one line that names the setting,
 * repeats the value as written (never a secret's) and says what is allowed. Pure: the program's loader and
 * `npm run render` both call it.
 */
import { closest, compareQuantities, parseQuantity, parseWholeNumber, quoteList } from "./rules";
import { PlainKey, SecretKey, SettingKey, settingKeys, SettingSpec, SETTINGS, SettingValue } from "./settings";

export const PROJECT = "actors";
/** Namespaces of the providers the program uses, and Pulumi's own: their keys are theirs to check. */
export const PROVIDER_NAMESPACES = ["kubernetes", "docker", "random", "pulumi"] as const;

const DOCS = {
    preboot: "https://devcenter.heroku.com/articles/preboot",
    dynoTypes: "https://devcenter.heroku.com/articles/dyno-types",
};

export interface ConfigInput {
    /** Every config key (namespace:name) and its value, as Pulumi passes them (structured values as JSON). */
    config: Record<string, string>;
    /** Whether a key's value is a Pulumi secret (set with --secret). */
    isSecret(fullKey: string): boolean;
    /** The environment (HEROKU_API_KEY stands in for actors:herokuApiKey). */
    env: Record<string, string | undefined>;
    /** Now, in milliseconds (a restore target must be in the past). */
    now: number;
}

export type PlainValues = { -readonly [K in PlainKey]: SettingValue<K> };

export interface Checked {
    values: PlainValues;
    /** The secret settings that are set (as secrets). */
    secretsSet: Set<SecretKey>;
    problems: string[];
}

const full = (key: string) => `${PROJECT}:${key}`;
const show = (raw: string) => JSON.stringify(raw);

/** The value as the Pulumi CLI passes a default declared in Pulumi.yaml. */
const defaultAsConfig = (spec: SettingSpec) =>
    typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default);

function parse(spec: SettingSpec, raw: string): { value: unknown } | { allowed: string } {
    switch (spec.type) {
        case "integer": {
            const n = parseWholeNumber(raw);
            const allowed = `a whole number from ${spec.min} to ${spec.max} (digits only)`;
            return n !== undefined && n >= spec.min && n <= spec.max ? { value: n } : { allowed };
        }
        case "boolean":
            return raw === "true" || raw === "false" ? { value: raw === "true" } : { allowed: "true or false" };
        case "array": {
            let list: unknown;
            try {
                list = JSON.parse(raw);
            } catch {
                list = undefined;
            }
            if (!Array.isArray(list) || !list.every((x) => typeof x === "string"))
                return { allowed: "a list of strings" };
            const problem = spec.rule?.problem(list);
            return problem ? { allowed: problem } : { value: list };
        }
        case "string": {
            if (spec.values && !spec.values.includes(raw)) return { allowed: `one of ${quoteList(spec.values)}` };
            const problem = spec.rule?.problem(raw);
            return problem ? { allowed: problem } : { value: raw };
        }
    }
}

/** A key that is, or may be, a secret: its value is never repeated. */
const SECRET_LIKE = /key|pass|secret|token|credential|auth|drain/i;

/** Keys outside the settings: a namespace nobody reads, or a name that is not a setting, with the closest one. */
function strayKeys(input: ConfigInput): string[] {
    const { config } = input;
    const problems: string[] = [];
    const namespaces = [PROJECT, ...PROVIDER_NAMESPACES];
    const allowedNamespaces = `the project's (${PROJECT}:) or a provider's the program uses (${PROVIDER_NAMESPACES.map((n) => `${n}:`).join(", ")})`;
    for (const key of Object.keys(config).sort()) {
        const colon = key.indexOf(":");
        const ns = colon < 0 ? "" : key.slice(0, colon);
        const name = colon < 0 ? key : key.slice(colon + 1);
        if ((ns === PROJECT && name in SETTINGS) || (PROVIDER_NAMESPACES as readonly string[]).includes(ns)) continue;
        const setting = name in SETTINGS ? name : closest(name, settingKeys);
        const secretLike =
            input.isSecret(key) ||
            SECRET_LIKE.test(name) ||
            Boolean(setting && "secret" in SETTINGS[setting as SettingKey]);
        const shown = `${key}${secretLike ? "" : ` (${show(config[key])})`}`;
        if (ns === PROJECT) {
            problems.push(
                `${shown} is not a setting of this program${setting ? `: did you mean ${full(setting)}?` : ""} (the settings are listed in docs/configuration.md)`,
            );
            continue;
        }
        const nearNamespace = closest(ns, namespaces);
        const suggestion = setting
            ? `: did you mean ${full(setting)}?`
            : nearNamespace
              ? `: did you mean ${nearNamespace}:${name}?`
              : "";
        problems.push(
            colon < 0
                ? `${shown} has no namespace${suggestion} (a key is namespace:name, in ${allowedNamespaces})`
                : `${shown} is in namespace "${ns}", which nothing here reads${suggestion} (a key must be in ${allowedNamespaces})`,
        );
    }
    return problems;
}

/** A rule across settings: checked only when every setting it reads has a valid value. */
interface CrossRule {
    on: "k8s" | "heroku";
    reads: SettingKey[];
    problem(v: PlainValues, secretsSet: Set<SecretKey>, input: ConfigInput): string | undefined;
}

const quantityOrder = (request: "cpuRequest" | "memoryRequest", limit: "cpuLimit" | "memoryLimit"): CrossRule => ({
    on: "k8s",
    reads: [request, limit],
    problem: (v) =>
        compareQuantities(parseQuantity(v[request])!, parseQuantity(v[limit])!) > 0
            ? `${full(request)} (${v[request]}) must be at most ${full(limit)} (${v[limit]}): Kubernetes refuses a container whose request is above its limit`
            : undefined,
});

const SINGLE_DYNO_SIZES = ["eco", "basic"];

const CROSS_RULES: CrossRule[] = [
    {
        on: "k8s",
        reads: ["imageRepository", "localImage"],
        problem: (v) =>
            !v.localImage && v.imageRepository === ""
                ? `${full("imageRepository")} is required on k8s (a registry the cluster can pull from), unless ${full("localImage")} is true`
                : undefined,
    },
    {
        on: "k8s",
        reads: ["replicas", "maxReplicas"],
        problem: (v) =>
            v.maxReplicas < v.replicas
                ? `${full("maxReplicas")} (${v.maxReplicas}) must be at least ${full("replicas")} (${v.replicas})`
                : undefined,
    },
    quantityOrder("cpuRequest", "cpuLimit"),
    quantityOrder("memoryRequest", "memoryLimit"),
    {
        on: "k8s",
        reads: ["tlsClusterIssuer", "ingressHost"],
        problem: (v) =>
            v.tlsClusterIssuer !== "" && v.ingressHost === ""
                ? `${full("tlsClusterIssuer")} needs ${full("ingressHost")} (the certificate is for the Ingress host)`
                : undefined,
    },
    {
        on: "k8s",
        reads: ["backupDestination", "backupAccessKeyId", "backupSecretAccessKey"],
        problem: (v, secrets) =>
            v.backupDestination !== "" && !(secrets.has("backupAccessKeyId") && secrets.has("backupSecretAccessKey"))
                ? `${full("backupDestination")} needs ${full("backupAccessKeyId")} and ${full("backupSecretAccessKey")} (set both with --secret)`
                : undefined,
    },
    {
        on: "k8s",
        reads: ["routing", "ingressHost"],
        problem: (v) =>
            v.routing === "gateway" && v.ingressHost === ""
                ? `${full("routing")} gateway needs ${full("ingressHost")} (the Gateway listener and HTTPRoute are for that host)`
                : undefined,
    },
    {
        on: "k8s",
        reads: ["restoreFromBackup", "backupDestination"],
        problem: (v) =>
            v.restoreFromBackup !== "" && v.backupDestination === ""
                ? `${full("restoreFromBackup")} needs ${full("backupDestination")} (and its keys): the object storage the backups are read from`
                : undefined,
    },
    {
        on: "k8s",
        reads: ["restoreFromBackup", "dbClusterName"],
        problem: (v) =>
            v.restoreFromBackup !== "" && v.restoreFromBackup === v.dbClusterName
                ? `${full("restoreFromBackup")} (${v.restoreFromBackup}) must differ from ${full("dbClusterName")}: CloudNativePG restores only into a new cluster, and the new cluster archives its WAL under its own name, never into the archive it restores from. Set ${full("dbClusterName")} to a new name such as ${v.dbClusterName}-2`
                : undefined,
    },
    {
        // PostgreSQL stops a recovery whose target lies beyond the archived WAL: a time still to come can only fail.
        on: "k8s",
        reads: ["restoreTargetTime"],
        problem: (v, _s, input) =>
            v.restoreTargetTime !== "" && Date.parse(v.restoreTargetTime) > input.now
                ? `${full("restoreTargetTime")} (${v.restoreTargetTime}) must be in the past: a restore recovers to a time the archive already holds`
                : undefined,
    },
    {
        on: "k8s",
        reads: ["restoreTargetTime", "restoreFromBackup"],
        problem: (v) =>
            v.restoreTargetTime !== "" && v.restoreFromBackup === ""
                ? `${full("restoreTargetTime")} needs ${full("restoreFromBackup")} (the backups to recover from)`
                : undefined,
    },
    {
        on: "k8s",
        reads: ["imageRegistryPassword", "imageRegistryUsername"],
        problem: (v, secrets) =>
            secrets.has("imageRegistryPassword") && v.imageRegistryUsername === ""
                ? `${full("imageRegistryPassword")} needs ${full("imageRegistryUsername")}`
                : undefined,
    },
    {
        on: "heroku",
        reads: ["herokuApiKey"],
        problem: (_v, secrets, input) =>
            !secrets.has("herokuApiKey") && !input.env.HEROKU_API_KEY
                ? `${full("herokuApiKey")} is required on heroku: \`pulumi config set --secret herokuApiKey <key>\`, or set HEROKU_API_KEY`
                : undefined,
    },
    {
        on: "heroku",
        reads: ["herokuPreboot", "herokuWebSize"],
        problem: (v) =>
            v.herokuPreboot && SINGLE_DYNO_SIZES.includes(v.herokuWebSize)
                ? `${full("herokuPreboot")} (true) needs a standard or performance ${full("herokuWebSize")}, not ${show(v.herokuWebSize)}: Heroku offers preboot only on professional dyno types, not on eco or basic dynos (${DOCS.preboot})`
                : undefined,
    },
    {
        on: "heroku",
        reads: ["herokuWebQuantity", "herokuWebSize"],
        problem: (v) =>
            v.herokuWebQuantity > 1 && SINGLE_DYNO_SIZES.includes(v.herokuWebSize)
                ? `${full("herokuWebQuantity")} (${v.herokuWebQuantity}) must be 0 or 1 with ${full("herokuWebSize")} ${show(v.herokuWebSize)}: eco and basic dynos cannot scale beyond one dyno per process type; choose standard-1x or larger for more (${DOCS.dynoTypes})`
                : undefined,
    },
];

export function checkConfig(input: ConfigInput): Checked {
    const { config } = input;
    const problems = strayKeys(input);
    const values: Record<string, unknown> = {};
    const failed = new Set<SettingKey>();
    const secretsSet = new Set<SecretKey>();
    // Pulumi hands the program every default Pulumi.yaml declares: then only a value other than the default shows
    // that the stack set it. Without them (the stack file alone, as render reads it), any key present was set. (Most
    // keys present, not all: a Pulumi.yaml a setting behind must not turn every default into a mistake.)
    const defaultsMerged = settingKeys.filter((k) => full(k) in config).length > settingKeys.length / 2;

    const platformRaw = config[full("platform")];
    const platform =
        platformRaw === undefined || platformRaw === "k8s" || platformRaw === "heroku"
            ? (platformRaw ?? SETTINGS.platform.default)
            : undefined;

    for (const key of settingKeys) {
        const spec: SettingSpec = SETTINGS[key];
        const raw = config[full(key)];
        if (raw === undefined) {
            if (!spec.secret) values[key] = spec.default;
            continue;
        }
        const explicit = !defaultsMerged || raw !== defaultAsConfig(spec);
        if (platform && spec.platform !== "both" && spec.platform !== platform && explicit) {
            failed.add(key);
            problems.push(
                `${full(key)}${spec.secret ? "" : ` (${show(raw)})`} applies to ${spec.platform} only, and this stack deploys to ${platform} (${full("platform")}): remove it from this stack's config`,
            );
            continue;
        }
        if (spec.secret) {
            if (raw === "") continue;
            if (!input.isSecret(full(key))) {
                failed.add(key);
                problems.push(
                    `${full(key)} is a secret and is set in plain text: set it with \`pulumi config set --secret ${key} <value>\` (its value is not shown here)`,
                );
                continue;
            }
            secretsSet.add(key as SecretKey);
            continue;
        }
        const parsed = parse(spec, raw);
        if ("allowed" in parsed) {
            failed.add(key);
            problems.push(`${full(key)} must be ${parsed.allowed} (got ${show(raw)})`);
            continue;
        }
        values[key] = parsed.value;
    }

    for (const cross of CROSS_RULES) {
        if (cross.on !== values.platform || failed.has("platform") || cross.reads.some((k) => failed.has(k))) continue;
        const problem = cross.problem(values as PlainValues, secretsSet, input);
        if (problem) problems.push(problem);
    }
    return { values: values as PlainValues, secretsSet, problems };
}
