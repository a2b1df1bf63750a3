import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PinnedChart, pinnedRelease } from "./helm";

export const CERT_MANAGER_CHART: PinnedChart = {
    chart: "cert-manager",
    version: "v1.21.1",
    repo: "https://charts.jetstack.io",
    // The controller, cainjector and webhook start, then the startupapicheck hook Job retries until the webhook
    // answers (its own budget is about 5 minutes): more than Helm's default 300 s on a cold cluster.
    timeoutSeconds: 600,
};
export const CERT_MANAGER_NAMESPACE = "cert-manager";
export const LETS_ENCRYPT = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
} as const;

export interface TlsArgs {
    install: boolean;
    /** ACME contact; without it no ClusterIssuer is made. */
    email: string;
    /** How HTTP-01 challenges are answered: through the Ingress class, or through the app's Gateway. */
    solver: { ingressClassName: string } | { gateway: { name: string; namespace: pulumi.Input<string> } };
    /** cert-manager watches Gateways (gateway-shim) when the app is routed through Gateway API. */
    gatewayApi: boolean;
}

/** Certificates: cert-manager (Helm, optional) and Let's Encrypt ClusterIssuers for staging and production. */
export class Tls extends pulumi.ComponentResource {
    readonly release?: k8s.helm.v3.Release;

    constructor(name: string, args: TlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:k8s:Tls", name, {}, opts);
        if (args.install) {
            this.release = pinnedRelease(
                `${name}-cert-manager`,
                CERT_MANAGER_CHART,
                {
                    release: "cert-manager",
                    namespace: CERT_MANAGER_NAMESPACE,
                    createNamespace: true,
                    values: certManagerValues(args.gatewayApi),
                },
                { parent: this },
            );
        }
        if (args.email) {
            for (const [issuer, server] of Object.entries(LETS_ENCRYPT)) {
                new k8s.apiextensions.CustomResource(
                    `${name}-${issuer}`,
                    {
                        apiVersion: "cert-manager.io/v1",
                        kind: "ClusterIssuer",
                        metadata: { name: issuer },
                        spec: {
                            acme: {
                                server,
                                email: args.email,
                                privateKeySecretRef: { name: `${issuer}-account-key` },
                                solvers: [{ http01: http01Solver(args.solver) }],
                            },
                        },
                    },
                    { parent: this, dependsOn: this.release ? [this.release] : [] },
                );
            }
        }
        this.registerOutputs({});
    }
}

export function certManagerValues(gatewayApi: boolean): Record<string, unknown> {
    return {
        crds: { enabled: true, keep: true },
        ...(gatewayApi
            ? {
                  config: {
                      apiVersion: "controller.config.cert-manager.io/v1alpha1",
                      kind: "ControllerConfiguration",
                      enableGatewayAPI: true,
                  },
              }
            : {}),
        prometheus: { enabled: true },
    };
}

function http01Solver(solver: TlsArgs["solver"]): Record<string, unknown> {
    if ("gateway" in solver) {
        return {
            gatewayHTTPRoute: {
                parentRefs: [{ name: solver.gateway.name, namespace: solver.gateway.namespace, kind: "Gateway" }],
            },
        };
    }
    return { ingress: { ingressClassName: solver.ingressClassName } };
}
