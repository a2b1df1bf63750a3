import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../charts";
import { pinnedRelease } from "../helm";

const CERT_MANAGER_NAMESPACE = "cert-manager";
const LETS_ENCRYPT = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
} as const;

export interface TlsArgs {
    install: boolean;
    /** `actors:chartRepository`: the mirror the chart comes from (empty: upstream). */
    chartRepository: string;
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
                CHARTS.certManager,
                {
                    release: "cert-manager",
                    namespace: CERT_MANAGER_NAMESPACE,
                    createNamespace: true,
                    values: certManagerValues(args.gatewayApi),
                    chartRepository: args.chartRepository,
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

function certManagerValues(gatewayApi: boolean): Record<string, unknown> {
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
