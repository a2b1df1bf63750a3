import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WEB_SELECTOR, appLabels, EXPOSURE_ANNOTATION } from "./labels";
import { WEB_DEPLOYMENT } from "./names";
import { AppPod, appPod, AppPodArgs } from "./appPod";
import { migrationJobArgs } from "./migrationJob";

export const APP_PORT = 5000;

/** The dockerconfigjson key of a registry host (Docker Hub's is its legacy index URL, as kubelet expects). */
export function dockerConfigServer(server: string): string {
    return server === "docker.io" ? "https://index.docker.io/v1/" : server;
}

export interface RegistryCredentials {
    server: string;
    username: string;
    password: pulumi.Input<string>;
}

/** The pod's image, environment and resources, and what the web app adds around it. */
export interface WebAppArgs extends Omit<AppPodArgs, "serviceAccountName" | "pullSecretName"> {
    namespace: pulumi.Input<string>;
    /** Content tag of the image: names the migration Job, so each new image migrates once. */
    imageTag: string;
    /** Credentials for a private registry: a dockerconfigjson Secret every pod pulls with. */
    registryCredentials?: RegistryCredentials;
    replicas: number;
    maxReplicas: number;
    targetCpuUtilization: number;
    serviceType: "ClusterIP" | "NodePort" | "LoadBalancer";
    /** Resources the migration must wait for (the database). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The app: its ServiceAccount, a migration Job that finishes before the Deployment rolls, the Deployment, a
 * Service, an autoscaler and a disruption budget.
 */
export class WebApp extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly migrationJob: k8s.batch.v1.Job;
    readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: WebAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:k8s:WebApp", name, {}, opts);
        const parent = { parent: this };

        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, serviceAccountArgs(args), parent);
        const pullSecret = args.registryCredentials
            ? new k8s.core.v1.Secret(`${name}-registry`, registrySecretArgs(args, args.registryCredentials), parent)
            : undefined;
        const pod = appPod({
            ...args,
            serviceAccountName: serviceAccount.metadata.name,
            pullSecretName: pullSecret?.metadata.name,
        });

        this.migrationJob = new k8s.batch.v1.Job(
            `${name}-migrate`,
            migrationJobArgs({ namespace: args.namespace, imageTag: args.imageTag, pod }),
            { parent: this, dependsOn: args.dependsOn, deleteBeforeReplace: true },
        );
        this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, deploymentArgs(args, pod), {
            parent: this,
            dependsOn: [this.migrationJob],
        });
        this.service = new k8s.core.v1.Service(`${name}-service`, serviceArgs(args), parent);
        this.serviceName = this.service.metadata.name;
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(
            `${name}-hpa`,
            autoscalerArgs(args, this.deployment.metadata.name),
            parent,
        );
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, disruptionBudgetArgs(args), parent);

        this.registerOutputs({ serviceName: this.serviceName });
    }
}

const webLabels = appLabels("web");

function serviceAccountArgs(args: WebAppArgs): k8s.core.v1.ServiceAccountArgs {
    return {
        metadata: { name: "actors", namespace: args.namespace, labels: webLabels },
        automountServiceAccountToken: false,
    };
}

function registrySecretArgs(args: WebAppArgs, credentials: RegistryCredentials): k8s.core.v1.SecretArgs {
    return {
        metadata: { name: "actors-registry", namespace: args.namespace, labels: webLabels },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": dockerConfigJson(credentials) },
    };
}

const probe = (path: string, period: number, failures: number) => ({
    httpGet: { path, port: "http" },
    periodSeconds: period,
    timeoutSeconds: 3,
    failureThreshold: failures,
});

function deploymentArgs(args: WebAppArgs, pod: AppPod): k8s.apps.v1.DeploymentArgs {
    return {
        metadata: { name: WEB_DEPLOYMENT, namespace: args.namespace, labels: webLabels },
        spec: {
            // No `replicas`: the autoscaler owns it (minReplicas is the floor), so `pulumi up` never fights it.
            revisionHistoryLimit: 5,
            selector: { matchLabels: WEB_SELECTOR },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
                metadata: { labels: webLabels },
                spec: {
                    ...pod({
                        name: "web",
                        ports: [{ name: "http", containerPort: APP_PORT, protocol: "TCP" }],
                        startupProbe: probe("/healthz", 2, 30),
                        readinessProbe: probe("/readyz", 5, 3),
                        livenessProbe: probe("/healthz", 10, 3),
                        // Let endpoints and load balancers drop this pod before gunicorn stops listening.
                        lifecycle: { preStop: { exec: { command: ["sleep", "5"] } } },
                    }),
                    // preStop (5 s) + gunicorn's graceful timeout (20 s) fit inside it.
                    terminationGracePeriodSeconds: 30,
                    topologySpreadConstraints: [
                        {
                            maxSkew: 1,
                            topologyKey: "kubernetes.io/hostname",
                            whenUnsatisfiable: "ScheduleAnyway",
                            labelSelector: { matchLabels: WEB_SELECTOR },
                        },
                    ],
                },
            },
        },
    };
}

function serviceArgs(args: WebAppArgs): k8s.core.v1.ServiceArgs {
    return {
        metadata: {
            name: WEB_DEPLOYMENT,
            namespace: args.namespace,
            labels: webLabels,
            // The policy pack admits a NodePort or LoadBalancer Service only when a setting asked for it.
            annotations: args.serviceType === "ClusterIP" ? {} : { [EXPOSURE_ANNOTATION]: args.serviceType },
        },
        spec: {
            type: args.serviceType,
            selector: WEB_SELECTOR,
            ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
        },
    };
}

function autoscalerArgs(
    args: WebAppArgs,
    deploymentName: pulumi.Input<string>,
): k8s.autoscaling.v2.HorizontalPodAutoscalerArgs {
    return {
        metadata: { name: WEB_DEPLOYMENT, namespace: args.namespace, labels: webLabels },
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deploymentName },
            minReplicas: args.replicas,
            maxReplicas: args.maxReplicas,
            metrics: [
                {
                    type: "Resource",
                    resource: {
                        name: "cpu",
                        target: { type: "Utilization", averageUtilization: args.targetCpuUtilization },
                    },
                },
            ],
        },
    };
}

function disruptionBudgetArgs(args: WebAppArgs): k8s.policy.v1.PodDisruptionBudgetArgs {
    return {
        metadata: { name: WEB_DEPLOYMENT, namespace: args.namespace, labels: webLabels },
        spec: {
            // With one replica a budget of 0 unavailable would block every node drain.
            ...(args.replicas > 1 ? { minAvailable: 1 } : { maxUnavailable: 1 }),
            selector: { matchLabels: WEB_SELECTOR },
        },
    };
}

/** The `.dockerconfigjson` document, a Pulumi secret (it carries the password). */
function dockerConfigJson(c: RegistryCredentials): pulumi.Output<string> {
    return pulumi.secret(
        pulumi.output(c.password).apply((password) =>
            JSON.stringify({
                auths: {
                    [dockerConfigServer(c.server)]: {
                        username: c.username,
                        password,
                        auth: Buffer.from(`${c.username}:${password}`).toString("base64"),
                    },
                },
            }),
        ),
    );
}
