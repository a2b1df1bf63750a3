import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { appEnvironment } from "../appEnv";
import { type AppImage, registryServer } from "../appImage";
import type { Settings } from "../config";
import type { PlatformStackArgs } from "../platformStack";
import { Observability, ObservabilityArgs } from "./addons/observability";
import { Tls, TlsArgs } from "./addons/tls";
import { Traefik, TRAEFIK_CLASS, TraefikArgs } from "./addons/traefik";
import type { DatabaseIdentity } from "../databaseGuard";
import { bootstrapIdentity, Database, DatabaseArgs, DatabaseBackupArgs, DatabaseRestoreArgs } from "./database";
import { checkKubeTarget } from "./kubeconfig";
import { APP_GATEWAY, AppNetwork, NetworkArgs } from "./network";
import { APP_PORT, WebApp, WebAppArgs } from "./web";

export type K8sStackArgs = PlatformStackArgs;

/** The whole Kubernetes deployment: a restricted namespace, PostgreSQL through CloudNativePG, the app and its network. */
export class K8sStack extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly namespace: pulumi.Output<string>;
    readonly image: pulumi.Output<string>;
    readonly database: Database;

    constructor(name: string, args: K8sStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:k8s:K8sStack", name, {}, opts);
        const s = args.settings;
        // With a real engine, the context must exist and its API server answer before anything is declared on it;
        // under unit-test mocks there is no cluster to check.
        // Rendering (`npm run render`) contacts no cluster: the provider writes YAML instead of applying it. The
        // provider takes KUBECONFIG as its kubeconfig and refuses it beside renderYamlToDirectory: say which setting.
        if (s.renderYamlTo && process.env.KUBECONFIG)
            throw new pulumi.RunError(
                `actors:renderYamlTo ("${s.renderYamlTo}") makes the Kubernetes provider write YAML instead of deploying (npm run render sets it on a throwaway stack), and KUBECONFIG is set: the provider refuses both together. Remove actors:renderYamlTo to deploy, or unset KUBECONFIG to render`,
            );
        if (pulumi.runtime.getEngine() && !s.renderYamlTo) checkKubeTarget(s.kubeContext);
        const provider = new k8s.Provider(`${name}-provider`, providerArgs(s), { parent: this });
        const within = { parent: this, provider };
        // Deleting the namespace deletes the database in it: protected as the database is.
        const ns = new k8s.core.v1.Namespace(`${name}-namespace`, namespaceArgs(s), {
            ...within,
            protect: s.protectDatabase,
        }).metadata.name;

        // Metrics first: with kube-prometheus-stack installed here, its CRDs must exist before the charts that create
        // PodMonitors or ServiceMonitors (the database's, Traefik's) are installed.
        const observability = monitoringOn(s)
            ? new Observability(`${name}-observability`, observabilityArgs(s, ns), within)
            : undefined;
        const afterMonitoring = { ...within, dependsOn: observability?.release ? [observability.release] : [] };

        // Platform add-ons, each off by default for clusters that already have them. cert-manager comes before the
        // database: the Barman Cloud plugin needs it for its certificates.
        const tls = tlsWanted(s) ? new Tls(`${name}-tls`, tlsArgs(s, ns), within) : undefined;
        const database = (this.database = new Database(`${name}-db`, databaseArgs(s, ns, tls), afterMonitoring));
        const web = new WebApp(`${name}-web`, webAppArgs(s, args.image, ns, database), within);
        const traffic = s.installTraefik ? new Traefik(`${name}-traffic`, traefikArgs(s), afterMonitoring) : undefined;
        const network = new AppNetwork(
            `${name}-network`,
            networkArgs(s, ns, web.serviceName, [...(traffic ? [traffic] : []), ...(tls ? [tls] : [])]),
            within,
        );

        this.url = network.url;
        this.namespace = ns;
        this.image = args.image.ref;
        this.registerOutputs({ url: this.url, namespace: this.namespace, image: this.image });
    }
}

type Namespace = pulumi.Output<string>;

function providerArgs(s: Settings): k8s.ProviderArgs {
    const target = s.renderYamlTo
        ? { renderYamlToDirectory: s.renderYamlTo }
        : s.kubeContext
          ? { context: s.kubeContext }
          : {};
    return { ...target, enableServerSideApply: true };
}

function namespaceArgs(s: Settings): k8s.core.v1.NamespaceArgs {
    return {
        metadata: {
            name: s.namespace,
            labels: {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    };
}

/** Metrics objects (PodMonitors, alerts) are declared when asked for, or when this stack installs Prometheus. */
const monitoringOn = (s: Settings) => s.monitoring || s.installKubePrometheusStack;

function observabilityArgs(s: Settings, ns: Namespace): ObservabilityArgs {
    return {
        namespace: ns,
        databaseCluster: s.dbClusterName,
        installKubePrometheusStack: s.installKubePrometheusStack,
        chartRepository: s.chartRepository,
        alertErrorPercent: s.alertErrorPercent,
        alertLatencyMs: s.alertLatencyMs,
    };
}

const gatewayApi = (s: Settings) => s.routing === "gateway";
const ingressClassName = (s: Settings) => s.ingressClassName || (s.installTraefik ? TRAEFIK_CLASS : "");

const tlsWanted = (s: Settings) => s.installCertManager || Boolean(s.letsEncryptEmail);

function tlsArgs(s: Settings, ns: Namespace): TlsArgs {
    return {
        install: s.installCertManager,
        chartRepository: s.chartRepository,
        email: s.letsEncryptEmail,
        gatewayApi: gatewayApi(s),
        solver: gatewayApi(s)
            ? { gateway: { name: APP_GATEWAY, namespace: ns } }
            : { ingressClassName: ingressClassName(s) || TRAEFIK_CLASS },
    };
}

function backupArgs(s: Settings): DatabaseBackupArgs | undefined {
    if (!(s.backupDestination && s.backupAccessKeyId && s.backupSecretAccessKey)) return undefined;
    return {
        destination: s.backupDestination,
        endpointUrl: s.backupEndpointUrl,
        region: s.backupS3Region,
        schedule: s.backupSchedule,
        retention: s.backupRetention,
        accessKeyId: s.backupAccessKeyId,
        secretAccessKey: s.backupSecretAccessKey,
    };
}

function databaseArgs(s: Settings, ns: Namespace, tls: Tls | undefined): DatabaseArgs {
    return {
        namespace: ns,
        clusterName: s.dbClusterName,
        installOperator: s.installCnpgOperator,
        chartRepository: s.chartRepository,
        operatorNamespace: s.cnpgOperatorNamespace,
        installBackupPlugin: s.installBarmanCloudPlugin,
        backupPluginDependsOn: tls?.release ? [tls.release] : [],
        postgresVersion: s.postgresVersion,
        instances: s.dbInstances,
        storageSize: s.dbStorageSize,
        storageClass: s.dbStorageClass,
        cpu: s.dbCpu,
        memory: s.dbMemory,
        monitoring: monitoringOn(s),
        protect: s.protectDatabase,
        backup: backupArgs(s),
        restore: restoreArgs(s),
    };
}

function restoreArgs(s: Settings): DatabaseRestoreArgs | undefined {
    return s.restoreFromBackup ? { serverName: s.restoreFromBackup, targetTime: s.restoreTargetTime } : undefined;
}

/**
 * Which database the stack runs (components/databaseGuard.ts): the namespace it lives in (deleting a namespace deletes
 * everything in it), the cluster's name, and how the cluster was bootstrapped (CloudNativePG restores only at creation).
 */
export function k8sDatabaseIdentity(s: Settings): DatabaseIdentity {
    return {
        "actors:namespace": s.namespace,
        "actors:dbClusterName": s.dbClusterName,
        "actors:restoreFromBackup/restoreTargetTime": bootstrapIdentity(restoreArgs(s)),
    };
}

function webAppArgs(s: Settings, image: AppImage, ns: Namespace, database: Database): WebAppArgs {
    return {
        namespace: ns,
        image: image.ref,
        imageTag: image.tag,
        imagePulledFromRegistry: image.pushed,
        // Credentials the nodes need to pull a private image (the same ones the push used).
        registryCredentials:
            image.pushed && s.imageRegistryUsername && s.imageRegistryPassword
                ? {
                      server: registryServer(s.imageRepository),
                      username: s.imageRegistryUsername,
                      password: s.imageRegistryPassword,
                  }
                : undefined,
        databaseSecretName: database.appSecretName,
        env: { ...appEnvironment(s), PORT: String(APP_PORT) },
        replicas: s.replicas,
        maxReplicas: s.maxReplicas,
        targetCpuUtilization: s.targetCpuUtilization,
        resources: {
            cpuRequest: s.cpuRequest,
            cpuLimit: s.cpuLimit,
            memoryRequest: s.memoryRequest,
            memoryLimit: s.memoryLimit,
        },
        serviceType: s.serviceType,
        dependsOn: [database],
    };
}

function traefikArgs(s: Settings): TraefikArgs {
    return { gatewayApi: gatewayApi(s), metrics: monitoringOn(s), chartRepository: s.chartRepository };
}

function networkArgs(
    s: Settings,
    ns: Namespace,
    serviceName: pulumi.Output<string>,
    dependsOn: pulumi.Resource[],
): NetworkArgs {
    return {
        namespace: ns,
        serviceName,
        host: s.ingressHost,
        routing: s.routing,
        ingressClassName: ingressClassName(s),
        gatewayClassName: s.gatewayClassName,
        tlsClusterIssuer: s.tlsClusterIssuer,
        dependsOn,
    };
}
