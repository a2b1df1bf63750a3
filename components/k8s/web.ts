import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WEB_SELECTOR, appLabels, EXPOSURE_ANNOTATION } from "./labels";
import { WEB_DEPLOYMENT } from "./names";
import { restrictedContainerSecurity, restrictedPodSecurity, tmpMount, tmpVolume } from "./podSecurity";

export const APP_PORT = 5000;

/**
 * The migration Job's time budget. Every deadline and Pulumi's wait for the Job derive from these numbers, so the
 * provider never gives up on a Job that Kubernetes is still allowed to run.
 */
export const MIGRATION = {
    /** `bin/migrate --wait`: how long one attempt waits for the database to accept connections. */
    databaseWaitSeconds: 300,
    /** One attempt (pod) at most: the database wait plus the migrations themselves. */
    attemptSeconds: 600,
    /** Retries after a failed attempt. */
    backoffLimit: 3,
    /** What Pulumi allows beyond the Job's own deadline: scheduling, image pull, reporting the result. */
    awaitMarginSeconds: 120,
};

/** Kubernetes' pod-failure backoff before retry n (10 s, doubling, at most 6 minutes). */
const retryDelaySeconds = (n: number) => Math.min(10 * 2 ** n, 360);

/** The Job's activeDeadlineSeconds: every attempt at its own deadline, plus the backoff between them. */
export function migrationDeadlineSeconds(m = MIGRATION): number {
    let total = m.attemptSeconds * (m.backoffLimit + 1);
    for (let n = 0; n < m.backoffLimit; n++) total += retryDelaySeconds(n);
    return total;
}

/** How long Pulumi awaits the Job (its default is 10 minutes): the Job's deadline plus a margin. */
export function migrationAwaitSeconds(m = MIGRATION): number {
    return migrationDeadlineSeconds(m) + m.awaitMarginSeconds;
}

/** The dockerconfigjson key of a registry host (Docker Hub's is its legacy index URL, as kubelet expects). */
export function dockerConfigServer(server: string): string {
    return server === "docker.io" ? "https://index.docker.io/v1/" : server;
}

export interface RegistryCredentials {
    server: string;
    username: string;
    password: pulumi.Input<string>;
}

export interface WebAppArgs {
    namespace: pulumi.Input<string>;
    /** Image reference, pinned by digest when pushed. */
    image: pulumi.Input<string>;
    /** Content tag of the image: names the migration Job, so each new image migrates once. */
    imageTag: string;
    /** Local images are never pulled. */
    imagePulledFromRegistry: boolean;
    /** Credentials for a private registry: a dockerconfigjson Secret every pod pulls with. */
    registryCredentials?: RegistryCredentials;
    databaseSecretName: string;
    env: Record<string, string>;
    replicas: number;
    maxReplicas: number;
    targetCpuUtilization: number;
    resources: { cpuRequest: string; cpuLimit: string; memoryRequest: string; memoryLimit: string };
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
        const webLabels = appLabels("web");

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: { name: "actors", namespace: args.namespace, labels: webLabels },
                automountServiceAccountToken: false,
            },
            parent,
        );
        const pullSecret = args.registryCredentials
            ? new k8s.core.v1.Secret(
                  `${name}-registry`,
                  {
                      metadata: { name: "actors-registry", namespace: args.namespace, labels: webLabels },
                      type: "kubernetes.io/dockerconfigjson",
                      stringData: { ".dockerconfigjson": dockerConfigJson(args.registryCredentials) },
                  },
                  parent,
              )
            : undefined;
        const pod = (container: k8s.types.input.core.v1.Container) => ({
            serviceAccountName: serviceAccount.metadata.name,
            automountServiceAccountToken: false,
            ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret.metadata.name }] } : {}),
            securityContext: restrictedPodSecurity,
            volumes: [tmpVolume],
            containers: [
                {
                    image: args.image,
                    imagePullPolicy: args.imagePulledFromRegistry ? "IfNotPresent" : "Never",
                    env: environment(args),
                    securityContext: restrictedContainerSecurity,
                    volumeMounts: [tmpMount],
                    resources: {
                        requests: { cpu: args.resources.cpuRequest, memory: args.resources.memoryRequest },
                        limits: { cpu: args.resources.cpuLimit, memory: args.resources.memoryLimit },
                    },
                    ...container,
                },
            ],
        });

        // The same command as Heroku's release phase; named by the image tag, so a new image runs it once, and
        // the Deployment waits for it (Pulumi awaits a Job until it completes).
        this.migrationJob = new k8s.batch.v1.Job(
            `${name}-migrate`,
            {
                metadata: {
                    name: `actors-migrate-${args.imageTag.replace(/^sha-/, "").slice(0, 12)}`,
                    namespace: args.namespace,
                    labels: appLabels("migrate"),
                    // The kubernetes provider awaits a Job for 10 minutes by default: wait as long as the Job may run.
                    annotations: { "pulumi.com/timeoutSeconds": String(migrationAwaitSeconds()) },
                },
                spec: {
                    backoffLimit: MIGRATION.backoffLimit,
                    activeDeadlineSeconds: migrationDeadlineSeconds(),
                    template: {
                        metadata: { labels: appLabels("migrate") },
                        spec: {
                            restartPolicy: "Never",
                            activeDeadlineSeconds: MIGRATION.attemptSeconds,
                            ...pod({
                                name: "migrate",
                                command: ["/app/bin/migrate", "--wait", String(MIGRATION.databaseWaitSeconds)],
                            }),
                        },
                    },
                },
            },
            { parent: this, dependsOn: args.dependsOn, deleteBeforeReplace: true },
        );

        const probe = (path: string, period: number, failures: number) => ({
            httpGet: { path, port: "http" },
            periodSeconds: period,
            timeoutSeconds: 3,
            failureThreshold: failures,
        });
        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
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
                                    labelSelector: {
                                        matchLabels: WEB_SELECTOR,
                                    },
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [this.migrationJob] },
        );

        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
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
            },
            parent,
        );
        this.serviceName = this.service.metadata.name;

        new k8s.autoscaling.v2.HorizontalPodAutoscaler(
            `${name}-hpa`,
            {
                metadata: { name: WEB_DEPLOYMENT, namespace: args.namespace, labels: webLabels },
                spec: {
                    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
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
            },
            parent,
        );

        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: { name: WEB_DEPLOYMENT, namespace: args.namespace, labels: webLabels },
                spec: {
                    // With one replica a budget of 0 unavailable would block every node drain.
                    ...(args.replicas > 1 ? { minAvailable: 1 } : { maxUnavailable: 1 }),
                    selector: { matchLabels: WEB_SELECTOR },
                },
            },
            parent,
        );

        this.registerOutputs({ serviceName: this.serviceName });
    }
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

function environment(args: WebAppArgs): k8s.types.input.core.v1.EnvVar[] {
    return [
        { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: args.databaseSecretName, key: "uri" } } },
        ...Object.entries(args.env).map(([name, value]) => ({ name, value })),
    ];
}
