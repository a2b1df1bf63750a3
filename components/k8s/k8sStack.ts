import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { appEnvironment } from "../appEnv";
import type { PlatformStackArgs } from "../platformStack";
import { registryServer } from "../appImage";
import { Database } from "./database";
import { checkKubeTarget } from "./kubeconfig";
import { APP_GATEWAY, AppNetwork } from "./network";
import { Observability } from "./observability";
import { Tls } from "./tls";
import { Traefik, TRAEFIK_CLASS } from "./traefik";
import { APP_PORT, WebApp } from "./web";

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
        const target = s.renderYamlTo
            ? { renderYamlToDirectory: s.renderYamlTo }
            : s.kubeContext
              ? { context: s.kubeContext }
              : {};
        const provider = new k8s.Provider(
            `${name}-provider`,
            { ...target, enableServerSideApply: true },
            { parent: this },
        );
        const within = { parent: this, provider };

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: s.namespace,
                    labels: {
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "pod-security.kubernetes.io/enforce-version": "latest",
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/warn": "restricted",
                    },
                },
            },
            within,
        );
        const ns = namespace.metadata.name;

        // Metrics first: with kube-prometheus-stack installed here, its CRDs must exist before the charts that create
        // PodMonitors or ServiceMonitors (the database's, Traefik's) are installed.
        const monitoring = s.monitoring || s.installKubePrometheusStack;
        const observability = monitoring
            ? new Observability(
                  `${name}-observability`,
                  {
                      namespace: ns,
                      databaseCluster: s.dbClusterName,
                      installKubePrometheusStack: s.installKubePrometheusStack,
                      chartRepository: s.chartRepository,
                      alertErrorPercent: s.alertErrorPercent,
                      alertLatencyMs: s.alertLatencyMs,
                  },
                  within,
              )
            : undefined;
        const afterMonitoring = { ...within, dependsOn: observability?.release ? [observability.release] : [] };

        // Platform add-ons, each off by default for clusters that already have them. cert-manager comes before the
        // database: the Barman Cloud plugin needs it for its certificates.
        const gatewayApi = s.routing === "gateway";
        const ingressClassName = s.ingressClassName || (s.installTraefik ? TRAEFIK_CLASS : "");
        const tls =
            s.installCertManager || s.letsEncryptEmail
                ? new Tls(
                      `${name}-tls`,
                      {
                          install: s.installCertManager,
                          chartRepository: s.chartRepository,
                          email: s.letsEncryptEmail,
                          gatewayApi,
                          solver: gatewayApi
                              ? { gateway: { name: APP_GATEWAY, namespace: ns } }
                              : { ingressClassName: ingressClassName || TRAEFIK_CLASS },
                      },
                      within,
                  )
                : undefined;

        const backup =
            s.backupDestination && s.backupAccessKeyId && s.backupSecretAccessKey
                ? {
                      destination: s.backupDestination,
                      endpointUrl: s.backupEndpointUrl,
                      region: s.backupS3Region,
                      schedule: s.backupSchedule,
                      retention: s.backupRetention,
                      accessKeyId: s.backupAccessKeyId,
                      secretAccessKey: s.backupSecretAccessKey,
                  }
                : undefined;
        const database = (this.database = new Database(
            `${name}-db`,
            {
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
                monitoring,
                protect: s.protectDatabase,
                backup,
                restore: s.restoreFromBackup
                    ? { serverName: s.restoreFromBackup, targetTime: s.restoreTargetTime }
                    : undefined,
            },
            afterMonitoring,
        ));

        const web = new WebApp(
            `${name}-web`,
            {
                namespace: ns,
                image: args.image.ref,
                imageTag: args.image.tag,
                imagePulledFromRegistry: args.image.pushed,
                // Credentials the nodes need to pull a private image (the same ones the push used).
                registryCredentials:
                    args.image.pushed && s.imageRegistryUsername && s.imageRegistryPassword
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
            },
            within,
        );

        const traffic = s.installTraefik
            ? new Traefik(
                  `${name}-traffic`,
                  { gatewayApi, metrics: monitoring, chartRepository: s.chartRepository },
                  afterMonitoring,
              )
            : undefined;
        const network = new AppNetwork(
            `${name}-network`,
            {
                namespace: ns,
                serviceName: web.serviceName,
                host: s.ingressHost,
                routing: s.routing,
                ingressClassName,
                gatewayClassName: s.gatewayClassName,
                tlsClusterIssuer: s.tlsClusterIssuer,
                dependsOn: [...(traffic ? [traffic] : []), ...(tls ? [tls] : [])],
            },
            within,
        );

        this.url = network.url;
        this.namespace = ns;
        this.image = args.image.ref;
        this.registerOutputs({ url: this.url, namespace: this.namespace, image: this.image });
    }
}
