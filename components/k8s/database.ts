import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BARMAN_CLOUD_PLUGIN, barmanCloudPluginRelease, cnpgOperatorRelease } from "./addons/cnpg";
import { CHARTS } from "./charts";
import { pinnedRelease } from "./helm";
import { APP_SELECTOR } from "./labels";
import { dbAppSecret, dbRwService } from "./names";
const DB_NAME = "app";
const DB_OWNER = "app";

export interface DatabaseBackupArgs {
    destination: string;
    endpointUrl: string;
    region: string;
    schedule: string;
    retention: string;
    accessKeyId: pulumi.Input<string>;
    secretAccessKey: pulumi.Input<string>;
}

/** Create the cluster from a backup in the object store instead of an empty database. */
export interface DatabaseRestoreArgs {
    /** Server name of the backed-up cluster in the object store (its cluster name unless set otherwise). */
    serverName: string;
    /** RFC 3339 point in time to recover to; empty: to the end of the archived WAL. */
    targetTime: string;
}

export interface DatabaseArgs {
    namespace: pulumi.Input<string>;
    /** The CNPG Cluster's name: its services are <name>-rw/-ro, the app's secret <name>-app. */
    clusterName: string;
    installOperator: boolean;
    /** `actors:chartRepository`: the mirror the charts come from (empty: upstream). */
    chartRepository: string;
    /** Where the operator runs (installed there, or already running there); the plugin must run there too. */
    operatorNamespace: string;
    /** Install the Barman Cloud plugin chart when backups or a restore need it. */
    installBackupPlugin: boolean;
    /** What the plugin chart waits for (cert-manager, when this stack installs it). */
    backupPluginDependsOn?: pulumi.Resource[];
    postgresVersion: string;
    instances: number;
    storageSize: string;
    storageClass: string;
    cpu: string;
    memory: string;
    monitoring: boolean;
    /** Refuse to delete or replace the cluster (and with it the data). */
    protect: boolean;
    /** Object storage for backups and WAL; also where a restore reads from. */
    backup?: DatabaseBackupArgs;
    restore?: DatabaseRestoreArgs;
}

/**
 * PostgreSQL in the cluster through CloudNativePG: the operator chart (optional), the `cluster` chart, the owner's
 * generated password in the `<cluster>-app` secret the chart bootstraps from (with the `uri` the app reads), backups
 * through the Barman Cloud plugin (its chart, the keys' Secret, and the cluster chart's `backups` with `method:
 * plugin`: ObjectStore, plugin entry, ScheduledBackup), an optional restore (the chart's `mode: recovery`), and a
 * NetworkPolicy that admits only the app, the cluster's own instances and the operator.
 */
export class Database extends pulumi.ComponentResource {
    readonly clusterName: string;
    /** Name of the Secret whose `uri` key is the app's DATABASE_URL. */
    readonly appSecretName: string;
    readonly operatorRelease?: k8s.helm.v3.Release;
    readonly backupPluginRelease?: k8s.helm.v3.Release;
    readonly clusterRelease: k8s.helm.v3.Release;
    /** The cluster chart's values (plain: no secret goes into them). */
    readonly clusterValues: Record<string, unknown>;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:k8s:Database", name, {}, opts);
        const parent = { parent: this };
        this.clusterName = args.clusterName;
        this.appSecretName = dbAppSecret(args.clusterName);
        const addonArgs = { namespace: args.operatorNamespace, chartRepository: args.chartRepository };

        if (args.installOperator) {
            this.operatorRelease = cnpgOperatorRelease(
                `${name}-operator`,
                { ...addonArgs, monitoring: args.monitoring },
                parent,
            );
        }

        const password = new random.RandomPassword(`${name}-owner-password`, { length: 32, special: false }, parent);
        const host = pulumi.interpolate`${dbRwService(args.clusterName)}.${args.namespace}.svc`;
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

        const before: pulumi.Resource[] = [appSecret, ...(this.operatorRelease ? [this.operatorRelease] : [])];
        if (args.backup) {
            if (args.installBackupPlugin) {
                this.backupPluginRelease = barmanCloudPluginRelease(`${name}-backup-plugin`, addonArgs, {
                    parent: this,
                    dependsOn: [
                        ...(args.backupPluginDependsOn ?? []),
                        ...(this.operatorRelease ? [this.operatorRelease] : []),
                    ],
                });
                // The plugin chart brings the ObjectStore CRD the cluster chart's ObjectStore needs.
                before.push(this.backupPluginRelease);
            }
            // The keys stay this program's: a Secret whose values are Pulumi secrets. The chart only names it
            // (`backups.secret.create: false`); its own Secret would need the keys in the release's values. `Region`
            // is read by nothing now (the chart's ObjectStore names only the two keys); it stays because the
            // Kubernetes provider replaces a Secret whose data changes, which on a stack made before would delete
            // the keys under the running archiver (measured: docs/decisions.md).
            const credentials = new k8s.core.v1.Secret(
                `${name}-backup-credentials`,
                {
                    metadata: { name: backupSecretName(args.clusterName), namespace: args.namespace },
                    type: "Opaque",
                    stringData: {
                        ACCESS_KEY_ID: pulumi.secret(args.backup.accessKeyId),
                        ACCESS_SECRET_KEY: pulumi.secret(args.backup.secretAccessKey),
                        Region: args.backup.region,
                    },
                },
                parent,
            );
            before.push(credentials);
        }

        const values = clusterValues(args);
        this.clusterValues = values;
        // With backups on, the chart also makes the ObjectStore `<cluster>-backups` (a pre-install/pre-upgrade hook,
        // so it exists before the Cluster that archives to it), the plugin entry of the Cluster, and the
        // ScheduledBackup `<cluster>-base-backup`.
        this.clusterRelease = pinnedRelease(
            `${name}-cluster`,
            CHARTS.cnpgCluster,
            // The Cluster resource becomes ready long after Helm returns; the app's readiness probe covers that.
            {
                release: args.clusterName,
                namespace: args.namespace,
                atomic: false,
                values,
                chartRepository: args.chartRepository,
            },
            { parent: this, dependsOn: before, ...clusterReleaseOptions(args) },
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

/** The backup credentials' Secret, the program's own (its name predates the chart's `<cluster>-backup-s3-creds`). */
const backupSecretName = (clusterName: string) => `${clusterName}-backup-s3`;
/**
 * The name the chart gives the ScheduledBackup is `<cluster>-<this>`. Not `scheduled`: a stack made before the chart
 * made it still holds its own `<cluster>-scheduled` until the upgrade's end, and Helm refuses to create an object of a
 * name another owner holds.
 */
const SCHEDULED_BACKUP_NAME = "base-backup";

/**
 * How the cluster was created: from scratch, or from which backup. CloudNativePG cannot restore into a running cluster
 * (bootstrap only happens at creation), so a change of this value is a new cluster: the engine replaces the release,
 * which `protect` refuses. The value names the settings, so the refused plan says which one asked for it.
 */
export function bootstrapIdentity(restore?: DatabaseRestoreArgs): string {
    if (!restore) return "initdb";
    return `recovery: actors:restoreFromBackup=${restore.serverName}${restore.targetTime ? ` actors:restoreTargetTime=${restore.targetTime}` : ""}`;
}

/** Options of the cluster's release: protected, and replaced (never silently updated) when its bootstrap changes. */
export function clusterReleaseOptions(
    args: Pick<DatabaseArgs, "protect" | "restore">,
): Pick<pulumi.CustomResourceOptions, "protect" | "replacementTrigger" | "deleteBeforeReplace"> {
    // Create-before-delete: a replacement under the same release name fails at `helm install` and leaves the running
    // database as it was; under a new cluster name the new cluster exists before the old one goes.
    return { protect: args.protect, replacementTrigger: bootstrapIdentity(args.restore), deleteBeforeReplace: false };
}

/**
 * The cluster chart's object-store settings, the same for backups and for the store a restore reads: where, with
 * which keys (the Secret the program made; `secret.create: false`, so no key goes into the values), and the region.
 * The chart's ObjectStore has no field for the region unless it derives the AWS endpoint from it; the region reaches
 * barman-cloud as AWS_DEFAULT_REGION in the plugin's sidecar (its commands inherit the sidecar's environment).
 */
function objectStoreValues(clusterName: string, backup: DatabaseBackupArgs): Record<string, unknown> {
    return {
        provider: "s3",
        destinationPath: backup.destination,
        // Empty: the chart derives https://s3.<region>.amazonaws.com from s3.region.
        ...(backup.endpointUrl ? { endpointURL: backup.endpointUrl } : {}),
        s3: { region: backup.region },
        secret: { create: false, name: backupSecretName(clusterName) },
        instanceSidecarConfiguration: { env: [{ name: "AWS_DEFAULT_REGION", value: backup.region }] },
    };
}

/** The chart's backups: the ObjectStore, WAL archiving through the plugin, and the ScheduledBackup. */
function backupValues(clusterName: string, backup: DatabaseBackupArgs): Record<string, unknown> {
    const plugin = { name: BARMAN_CLOUD_PLUGIN };
    return {
        enabled: true,
        method: "plugin",
        pluginConfiguration: plugin,
        ...objectStoreValues(clusterName, backup),
        // The chart's default asks the storage for AES256 server-side encryption, which S3-compatible storage without
        // a KMS refuses; empty uses the bucket's default, as the program's own ObjectStore did.
        wal: { compression: "gzip", encryption: "" },
        data: { compression: "gzip", encryption: "" },
        retentionPolicy: backup.retention,
        // The chart also takes one right away (`immediate: true`): point-in-time recovery needs a first base backup.
        scheduledBackups: [
            {
                name: SCHEDULED_BACKUP_NAME,
                schedule: backup.schedule,
                backupOwnerReference: "self",
                method: "plugin",
                pluginConfiguration: plugin,
            },
        ],
    };
}

function clusterValues(args: DatabaseArgs): Record<string, unknown> {
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
            initdb: { database: DB_NAME, owner: DB_OWNER, secret: { name: dbAppSecret(args.clusterName) } },
            monitoring: { enabled: args.monitoring, podMonitor: { enabled: args.monitoring } },
        },
        backups: args.backup ? backupValues(args.clusterName, args.backup) : { enabled: false },
    };
    if (args.backup) {
        // The chart completes the plugin entry (enabled, the WAL archiver, barmanObjectName `<cluster>-backups`); the
        // server name is the cluster's own, said here: a restored cluster archives under its new name, never into
        // the archive it was restored from.
        values.cluster.plugins = [{ name: BARMAN_CLOUD_PLUGIN, parameters: { serverName: args.clusterName } }];
    }
    if (args.backup && args.restore) {
        values.mode = "recovery";
        delete values.cluster.initdb;
        // The restored data carries the owner's password of the cluster that was backed up; declarative role
        // management sets it to this stack's generated one (the `<cluster>-app` secret the app connects with).
        values.cluster.roles = [
            { name: DB_OWNER, ensure: "present", login: true, passwordSecret: { name: dbAppSecret(args.clusterName) } },
        ];
        // The chart makes the read-only source: an ObjectStore `<cluster>-recovery` from these settings, an
        // externalCluster using the plugin with this server name, and `bootstrap.recovery` from it.
        values.recovery = {
            method: "plugin",
            pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
            clusterName: args.restore.serverName,
            database: DB_NAME,
            owner: DB_OWNER,
            ...(args.restore.targetTime ? { pitrTarget: { time: args.restore.targetTime } } : {}),
            ...objectStoreValues(args.clusterName, args.backup),
        };
    }
    return values;
}

/** PostgreSQL (5432) only from the app's pods and the cluster's own instances; the instance manager (8000) also from
 *  the operator's namespace; with monitoring, the metrics port (9187, no data) from any namespace. */
function databaseNetworkPolicy(
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
