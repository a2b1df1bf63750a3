import type { ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { BARMAN_CLOUD_PLUGIN } from "../components/k8s/addons/cnpg";
import { EXPOSURE_ANNOTATION } from "../components/k8s/labels";
import { podSpecOf, restrictedViolations } from "./podSecurity";

/**
 * The project's policies, as plain data so they can be unit-tested without starting a policy pack (index.ts wraps
 * them in a PolicyPack). All mandatory.
 */
export interface ResourcePolicy {
    name: string;
    description: string;
    enforcementLevel: "mandatory";
    validateResource: (args: Pick<ResourceValidationArgs, "type" | "props" | "name">, report: ReportViolation) => void;
}

export interface StackPolicy {
    name: string;
    description: string;
    enforcementLevel: "mandatory";
    validateStack: (
        args: { resources: Pick<StackValidationArgs["resources"][number], "type" | "props" | "name">[] },
        report: ReportViolation,
    ) => void;
}

const WORKLOADS: Record<string, string> = {
    "kubernetes:core/v1:Pod": "Pod",
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
    "kubernetes:apps/v1:ReplicaSet": "ReplicaSet",
    "kubernetes:batch/v1:Job": "Job",
    "kubernetes:batch/v1:CronJob": "CronJob",
};
const LONG_RUNNING = ["Deployment", "StatefulSet", "DaemonSet"];

/** A Heroku resource type (components/heroku, served by the provider plugin in provider/). */
const HEROKU = (name: string) => `actors-heroku:index:${name}`;
const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY|DATABASE_URL|CREDENTIALS)/i;
const SECRET_VALUE_KEY =
    /^(password|secret|secretKey|secretAccessKey|accessKey|token|apiKey|privateKey|connectionString|storageKey)$/i;

function podSpec(args: { type: string; props: any }): any {
    const kind = WORKLOADS[args.type];
    return kind ? podSpecOf(kind, args.props?.spec) : undefined;
}

function containers(args: { type: string; props: any }): any[] {
    const spec = podSpec(args);
    return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

export const podSecurityRestricted: ResourcePolicy = {
    name: "pod-security-restricted",
    description: "Every pod meets the Pod Security Standards `restricted` profile.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const kind = WORKLOADS[args.type];
        if (!kind) return;
        const spec = podSpecOf(kind, args.props?.spec);
        if (!spec) return; // unknown during preview
        for (const problem of restrictedViolations(spec)) report(`${kind} ${args.name}: ${problem}`);
    },
};

export const resourcesSet: ResourcePolicy = {
    name: "resources-requests-and-limits",
    description: "Every container sets CPU and memory requests and limits.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        for (const c of containers(args)) {
            for (const kind of ["requests", "limits"]) {
                for (const resource of ["cpu", "memory"]) {
                    if (!c.resources?.[kind]?.[resource]) report(`container ${c.name}: ${kind}.${resource} is not set`);
                }
            }
        }
    },
};

export const probesSet: ResourcePolicy = {
    name: "probes-set",
    description: "Every container of a long-running workload has readiness and liveness probes.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!LONG_RUNNING.includes(WORKLOADS[args.type] ?? "")) return;
        for (const c of podSpec(args)?.containers ?? []) {
            if (!c.readinessProbe) report(`container ${c.name}: no readinessProbe`);
            if (!c.livenessProbe) report(`container ${c.name}: no livenessProbe`);
        }
    },
};

export const imagesPinned: ResourcePolicy = {
    name: "images-pinned-by-digest",
    description: "Every image is pinned by digest (images kept in the local engine, never pulled, are exempt).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        for (const c of containers(args)) {
            if (c.image === undefined) continue; // unknown until the image is pushed (preview)
            if (c.imagePullPolicy === "Never") continue;
            if (!/@sha256:[0-9a-f]{64}$/.test(String(c.image)))
                report(`container ${c.name}: image ${c.image} is not pinned by digest`);
        }
    },
};

export const noUnrequestedExposure: ResourcePolicy = {
    name: "no-unrequested-node-port-or-load-balancer",
    description: "A Service is NodePort or LoadBalancer only when the actors:serviceType setting asked for it.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== "kubernetes:core/v1:Service") return;
        const type = args.props?.spec?.type ?? "ClusterIP";
        if (
            (type === "NodePort" || type === "LoadBalancer") &&
            args.props?.metadata?.annotations?.[EXPOSURE_ANNOTATION] !== type
        ) {
            report(`Service ${args.name} is ${type} but no setting asked for it`);
        }
    },
};

export const noPlaintextSecrets: ResourcePolicy = {
    name: "no-plaintext-secrets",
    description: "Secret-looking environment comes from Secrets, and no Helm values carry credentials.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        for (const c of containers(args)) {
            for (const env of c.env ?? []) {
                if (SECRET_NAME.test(env.name) && env.value !== undefined)
                    report(`container ${c.name}: ${env.name} is set in plain text; use valueFrom.secretKeyRef`);
            }
        }
        if (args.type === "kubernetes:helm.sh/v3:Release") {
            const walk = (value: any, where: string) => {
                if (value && typeof value === "object") {
                    for (const [k, v] of Object.entries(value)) {
                        if (SECRET_VALUE_KEY.test(k) && typeof v === "string" && v !== "")
                            report(`Helm values ${where}${k} carry a credential; reference a Secret instead`);
                        walk(v, `${where}${k}.`);
                    }
                }
            };
            walk(args.props?.values, "");
        }
    },
};

/** The database's pods only accept PostgreSQL connections from their own namespace, behind a NetworkPolicy. */
export const databaseStaysInNamespace: StackPolicy = {
    name: "database-not-reachable-from-outside-its-namespace",
    description:
        "Each CloudNativePG cluster has a NetworkPolicy whose PostgreSQL rules only admit pods of its namespace, and no NodePort/LoadBalancer Service.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const clusters = args.resources.filter(
            (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.props?.chart === "cluster",
        );
        for (const release of clusters) {
            const name = release.props.values?.fullnameOverride ?? release.props.name;
            const policies = args.resources.filter(
                (r) =>
                    r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
                    r.props?.spec?.podSelector?.matchLabels?.["cnpg.io/cluster"] === name,
            );
            if (policies.length === 0)
                report(`database cluster ${name} has no NetworkPolicy: it is reachable from every namespace`);
            for (const policy of policies) {
                for (const rule of policy.props.spec.ingress ?? []) {
                    const ports: any[] = rule.ports ?? [];
                    const coversPostgres =
                        ports.length === 0 || ports.some((p) => p.port === 5432 || p.port === "postgresql");
                    if (!coversPostgres) continue;
                    if (!rule.from || rule.from.length === 0)
                        report(`NetworkPolicy ${policy.name}: PostgreSQL open to every source`);
                    for (const peer of rule.from ?? []) {
                        if (peer.namespaceSelector || peer.ipBlock)
                            report(
                                `NetworkPolicy ${policy.name}: PostgreSQL reachable from outside namespace ${release.props.namespace}`,
                            );
                    }
                }
            }
            for (const svc of args.resources.filter((r) => r.type === "kubernetes:core/v1:Service")) {
                const selectsDb = svc.props?.spec?.selector?.["cnpg.io/cluster"] === name;
                if (selectsDb && ["NodePort", "LoadBalancer"].includes(svc.props.spec.type))
                    report(`Service ${svc.name} exposes database ${name} outside the cluster`);
            }
        }
    },
};

/**
 * CloudNativePG backups go through a plugin (the in-tree `barmanObjectStore` is removed in 1.31), and a cluster that
 * is restored from an archive never archives its own WAL into that same archive.
 */
export const databaseBackupsThroughPlugin: StackPolicy = {
    name: "database-backups-through-plugin",
    description:
        "CloudNativePG clusters back up through a plugin, not the in-tree barmanObjectStore (removed in 1.31), and a restored cluster archives under a server name other than the one it restores from.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const release of args.resources.filter(
            (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.props?.chart === "cluster",
        )) {
            const values = release.props.values ?? {};
            const name = values.fullnameOverride ?? release.props.name;
            if (values.backups?.enabled && values.backups?.method !== "plugin")
                report(
                    `database cluster ${name}: backups use the in-tree barmanObjectStore; use the Barman Cloud plugin`,
                );
            // With `backups.method: plugin` and the Barman Cloud plugin, the chart makes the plugin's entry the WAL
            // archiver (adding one if none is given), unless the entry says otherwise.
            const backups = values.backups ?? {};
            const chartArchives =
                backups.enabled &&
                backups.method === "plugin" &&
                backups.pluginConfiguration?.name === BARMAN_CLOUD_PLUGIN;
            const plugins: any[] = values.cluster?.plugins ?? [];
            const archiver =
                plugins.find((p) => p.isWALArchiver ?? (chartArchives && p.name === BARMAN_CLOUD_PLUGIN)) ??
                (chartArchives && !plugins.some((p) => p.name === BARMAN_CLOUD_PLUGIN) ? {} : undefined);
            const archivesAs = archiver?.parameters?.serverName ?? name;
            if (values.mode === "recovery" && archiver && archivesAs === values.recovery?.clusterName)
                report(`database cluster ${name}: archives its WAL as ${archivesAs}, the server it restores from`);
            // The chart's own ScheduledBackups (its default method is barmanObjectStore).
            if (backups.enabled)
                for (const entry of backups.scheduledBackups ?? [])
                    if ((entry.method ?? "barmanObjectStore") === "barmanObjectStore")
                        report(
                            `database cluster ${name}: scheduled backup ${entry.name}: method barmanObjectStore; use method plugin`,
                        );
        }
        for (const scheduled of args.resources.filter(
            (r) => r.type === "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
        )) {
            const method = scheduled.props?.spec?.method ?? "barmanObjectStore";
            if (method === "barmanObjectStore")
                report(`ScheduledBackup ${scheduled.name}: method barmanObjectStore; use method plugin`);
        }
    },
};

export const herokuPostgresTls: StackPolicy = {
    name: "heroku-postgres-over-tls",
    description: "An app with Heroku Postgres connects over TLS (PGSSLMODE require, verify-ca or verify-full).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const addon of args.resources.filter((r) => r.type === HEROKU("PostgresAddon"))) {
            const vars =
                args.resources.find((r) => r.type === HEROKU("ConfigVars") && r.props?.appId === addon.props?.appId)
                    ?.props?.vars ?? {};
            if (!["require", "verify-ca", "verify-full"].includes(vars.PGSSLMODE)) {
                report(
                    `Heroku Postgres ${addon.name}: the app's PGSSLMODE is ${JSON.stringify(vars.PGSSLMODE ?? null)}, not require/verify-ca/verify-full`,
                );
            }
        }
    },
};

export const resourcePolicies: ResourcePolicy[] = [
    podSecurityRestricted,
    resourcesSet,
    probesSet,
    imagesPinned,
    noUnrequestedExposure,
    noPlaintextSecrets,
];
export const stackPolicies: StackPolicy[] = [databaseStaysInNamespace, databaseBackupsThroughPlugin, herokuPostgresTls];
