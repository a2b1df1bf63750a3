import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PinnedChart, pinnedRelease } from "./helm";
import { APP_SELECTOR } from "./labels";

const CNPG_REPO = "https://cloudnative-pg.github.io/charts";
export const CNPG_OPERATOR_CHART: PinnedChart = { chart: "cloudnative-pg", version: "0.29.0", repo: CNPG_REPO };
export const CNPG_CLUSTER_CHART: PinnedChart = { chart: "cluster", version: "0.8.1", repo: CNPG_REPO };
export const DB_NAME = "app";
export const DB_OWNER = "app";

export interface DatabaseBackupArgs {
    destination: string;
    endpointUrl: string;
    region: string;
    schedule: string;
    retention: string;
    accessKeyId: pulumi.Input<string>;
    secretAccessKey: pulumi.Input<string>;
}

export interface DatabaseArgs {
    namespace: pulumi.Input<string>;
    /** The CNPG Cluster's name: its services are <name>-rw/-ro, the app's secret <name>-app. */
    clusterName: string;
    installOperator: boolean;
    /** Where the operator runs (installed there, or already running there). */
    operatorNamespace: string;
    postgresVersion: string;
    instances: number;
    storageSize: string;
    storageClass: string;
    cpu: string;
    memory: string;
    monitoring: boolean;
    /** Refuse to delete or replace the cluster (and with it the data). */
    protect: boolean;
    backup?: DatabaseBackupArgs;
}

/**
 * PostgreSQL in the cluster through CloudNativePG: the operator chart (optional), the `cluster` chart, the owner's
 * generated password in the `<cluster>-app` secret the chart bootstraps from (with the `uri` the app reads), backup
 * credentials, and a NetworkPolicy that admits only the app, the cluster's own instances and the operator.
 */
export class Database extends pulumi.ComponentResource {
    readonly clusterName: string;
    /** Name of the Secret whose `uri` key is the app's DATABASE_URL. */
    readonly appSecretName: string;
    readonly operatorRelease?: k8s.helm.v3.Release;
    readonly clusterRelease: k8s.helm.v3.Release;
    /** The cluster chart's values (plain: no secret goes into them). */
    readonly clusterValues: Record<string, unknown>;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:k8s:Database", name, {}, opts);
        const parent = { parent: this };
        this.clusterName = args.clusterName;
        this.appSecretName = `${args.clusterName}-app`;

        if (args.installOperator) {
            this.operatorRelease = pinnedRelease(
                `${name}-operator`,
                CNPG_OPERATOR_CHART,
                {
                    release: "cnpg",
                    namespace: args.operatorNamespace,
                    createNamespace: true,
                    values: operatorValues(args.monitoring),
                },
                parent,
            );
        }

        const password = new random.RandomPassword(`${name}-owner-password`, { length: 32, special: false }, parent);
        const host = pulumi.interpolate`${args.clusterName}-rw.${args.namespace}.svc`;
        // The chart bootstraps the owner from this secret; CloudNativePG then leaves it alone, so it also carries
        // the connection details the operator would otherwise generate.
        const appSecret = new k8s.core.v1.Secret(
            `${name}-app`,
            {
                metadata: { name: this.appSecretName, namespace: args.namespace, labels: { "cnpg.io/reload": "true" } },
                type: "kubernetes.io/basic-auth",
                stringData: {
                    username: DB_OWNER,
                    password: password.result,
                    dbname: DB_NAME,
                    host,
                    port: "5432",
                    uri: pulumi.secret(
                        pulumi.interpolate`postgresql://${DB_OWNER}:${password.result}@${host}:5432/${DB_NAME}`,
                    ),
                },
            },
            parent,
        );

        let backupSecret: k8s.core.v1.Secret | undefined;
        if (args.backup) {
            backupSecret = new k8s.core.v1.Secret(
                `${name}-backup-credentials`,
                {
                    metadata: { name: `${args.clusterName}-backup-s3`, namespace: args.namespace },
                    type: "Opaque",
                    stringData: {
                        ACCESS_KEY_ID: pulumi.secret(args.backup.accessKeyId),
                        ACCESS_SECRET_KEY: pulumi.secret(args.backup.secretAccessKey),
                        Region: args.backup.region,
                    },
                },
                parent,
            );
        }

        const values = clusterValues(args, backupSecret ? `${args.clusterName}-backup-s3` : undefined);
        this.clusterValues = values;
        this.clusterRelease = pinnedRelease(
            `${name}-cluster`,
            CNPG_CLUSTER_CHART,
            // The Cluster resource becomes ready long after Helm returns; the app's readiness probe covers that.
            { release: args.clusterName, namespace: args.namespace, atomic: false, values },
            {
                parent: this,
                protect: args.protect,
                dependsOn: [
                    appSecret,
                    ...(backupSecret ? [backupSecret] : []),
                    ...(this.operatorRelease ? [this.operatorRelease] : []),
                ],
            },
        );

        new k8s.networking.v1.NetworkPolicy(
            `${name}-ingress`,
            {
                metadata: { name: `${args.clusterName}-ingress`, namespace: args.namespace },
                spec: databaseNetworkPolicy(args.clusterName, args.operatorNamespace, args.monitoring),
            },
            parent,
        );
        this.registerOutputs({ clusterName: this.clusterName, appSecretName: this.appSecretName });
    }
}

export function operatorValues(monitoring: boolean): Record<string, unknown> {
    return { crds: { create: true }, config: { clusterWide: true }, monitoring: { podMonitorEnabled: monitoring } };
}

export function clusterValues(args: DatabaseArgs, backupSecretName?: string): Record<string, unknown> {
    const resources = {
        requests: { cpu: args.cpu, memory: args.memory },
        limits: { cpu: args.cpu, memory: args.memory },
    };
    const values: Record<string, any> = {
        type: "postgresql",
        mode: "standalone",
        version: { postgresql: args.postgresVersion },
        fullnameOverride: args.clusterName,
        cluster: {
            instances: args.instances,
            storage: { size: args.storageSize, ...(args.storageClass ? { storageClass: args.storageClass } : {}) },
            resources,
            enableSuperuserAccess: false,
            initdb: { database: DB_NAME, owner: DB_OWNER, secret: { name: `${args.clusterName}-app` } },
            monitoring: { enabled: args.monitoring, podMonitor: { enabled: args.monitoring } },
        },
        backups: { enabled: false },
    };
    if (args.backup && backupSecretName) {
        values.backups = {
            enabled: true,
            provider: "s3",
            destinationPath: args.backup.destination,
            ...(args.backup.endpointUrl ? { endpointURL: args.backup.endpointUrl } : {}),
            s3: { region: args.backup.region },
            secret: { create: false, name: backupSecretName },
            retentionPolicy: args.backup.retention,
            scheduledBackups: [
                {
                    name: "daily",
                    schedule: args.backup.schedule,
                    backupOwnerReference: "self",
                    method: "barmanObjectStore",
                },
            ],
        };
    }
    return values;
}

/** PostgreSQL (5432) only from the app's pods and the cluster's own instances; the instance manager (8000) also from
 *  the operator's namespace; with monitoring, the metrics port (9187, no data) from any namespace. */
export function databaseNetworkPolicy(
    clusterName: string,
    operatorNamespace: string,
    monitoring: boolean,
): k8s.types.input.networking.v1.NetworkPolicySpec {
    const instances = { podSelector: { matchLabels: { "cnpg.io/cluster": clusterName } } };
    return {
        podSelector: { matchLabels: { "cnpg.io/cluster": clusterName } },
        policyTypes: ["Ingress"],
        ingress: [
            {
                from: [{ podSelector: { matchLabels: APP_SELECTOR } }, instances],
                ports: [{ protocol: "TCP", port: 5432 }],
            },
            {
                from: [
                    instances,
                    { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": operatorNamespace } } },
                ],
                ports: [{ protocol: "TCP", port: 8000 }],
            },
            ...(monitoring ? [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 9187 }] }] : []),
        ],
    };
}
