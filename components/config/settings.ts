/**
 * Every setting of the program, one entry each: its type, default, the platform it applies to, what it does, and what
 * is allowed (`values` for a fixed list, `min`/`max` for whole numbers, `rule` for the rest). Pulumi.yaml's `config:`
 * block and docs/configuration.md are generated from this table (`npm run gen:config`).
 */
import {
    BYTE_QUANTITY,
    CPU_QUANTITY,
    DNS_LABEL,
    DNS_SUBDOMAIN,
    emptyOr,
    ENV_LIST,
    HEROKU_APP_NAME,
    HOSTNAME,
    IMAGE_REPOSITORY,
    pattern,
    RFC3339,
    Rule,
} from "./rules";

/** Where a setting applies: set on a stack of the other platform, it is refused. */
export type Platform = "k8s" | "heroku" | "both";

interface Common {
    description: string;
    platform: Platform;
    /** Set with `pulumi config set --secret`; read only as a Pulumi secret, refused in plain text. */
    secret?: boolean;
}
export interface StringSpec extends Common {
    type: "string";
    default: string;
    /** The only values allowed (the setting's type is their union). */
    values?: readonly string[];
    rule?: Rule<string>;
}
export interface IntegerSpec extends Common {
    type: "integer";
    default: number;
    min: number;
    max: number;
}
export interface BooleanSpec extends Common {
    type: "boolean";
    default: boolean;
}
export interface ArraySpec extends Common {
    type: "array";
    default: readonly string[];
    rule?: Rule<string[]>;
}
export type SettingSpec = StringSpec | IntegerSpec | BooleanSpec | ArraySpec;

export const SETTINGS = {
    // --- both platforms
    platform: {
        type: "string",
        platform: "both",
        default: "k8s",
        values: ["k8s", "heroku"],
        description: "Where to deploy.",
    },
    webConcurrency: {
        type: "integer",
        platform: "both",
        default: 2,
        min: 1,
        max: 64,
        description: "gunicorn worker processes per container (WEB_CONCURRENCY).",
    },
    logLevel: {
        type: "string",
        platform: "both",
        default: "info",
        values: ["debug", "info", "warning", "error"],
        description: "The app's log level.",
    },
    appEnv: {
        type: "array",
        platform: "both",
        default: [],
        rule: ENV_LIST,
        description: 'Extra environment for the app, as "NAME=value" strings (not secrets).',
    },
    protectDatabase: {
        type: "boolean",
        platform: "both",
        default: true,
        description:
            "Protect the database (the CloudNativePG cluster release and its namespace; the Heroku app and its Postgres add-on) from deletion and replacement: pulumi refuses instead of losing data, also a change of namespace, dbClusterName, restoreFromBackup, restoreTargetTime or the Postgres plan tier. Set false to allow pulumi destroy.",
    },
    // --- the image
    imageRepository: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(IMAGE_REPOSITORY),
        description: "Repository to push the image to, such as ghcr.io/acme/actors. Empty only with localImage.",
    },
    imageRegistryUsername: {
        type: "string",
        platform: "k8s",
        default: "",
        description: "User name for imageRepository's registry (empty: use the local Docker credentials).",
    },
    imageRegistryPassword: {
        type: "string",
        platform: "k8s",
        default: "",
        secret: true,
        description: "Password or token for imageRepository's registry.",
    },
    localImage: {
        type: "boolean",
        platform: "k8s",
        default: false,
        description: "Build into the local Docker engine and push nowhere (Docker Desktop, minikube docker-env).",
    },
    // --- Kubernetes
    kubeContext: {
        type: "string",
        platform: "k8s",
        default: "",
        description: "Kubeconfig context to deploy to (empty: the current context).",
    },
    renderYamlTo: {
        type: "string",
        platform: "k8s",
        default: "",
        description:
            "Folder the Kubernetes provider writes each object's YAML to instead of applying it (its renderYamlToDirectory); no cluster is contacted. Set by `npm run render` on its throwaway stack, not for a real one.",
    },
    chartRepository: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(
            pattern(/^(https?|oci):\/\/[^\s/][^\s]*$/, "an http(s):// Helm repository URL or an oci:// registry path"),
        ),
        description:
            "Helm repository (https://...) or OCI registry (oci://host/path) to fetch every chart from, under its upstream name and pinned version: an air-gapped mirror (empty: each chart's upstream repository).",
    },
    namespace: {
        type: "string",
        platform: "k8s",
        default: "actors",
        rule: DNS_LABEL,
        description: "Namespace for the app and its database.",
    },
    replicas: {
        type: "integer",
        platform: "k8s",
        default: 2,
        min: 1,
        max: 100,
        description: "Minimum number of app pods (the autoscaler's floor).",
    },
    maxReplicas: {
        type: "integer",
        platform: "k8s",
        default: 6,
        min: 1,
        max: 100,
        description: "Maximum number of app pods for the autoscaler.",
    },
    targetCpuUtilization: {
        type: "integer",
        platform: "k8s",
        default: 70,
        min: 10,
        max: 100,
        description: "Average CPU use, in percent of the request, that the autoscaler aims for.",
    },
    cpuRequest: {
        type: "string",
        platform: "k8s",
        default: "100m",
        rule: CPU_QUANTITY,
        description: "CPU request of each app container (at most cpuLimit).",
    },
    cpuLimit: {
        type: "string",
        platform: "k8s",
        default: "1",
        rule: CPU_QUANTITY,
        description: "CPU limit of each app container.",
    },
    memoryRequest: {
        type: "string",
        platform: "k8s",
        default: "192Mi",
        rule: BYTE_QUANTITY,
        description: "Memory request of each app container (at most memoryLimit).",
    },
    memoryLimit: {
        type: "string",
        platform: "k8s",
        default: "256Mi",
        rule: BYTE_QUANTITY,
        description: "Memory limit of each app container.",
    },
    serviceType: {
        type: "string",
        platform: "k8s",
        default: "ClusterIP",
        values: ["ClusterIP", "NodePort", "LoadBalancer"],
        description: "Type of the app's Service.",
    },
    ingressHost: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(HOSTNAME),
        description: "Public host name; when set, an Ingress routes it to the app.",
    },
    ingressClassName: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(DNS_SUBDOMAIN),
        description: "IngressClass of the Ingress (empty: the cluster's default class).",
    },
    tlsClusterIssuer: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(DNS_SUBDOMAIN),
        description: "cert-manager ClusterIssuer that issues the Ingress certificate (empty: no TLS).",
    },
    installCnpgOperator: {
        type: "boolean",
        platform: "k8s",
        default: true,
        description: "Install the CloudNativePG operator (turn off when the cluster already runs it).",
    },
    cnpgOperatorNamespace: {
        type: "string",
        platform: "k8s",
        default: "cnpg-system",
        rule: DNS_LABEL,
        description: "Namespace of the CloudNativePG operator (where it is installed, or already runs).",
    },
    postgresVersion: {
        type: "string",
        platform: "k8s",
        default: "17",
        values: ["15", "16", "17", "18"],
        description: "PostgreSQL major version of the database cluster.",
    },
    dbInstances: {
        type: "integer",
        platform: "k8s",
        default: 1,
        min: 1,
        max: 9,
        description: "PostgreSQL instances (1 primary + replicas; 2 or more for failover).",
    },
    dbStorageSize: {
        type: "string",
        platform: "k8s",
        default: "1Gi",
        rule: BYTE_QUANTITY,
        description: "Volume size of each PostgreSQL instance.",
    },
    dbStorageClass: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(DNS_SUBDOMAIN),
        description: "StorageClass of the PostgreSQL volumes (empty: the cluster's default).",
    },
    dbClusterName: {
        type: "string",
        platform: "k8s",
        default: "actors-db",
        rule: pattern(
            /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/,
            "a DNS label of at most 40 characters starting with a letter",
        ),
        description:
            "Name of the CloudNativePG cluster, also of its Helm release, its services (NAME-rw, NAME-ro), its app secret (NAME-app) and its server name in the backups. A new name is a new cluster.",
    },
    dbCpu: {
        type: "string",
        platform: "k8s",
        default: "500m",
        rule: CPU_QUANTITY,
        description: "CPU request and limit of each PostgreSQL instance.",
    },
    dbMemory: {
        type: "string",
        platform: "k8s",
        default: "512Mi",
        rule: BYTE_QUANTITY,
        description: "Memory request and limit of each PostgreSQL instance.",
    },
    monitoring: {
        type: "boolean",
        platform: "k8s",
        default: false,
        description: "Create PodMonitors for the app and PostgreSQL (needs the Prometheus Operator's CRDs).",
    },
    backupDestination: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(
            pattern(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/, "an S3 URL such as s3://my-bucket/actors"),
        ),
        description: "S3 URL for PostgreSQL backups and WAL, such as s3://bucket/actors (empty: no backups).",
    },
    backupEndpointUrl: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(pattern(/^https?:\/\/[^\s]+$/, "an http(s) URL")),
        description: "Endpoint of S3-compatible storage (empty: AWS S3).",
    },
    backupS3Region: {
        type: "string",
        platform: "k8s",
        default: "us-east-1",
        rule: pattern(/^[a-z0-9-]{2,32}$/, "an S3 region such as us-east-1"),
        description: "S3 region of backupDestination.",
    },
    backupSchedule: {
        type: "string",
        platform: "k8s",
        default: "0 0 3 * * *",
        rule: pattern(/^(\S+\s+){5}\S+$/, 'a six-field cron expression such as "0 0 3 * * *"'),
        description: "When to take a base backup (cron with seconds, as CloudNativePG expects).",
    },
    backupRetention: {
        type: "string",
        platform: "k8s",
        default: "30d",
        rule: pattern(/^[1-9][0-9]*[dwm]$/, 'a duration such as "30d", "4w" or "3m"'),
        description: "How long backups are kept.",
    },
    installBarmanCloudPlugin: {
        type: "boolean",
        platform: "k8s",
        default: true,
        description:
            "Install the Barman Cloud plugin (Helm, in cnpgOperatorNamespace) when backups are on; it needs cert-manager (installCertManager, or one the cluster runs). Turn off when the cluster already runs the plugin.",
    },
    restoreFromBackup: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(DNS_LABEL),
        description:
            "Create the database cluster from the backups in backupDestination of this server name (the dbClusterName that took them). Only when the cluster is created: restore into a new dbClusterName. Keep it set for the life of that cluster.",
    },
    restoreTargetTime: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(RFC3339),
        description:
            "With restoreFromBackup, recover to this point in time (RFC 3339, such as 2026-11-26T21:30:00Z) instead of the end of the archived WAL.",
    },
    backupAccessKeyId: {
        type: "string",
        platform: "k8s",
        default: "",
        secret: true,
        description: "Access key id for backupDestination.",
    },
    backupSecretAccessKey: {
        type: "string",
        platform: "k8s",
        default: "",
        secret: true,
        description: "Secret access key for backupDestination.",
    },
    // --- Kubernetes platform add-ons (each off by default, for clusters that already have it)
    installCertManager: {
        type: "boolean",
        platform: "k8s",
        default: false,
        description: "Install cert-manager (Helm) for the Ingress or Gateway certificate.",
    },
    letsEncryptEmail: {
        type: "string",
        platform: "k8s",
        default: "",
        rule: emptyOr(pattern(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "an e-mail address")),
        description:
            "Create the ClusterIssuers letsencrypt-staging and letsencrypt-production (ACME HTTP-01) with this contact e-mail.",
    },
    installTraefik: {
        type: "boolean",
        platform: "k8s",
        default: false,
        description: "Install the Traefik ingress controller (Helm), IngressClass and GatewayClass traefik.",
    },
    routing: {
        type: "string",
        platform: "k8s",
        default: "ingress",
        values: ["ingress", "gateway"],
        description: "Route ingressHost with an Ingress, or with Gateway API (a Gateway and an HTTPRoute).",
    },
    gatewayClassName: {
        type: "string",
        platform: "k8s",
        default: "traefik",
        rule: DNS_SUBDOMAIN,
        description: "GatewayClass of the app's Gateway when routing is gateway.",
    },
    installKubePrometheusStack: {
        type: "boolean",
        platform: "k8s",
        default: false,
        description: "Install kube-prometheus-stack (Prometheus, Alertmanager, Grafana); implies monitoring.",
    },
    alertErrorPercent: {
        type: "integer",
        platform: "k8s",
        default: 5,
        min: 1,
        max: 100,
        description: "Alert when more than this percent of requests fail (5xx) over 10 minutes.",
    },
    alertLatencyMs: {
        type: "integer",
        platform: "k8s",
        default: 500,
        min: 10,
        max: 60000,
        description: "Alert when the 99th percentile latency stays above this many milliseconds for 10 minutes.",
    },
    // --- Heroku
    herokuAppName: {
        type: "string",
        platform: "heroku",
        default: "",
        rule: emptyOr(HEROKU_APP_NAME),
        description: "App name (empty: actors-<random>; names are global). An existing app of that name is adopted.",
    },
    herokuRegion: {
        type: "string",
        platform: "heroku",
        default: "us",
        values: ["us", "eu"],
        description: "Region of the app (ignored with herokuTeam's private spaces).",
    },
    herokuTeam: {
        type: "string",
        platform: "heroku",
        default: "",
        description: "Team that owns the app (empty: your personal account).",
    },
    herokuApiKey: {
        type: "string",
        platform: "heroku",
        default: "",
        secret: true,
        description: "Platform API key (or set HEROKU_API_KEY in the environment).",
    },
    herokuPostgresPlan: {
        type: "string",
        platform: "heroku",
        default: "essential-0",
        rule: pattern(
            /^(essential-[0-2]|standard-[0-9]+|premium-[0-9]+|private-[0-9]+|shield-[0-9]+)$/,
            "a Heroku Postgres plan such as essential-0, standard-0 or premium-0",
        ),
        description: "Heroku Postgres plan.",
    },
    herokuWebQuantity: {
        type: "integer",
        platform: "heroku",
        default: 1,
        min: 0,
        max: 100,
        description: "Number of web dynos (at most 1 on eco and basic dynos).",
    },
    herokuWebSize: {
        type: "string",
        platform: "heroku",
        default: "basic",
        values: [
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
        ],
        description: "Dyno size of the web process.",
    },
    herokuDomain: {
        type: "string",
        platform: "heroku",
        default: "",
        rule: emptyOr(HOSTNAME),
        description: "Custom domain, with a certificate from Automated Certificate Management.",
    },
    herokuLogDrainUrl: {
        type: "string",
        platform: "heroku",
        default: "",
        secret: true,
        description: "Syslog or HTTPS URL that receives the app's logs (a log drain).",
    },
    herokuPreboot: {
        type: "boolean",
        platform: "heroku",
        default: false,
        description:
            "Start new dynos before stopping old ones on each release (preboot; standard and performance dynos only).",
    },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;
type Table = typeof SETTINGS;

/** A setting's value type: the union of its `values`, else its declared type. */
type ValueOf<S> = S extends { values: readonly (infer V)[] }
    ? V
    : S extends { type: "integer" }
      ? number
      : S extends { type: "boolean" }
        ? boolean
        : S extends { type: "array" }
          ? string[]
          : string;

export type SecretKey = { [K in SettingKey]: Table[K] extends { secret: true } ? K : never }[SettingKey];
export type PlainKey = Exclude<SettingKey, SecretKey>;
/** The settings that apply on a platform (its own and those of both). */
export type KeyOf<P extends "k8s" | "heroku"> = {
    [K in SettingKey]: Table[K]["platform"] extends P | "both" ? K : never;
}[SettingKey];

/** A plain setting's checked value. */
export type SettingValue<K extends PlainKey> = ValueOf<Table[K]>;

export const settingKeys = Object.keys(SETTINGS) as SettingKey[];
