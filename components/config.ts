import * as pulumi from "@pulumi/pulumi";

/**
 * Every setting of the program, for both platforms, in one table: its type, default, description and check.
 * Pulumi.yaml's `config:` block mirrors this table (a test keeps the two identical), and so does the README's
 * configuration reference. `loadSettings` reads and checks them all once, before any resource is declared, so a
 * bad value fails `pulumi preview` with a message naming the key, not with a stack trace halfway through.
 */
type ValueType = "string" | "integer" | "boolean" | "array";

export interface KeySpec {
    type: ValueType;
    default: string | number | boolean | string[];
    description: string;
    /** Set with `pulumi config set --secret`; read only as a Pulumi secret. */
    secret?: boolean;
    /** Returns what is allowed when the value is not, else undefined. */
    check?: (value: any) => string | undefined;
}

const oneOf =
    (...allowed: string[]) =>
    (v: string) =>
        allowed.includes(v) ? undefined : `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`;
const range = (low: number, high: number) => (v: number) =>
    Number.isInteger(v) && v >= low && v <= high ? undefined : `a whole number from ${low} to ${high}`;
const pattern = (re: RegExp, what: string) => (v: string) => (re.test(v) ? undefined : what);
const optional = (check: (v: string) => string | undefined) => (v: string) => (v === "" ? undefined : check(v));

const QUANTITY_CPU = pattern(/^([0-9]+m|[0-9]+(\.[0-9]+)?)$/, 'a CPU quantity such as "250m" or "1"');
const QUANTITY_BYTES = pattern(/^[0-9]+(Ki|Mi|Gi|Ti)$/, 'a size such as "256Mi" or "10Gi"');
const DNS_LABEL = pattern(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "a DNS label: lowercase letters, digits and '-', at most 63",
);
const HOSTNAME = pattern(
    /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/,
    "a fully qualified lowercase host name such as actors.example.com",
);
/** An RFC 3339 timestamp with an explicit offset, naming a real instant (no 30 February). */
const RFC3339 = (v: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/.exec(v);
    const what = "an RFC 3339 timestamp with a time zone, such as 2026-11-26T21:30:00Z or 2026-11-26T22:30:00+01:00";
    if (!m) return what;
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
    const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    const real =
        date.getUTCFullYear() === year &&
        date.getUTCMonth() === month - 1 &&
        date.getUTCDate() === day &&
        hour < 24 &&
        minute < 60 &&
        second < 60 &&
        (m[9] === undefined || (Number(m[9]) < 24 && Number(m[10]) < 60));
    return real ? undefined : what;
};
const ENV_ENTRY = (list: string[]) => {
    for (const entry of list) {
        const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(String(entry));
        if (!match) return 'a list of "NAME=value" strings with NAME in upper case';
        if (RESERVED_ENV.includes(match[1]))
            return `a list without the names the program sets itself (${RESERVED_ENV.join(", ")})`;
    }
    return undefined;
};
/** Environment the program sets itself on both platforms; users cannot override these through appEnv. */
export const RESERVED_ENV = ["DATABASE_URL", "PORT", "WEB_CONCURRENCY", "PGSSLMODE", "LOG_LEVEL"];

export const CONFIG_SCHEMA = {
    // --- both platforms
    platform: {
        type: "string",
        default: "k8s",
        description: "Where to deploy: k8s or heroku.",
        check: oneOf("k8s", "heroku"),
    },
    webConcurrency: {
        type: "integer",
        default: 2,
        description: "gunicorn worker processes per container (WEB_CONCURRENCY).",
        check: range(1, 64),
    },
    logLevel: {
        type: "string",
        default: "info",
        description: "The app's log level.",
        check: oneOf("debug", "info", "warning", "error"),
    },
    appEnv: {
        type: "array",
        default: [],
        description: 'Extra environment for the app on both platforms, as "NAME=value" strings (not secrets).',
        check: ENV_ENTRY,
    },
    // --- the image
    imageRepository: {
        type: "string",
        default: "",
        description: "k8s: repository to push the image to, such as ghcr.io/acme/actors. Empty only with localImage.",
        check: optional(
            pattern(
                /^[a-z0-9]+([._:-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)+$|^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._\/-]+$/,
                "a repository such as ghcr.io/acme/actors or localhost:5001/actors",
            ),
        ),
    },
    imageRegistryUsername: {
        type: "string",
        default: "",
        description: "k8s: user name for imageRepository's registry (empty: use the local Docker credentials).",
    },
    imageRegistryPassword: {
        type: "string",
        default: "",
        secret: true,
        description: "k8s: password or token for imageRepository's registry.",
    },
    localImage: {
        type: "boolean",
        default: false,
        description: "k8s: build into the local Docker engine and push nowhere (Docker Desktop, minikube docker-env).",
    },
    // --- Kubernetes
    kubeContext: {
        type: "string",
        default: "",
        description: "k8s: kubeconfig context to deploy to (empty: the current context).",
    },
    chartRepository: {
        type: "string",
        default: "",
        description:
            "k8s: Helm repository (https://...) or OCI registry (oci://host/path) to fetch every chart from, under its upstream name and pinned version: an air-gapped mirror (empty: each chart's upstream repository).",
        check: optional(
            pattern(/^(https?|oci):\/\/[^\s]+$/, "an http(s):// Helm repository URL or an oci:// registry path"),
        ),
    },
    namespace: {
        type: "string",
        default: "actors",
        description: "k8s: namespace for the app and its database.",
        check: DNS_LABEL,
    },
    replicas: {
        type: "integer",
        default: 2,
        description: "k8s: minimum number of app pods (the autoscaler's floor).",
        check: range(1, 100),
    },
    maxReplicas: {
        type: "integer",
        default: 6,
        description: "k8s: maximum number of app pods for the autoscaler.",
        check: range(1, 100),
    },
    targetCpuUtilization: {
        type: "integer",
        default: 70,
        description: "k8s: average CPU use, in percent of the request, that the autoscaler aims for.",
        check: range(10, 100),
    },
    cpuRequest: {
        type: "string",
        default: "100m",
        description: "k8s: CPU request of each app container.",
        check: QUANTITY_CPU,
    },
    cpuLimit: {
        type: "string",
        default: "1",
        description: "k8s: CPU limit of each app container.",
        check: QUANTITY_CPU,
    },
    memoryRequest: {
        type: "string",
        default: "192Mi",
        description: "k8s: memory request of each app container.",
        check: QUANTITY_BYTES,
    },
    memoryLimit: {
        type: "string",
        default: "256Mi",
        description: "k8s: memory limit of each app container.",
        check: QUANTITY_BYTES,
    },
    serviceType: {
        type: "string",
        default: "ClusterIP",
        description: "k8s: type of the app's Service.",
        check: oneOf("ClusterIP", "NodePort", "LoadBalancer"),
    },
    ingressHost: {
        type: "string",
        default: "",
        description: "k8s: public host name; when set, an Ingress routes it to the app.",
        check: optional(HOSTNAME),
    },
    ingressClassName: {
        type: "string",
        default: "",
        description: "k8s: IngressClass of the Ingress (empty: the cluster's default class).",
    },
    tlsClusterIssuer: {
        type: "string",
        default: "",
        description: "k8s: cert-manager ClusterIssuer that issues the Ingress certificate (empty: no TLS).",
        check: optional(DNS_LABEL),
    },
    installCnpgOperator: {
        type: "boolean",
        default: true,
        description: "k8s: install the CloudNativePG operator (turn off when the cluster already runs it).",
    },
    cnpgOperatorNamespace: {
        type: "string",
        default: "cnpg-system",
        description: "k8s: namespace of the CloudNativePG operator (where it is installed, or already runs).",
        check: DNS_LABEL,
    },
    postgresVersion: {
        type: "string",
        default: "17",
        description: "k8s: PostgreSQL major version of the database cluster.",
        check: oneOf("15", "16", "17", "18"),
    },
    dbInstances: {
        type: "integer",
        default: 1,
        description: "k8s: PostgreSQL instances (1 primary + replicas; 2 or more for failover).",
        check: range(1, 9),
    },
    dbStorageSize: {
        type: "string",
        default: "1Gi",
        description: "k8s: volume size of each PostgreSQL instance.",
        check: QUANTITY_BYTES,
    },
    dbStorageClass: {
        type: "string",
        default: "",
        description: "k8s: StorageClass of the PostgreSQL volumes (empty: the cluster's default).",
    },
    dbClusterName: {
        type: "string",
        default: "actors-db",
        description:
            "k8s: name of the CloudNativePG cluster, also of its Helm release, its services (NAME-rw, NAME-ro), its app secret (NAME-app) and its server name in the backups. A new name is a new cluster.",
        check: pattern(
            /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/,
            "a DNS label of at most 40 characters starting with a letter",
        ),
    },
    protectDatabase: {
        type: "boolean",
        default: true,
        description:
            "Protect the database (the CloudNativePG cluster release; the Heroku app and its Postgres add-on) from deletion and replacement: pulumi refuses instead of losing data. Set false to allow pulumi destroy.",
    },
    dbCpu: {
        type: "string",
        default: "500m",
        description: "k8s: CPU request and limit of each PostgreSQL instance.",
        check: QUANTITY_CPU,
    },
    dbMemory: {
        type: "string",
        default: "512Mi",
        description: "k8s: memory request and limit of each PostgreSQL instance.",
        check: QUANTITY_BYTES,
    },
    monitoring: {
        type: "boolean",
        default: false,
        description: "k8s: create PodMonitors for the app and PostgreSQL (needs the Prometheus Operator's CRDs).",
    },
    backupDestination: {
        type: "string",
        default: "",
        description: "k8s: S3 URL for PostgreSQL backups and WAL, such as s3://bucket/actors (empty: no backups).",
        check: optional(
            pattern(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/, "an S3 URL such as s3://my-bucket/actors"),
        ),
    },
    backupEndpointUrl: {
        type: "string",
        default: "",
        description: "k8s: endpoint of S3-compatible storage (empty: AWS S3).",
        check: optional(pattern(/^https?:\/\/[^\s]+$/, "an http(s) URL")),
    },
    backupS3Region: {
        type: "string",
        default: "us-east-1",
        description: "k8s: S3 region of backupDestination.",
        check: pattern(/^[a-z0-9-]{2,32}$/, "an S3 region such as us-east-1"),
    },
    backupSchedule: {
        type: "string",
        default: "0 0 3 * * *",
        description: "k8s: when to take a base backup (cron with seconds, as CloudNativePG expects).",
        check: pattern(/^(\S+\s+){5}\S+$/, 'a six-field cron expression such as "0 0 3 * * *"'),
    },
    backupRetention: {
        type: "string",
        default: "30d",
        description: "k8s: how long backups are kept.",
        check: pattern(/^[1-9][0-9]*[dwm]$/, 'a duration such as "30d", "4w" or "3m"'),
    },
    installBarmanCloudPlugin: {
        type: "boolean",
        default: true,
        description:
            "k8s: install the Barman Cloud plugin (Helm, in cnpgOperatorNamespace) when backups are on; it needs cert-manager (installCertManager, or one the cluster runs). Turn off when the cluster already runs the plugin.",
    },
    restoreFromBackup: {
        type: "string",
        default: "",
        description:
            "k8s: create the database cluster from the backups in backupDestination of this server name (the dbClusterName that took them). Only when the cluster is created: restore into a new dbClusterName. Keep it set for the life of that cluster.",
        check: optional(DNS_LABEL),
    },
    restoreTargetTime: {
        type: "string",
        default: "",
        description:
            "k8s: with restoreFromBackup, recover to this point in time (RFC 3339, such as 2026-11-26T21:30:00Z) instead of the end of the archived WAL.",
        check: optional(RFC3339),
    },
    backupAccessKeyId: {
        type: "string",
        default: "",
        secret: true,
        description: "k8s: access key id for backupDestination.",
    },
    backupSecretAccessKey: {
        type: "string",
        default: "",
        secret: true,
        description: "k8s: secret access key for backupDestination.",
    },
    // --- Kubernetes platform add-ons (each off by default, for clusters that already have it)
    installCertManager: {
        type: "boolean",
        default: false,
        description: "k8s: install cert-manager (Helm) for the Ingress or Gateway certificate.",
    },
    letsEncryptEmail: {
        type: "string",
        default: "",
        description:
            "k8s: create the ClusterIssuers letsencrypt-staging and letsencrypt-production (ACME HTTP-01) with this contact e-mail.",
        check: optional(pattern(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "an e-mail address")),
    },
    installTraefik: {
        type: "boolean",
        default: false,
        description: "k8s: install the Traefik ingress controller (Helm), IngressClass and GatewayClass traefik.",
    },
    routing: {
        type: "string",
        default: "ingress",
        description: "k8s: route ingressHost with an Ingress, or with Gateway API (a Gateway and an HTTPRoute).",
        check: oneOf("ingress", "gateway"),
    },
    gatewayClassName: {
        type: "string",
        default: "traefik",
        description: "k8s: GatewayClass of the app's Gateway when routing is gateway.",
        check: DNS_LABEL,
    },
    installKubePrometheusStack: {
        type: "boolean",
        default: false,
        description: "k8s: install kube-prometheus-stack (Prometheus, Alertmanager, Grafana); implies monitoring.",
    },
    alertErrorPercent: {
        type: "integer",
        default: 5,
        description: "k8s: alert when more than this percent of requests fail (5xx) over 10 minutes.",
        check: range(1, 100),
    },
    alertLatencyMs: {
        type: "integer",
        default: 500,
        description: "k8s: alert when the 99th percentile latency stays above this many milliseconds for 10 minutes.",
        check: range(10, 60000),
    },
    // --- Heroku
    herokuAppName: {
        type: "string",
        default: "",
        description:
            "heroku: app name (empty: actors-<random>; names are global). An existing app of that name is adopted.",
        check: optional(
            pattern(/^[a-z][a-z0-9-]{2,29}$/, "3 to 30 lowercase letters, digits and '-', starting with a letter"),
        ),
    },
    herokuRegion: {
        type: "string",
        default: "us",
        description: "heroku: region of the app (ignored with herokuTeam's private spaces).",
        check: oneOf("us", "eu"),
    },
    herokuTeam: {
        type: "string",
        default: "",
        description: "heroku: team that owns the app (empty: your personal account).",
    },
    herokuApiKey: {
        type: "string",
        default: "",
        secret: true,
        description: "heroku: Platform API key (or set HEROKU_API_KEY in the environment).",
    },
    herokuPostgresPlan: {
        type: "string",
        default: "essential-0",
        description: "heroku: Heroku Postgres plan.",
        check: pattern(
            /^(essential-[0-2]|standard-[0-9]+|premium-[0-9]+|private-[0-9]+|shield-[0-9]+)$/,
            "a Heroku Postgres plan such as essential-0, standard-0 or premium-0",
        ),
    },
    herokuWebQuantity: {
        type: "integer",
        default: 1,
        description: "heroku: number of web dynos.",
        check: range(0, 100),
    },
    herokuWebSize: {
        type: "string",
        default: "basic",
        description: "heroku: dyno size of the web process.",
        check: oneOf(
            "eco",
            "basic",
            "standard-1x",
            "standard-2x",
            "performance-m",
            "performance-l",
            "performance-l-ram",
            "performance-xl",
            "performance-2xl",
            "private-s",
            "private-m",
            "private-l",
            "shield-s",
            "shield-m",
            "shield-l",
        ),
    },
    herokuDomain: {
        type: "string",
        default: "",
        description: "heroku: custom domain, with a certificate from Automated Certificate Management.",
        check: optional(HOSTNAME),
    },
    herokuLogDrainUrl: {
        type: "string",
        default: "",
        secret: true,
        description: "heroku: syslog or HTTPS URL that receives the app's logs (a log drain).",
    },
    herokuPreboot: {
        type: "boolean",
        default: false,
        description: "heroku: start new dynos before stopping old ones on each release (preboot).",
    },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;

type Plain<K extends ConfigKey> = (typeof CONFIG_SCHEMA)[K]["default"] extends number
    ? number
    : (typeof CONFIG_SCHEMA)[K]["default"] extends boolean
      ? boolean
      : (typeof CONFIG_SCHEMA)[K]["default"] extends readonly unknown[]
        ? string[]
        : string;

type SecretKeys = { [K in ConfigKey]: (typeof CONFIG_SCHEMA)[K] extends { secret: true } ? K : never }[ConfigKey];

/** The checked settings: plain values, and secrets as Pulumi secret outputs (undefined when not set). */
export type Settings = { [K in Exclude<ConfigKey, SecretKeys>]: Plain<K> } & {
    [K in SecretKeys]: pulumi.Output<string> | undefined;
} & { project: string; stack: string };

/** A RunError: Pulumi prints its message and exits, without a stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

const NAMESPACE = "actors";

function parse(key: string, spec: KeySpec, raw: string): { value?: unknown; problem?: string } {
    const full = `${NAMESPACE}:${key}`;
    switch (spec.type) {
        case "integer": {
            const n = Number(raw.trim());
            if (raw.trim() === "" || !Number.isInteger(n))
                return { problem: `${full} must be a whole number (got ${JSON.stringify(raw)})` };
            return { value: n };
        }
        case "boolean":
            if (raw === "true" || raw === "false") return { value: raw === "true" };
            return { problem: `${full} must be true or false (got ${JSON.stringify(raw)})` };
        case "array": {
            try {
                const v = JSON.parse(raw);
                if (Array.isArray(v) && v.every((x) => typeof x === "string")) return { value: v };
            } catch {
                /* reported below */
            }
            return { problem: `${full} must be a list of strings` };
        }
        default:
            return { value: raw };
    }
}

/** Cross-key rules: what the chosen platform needs. */
function crossCheck(s: Record<string, any>, secretSet: (k: string) => boolean): string[] {
    const problems: string[] = [];
    if (s.platform === "k8s") {
        if (!s.localImage && s.imageRepository === "")
            problems.push(
                "actors:imageRepository is required on k8s (a registry the cluster can pull from), unless actors:localImage is true",
            );
        if (s.maxReplicas < s.replicas)
            problems.push(`actors:maxReplicas (${s.maxReplicas}) must be at least actors:replicas (${s.replicas})`);
        if (s.tlsClusterIssuer !== "" && s.ingressHost === "")
            problems.push("actors:tlsClusterIssuer needs actors:ingressHost (the certificate is for the Ingress host)");
        if (s.backupDestination !== "" && !(secretSet("backupAccessKeyId") && secretSet("backupSecretAccessKey")))
            problems.push(
                "actors:backupDestination needs actors:backupAccessKeyId and actors:backupSecretAccessKey (set both with --secret)",
            );
        if (s.routing === "gateway" && s.ingressHost === "")
            problems.push(
                "actors:routing gateway needs actors:ingressHost (the Gateway listener and HTTPRoute are for that host)",
            );
        if (s.restoreFromBackup !== "" && s.backupDestination === "")
            problems.push(
                "actors:restoreFromBackup needs actors:backupDestination (and its keys): the object storage the backups are read from",
            );
        if (s.restoreFromBackup !== "" && s.restoreFromBackup === s.dbClusterName)
            problems.push(
                `actors:restoreFromBackup (${s.restoreFromBackup}) must differ from actors:dbClusterName: CloudNativePG restores only into a new cluster, and the new cluster archives its WAL under its own name, never into the archive it restores from. Set actors:dbClusterName to a new name such as ${s.dbClusterName}-2`,
            );
        // PostgreSQL stops a recovery whose target lies beyond the archived WAL ("recovery ended before configured
        // recovery target was reached"): a time still to come can only fail.
        if (s.restoreTargetTime !== "" && Date.parse(s.restoreTargetTime) > Date.now())
            problems.push(
                `actors:restoreTargetTime (${s.restoreTargetTime}) must be in the past: a restore recovers to a time the archive already holds`,
            );
        if (s.restoreTargetTime !== "" && s.restoreFromBackup === "")
            problems.push("actors:restoreTargetTime needs actors:restoreFromBackup (the backups to recover from)");
        if (secretSet("imageRegistryPassword") && s.imageRegistryUsername === "")
            problems.push("actors:imageRegistryPassword needs actors:imageRegistryUsername");
    }
    if (s.platform === "heroku") {
        if (!secretSet("herokuApiKey") && !process.env.HEROKU_API_KEY)
            problems.push(
                "actors:herokuApiKey is required on heroku: `pulumi config set --secret herokuApiKey <key>`, or set HEROKU_API_KEY",
            );
    }
    return problems;
}

/** Reads every setting once and checks it; throws a ConfigError listing every problem found. */
export function loadSettings(): Settings {
    const config = new pulumi.Config(NAMESPACE);
    const values: Record<string, unknown> = {};
    const problems: string[] = [];
    const secretSet = (key: string) => (pulumi.runtime.getConfig(`${NAMESPACE}:${key}`) ?? "") !== "";
    for (const [key, spec] of Object.entries(CONFIG_SCHEMA) as [string, KeySpec][]) {
        if (spec.secret) {
            if (secretSet(key) && !isSecret(`${NAMESPACE}:${key}`)) {
                problems.push(`${NAMESPACE}:${key} is a secret: set it with \`pulumi config set --secret ${key} ...\``);
                continue;
            }
            // Never read as plain text: only wrapped, and only when set.
            values[key] = secretSet(key) ? config.requireSecret(key) : undefined;
            continue;
        }
        const raw = pulumi.runtime.getConfig(`${NAMESPACE}:${key}`);
        if (raw === undefined) {
            values[key] = spec.default;
            continue;
        }
        const parsed = parse(key, spec, raw);
        if (parsed.problem) {
            problems.push(parsed.problem);
            continue;
        }
        const allowed = spec.check?.(parsed.value);
        if (allowed) {
            problems.push(`${NAMESPACE}:${key} must be ${allowed} (got ${JSON.stringify(parsed.value)})`);
            continue;
        }
        values[key] = parsed.value;
    }
    const known = new Set(Object.keys(CONFIG_SCHEMA));
    for (const full of Object.keys(allConfig())) {
        const [ns, key] = full.split(":");
        if (ns === NAMESPACE && !known.has(key))
            problems.push(`${full} is not a setting of this program (see Pulumi.yaml)`);
    }
    if (problems.length === 0) problems.push(...crossCheck(values, secretSet));
    if (problems.length) throw new ConfigError(problems);
    return { ...values, project: pulumi.getProject(), stack: pulumi.getStack() } as Settings;
}

function isSecret(fullKey: string): boolean {
    // Exported by the SDK's runtime but missing from its typings.
    return (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(fullKey);
}

function allConfig(): Record<string, string> {
    return pulumi.runtime.allConfig();
}
