import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../charts";
import { pinnedRelease } from "../helm";

const TRAEFIK_NAMESPACE = "traefik";
export const TRAEFIK_CLASS = "traefik";

export interface TraefikArgs {
    /** Serve Gateway API routes (a GatewayClass named traefik) besides Ingresses. */
    gatewayApi: boolean;
    metrics: boolean;
    /** `actors:chartRepository`: the mirror the chart comes from (empty: upstream). */
    chartRepository: string;
}

/**
 * The ingress controller: Traefik (Helm). ingress-nginx has been retired upstream; Traefik is maintained, serves both
 * Ingress and Gateway API from one controller, and its chart ships a values schema the tests validate against.
 */
export class Traefik extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: TraefikArgs, opts?: pulumi.ComponentResourceOptions) {
        // Renamed from Traffic: the alias keeps the release (and its URN) in place.
        super(
            "actors:k8s:Traefik",
            name,
            {},
            { ...opts, aliases: [...(opts?.aliases ?? []), { type: "actors:k8s:Traffic" }] },
        );
        this.release = pinnedRelease(
            `${name}-traefik`,
            CHARTS.traefik,
            {
                release: "traefik",
                namespace: TRAEFIK_NAMESPACE,
                createNamespace: true,
                values: traefikValues(args),
                chartRepository: args.chartRepository,
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}

function traefikValues(args: TraefikArgs): Record<string, unknown> {
    return {
        ingressClass: { enabled: true, isDefaultClass: false, name: TRAEFIK_CLASS },
        providers: {
            kubernetesIngress: { enabled: true },
            kubernetesCRD: { enabled: true },
            kubernetesGateway: { enabled: args.gatewayApi },
        },
        gatewayClass: { enabled: args.gatewayApi, name: TRAEFIK_CLASS },
        // The app brings its own Gateway; the chart's default one is not needed.
        gateway: { enabled: false },
        deployment: { replicas: 2 },
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
        metrics: { prometheus: { serviceMonitor: { enabled: args.metrics } } },
        log: { format: "json" },
    };
}
