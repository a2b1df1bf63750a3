import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { restrictedContainerSecurity, restrictedPodSecurity, tmpMount, tmpVolume } from "./podSecurity";

export interface AppPodArgs {
    /** Image reference, pinned by digest when pushed. */
    image: pulumi.Input<string>;
    /** Local images are never pulled. */
    imagePulledFromRegistry: boolean;
    serviceAccountName: pulumi.Input<string>;
    /** The dockerconfigjson Secret every pod pulls with, for a private registry. */
    pullSecretName?: pulumi.Input<string>;
    /** The Secret whose `uri` key is DATABASE_URL. */
    databaseSecretName: string;
    env: Record<string, string>;
    resources: { cpuRequest: string; cpuLimit: string; memoryRequest: string; memoryLimit: string };
}

/** A pod spec of the app's image for one container (its name, command, ports, probes...). */
export type AppPod = (container: k8s.types.input.core.v1.Container) => k8s.types.input.core.v1.PodSpec;

/** The pod every app process runs in (the web Deployment's and the migration Job's): restricted, one image, one env. */
export function appPod(args: AppPodArgs): AppPod {
    return (container) => ({
        serviceAccountName: args.serviceAccountName,
        automountServiceAccountToken: false,
        ...(args.pullSecretName ? { imagePullSecrets: [{ name: args.pullSecretName }] } : {}),
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
}

function environment(args: AppPodArgs): k8s.types.input.core.v1.EnvVar[] {
    return [
        { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: args.databaseSecretName, key: "uri" } } },
        ...Object.entries(args.env).map(([name, value]) => ({ name, value })),
    ];
}
