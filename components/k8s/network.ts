import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WEB_SELECTOR } from "./labels";
import { APP_PORT } from "./web";

export const APP_GATEWAY = "actors-web";
export const TLS_SECRET = "actors-web-tls";

export interface NetworkArgs {
    namespace: pulumi.Input<string>;
    serviceName: pulumi.Input<string>;
    host: string;
    /** Route the host with an Ingress, or with Gateway API (a Gateway and an HTTPRoute). */
    routing: "ingress" | "gateway";
    ingressClassName: string;
    gatewayClassName: string;
    tlsClusterIssuer: string;
    /** Controllers and issuers the routes need first (when this stack installs them). */
    dependsOn?: pulumi.Resource[];
}

/**
 * How traffic reaches the app: namespace-wide default deny for ingress, the app's port open to the cluster (the
 * ingress controller lives elsewhere), and the public host routed by an Ingress or by a Gateway and an HTTPRoute,
 * with a certificate from a cert-manager ClusterIssuer.
 */
export class AppNetwork extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:k8s:AppNetwork", name, {}, opts);
        const parent = { parent: this };

        new k8s.networking.v1.NetworkPolicy(
            `${name}-default-deny`,
            {
                metadata: { name: "default-deny-ingress", namespace: args.namespace },
                spec: { podSelector: {}, policyTypes: ["Ingress"] },
            },
            parent,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-web`,
            {
                metadata: { name: "actors-web-ingress", namespace: args.namespace },
                spec: {
                    podSelector: { matchLabels: WEB_SELECTOR },
                    policyTypes: ["Ingress"],
                    ingress: [{ ports: [{ protocol: "TCP", port: APP_PORT }] }],
                },
            },
            parent,
        );

        const tls = args.tlsClusterIssuer !== "";
        const routeOpts = { parent: this, dependsOn: args.dependsOn ?? [] };
        if (args.host && args.routing === "gateway") {
            new k8s.apiextensions.CustomResource(
                `${name}-gateway`,
                {
                    apiVersion: "gateway.networking.k8s.io/v1",
                    kind: "Gateway",
                    metadata: {
                        name: APP_GATEWAY,
                        namespace: args.namespace,
                        // cert-manager's gateway-shim issues the listener's certificate from this issuer.
                        annotations: tls ? { "cert-manager.io/cluster-issuer": args.tlsClusterIssuer } : {},
                    },
                    spec: {
                        gatewayClassName: args.gatewayClassName,
                        listeners: [
                            {
                                name: "http",
                                protocol: "HTTP",
                                port: 80,
                                hostname: args.host,
                                allowedRoutes: { namespaces: { from: "Same" } },
                            },
                            ...(tls
                                ? [
                                      {
                                          name: "https",
                                          protocol: "HTTPS",
                                          port: 443,
                                          hostname: args.host,
                                          tls: {
                                              mode: "Terminate",
                                              certificateRefs: [{ kind: "Secret", name: TLS_SECRET }],
                                          },
                                          allowedRoutes: { namespaces: { from: "Same" } },
                                      },
                                  ]
                                : []),
                        ],
                    },
                },
                routeOpts,
            );
            new k8s.apiextensions.CustomResource(
                `${name}-route`,
                {
                    apiVersion: "gateway.networking.k8s.io/v1",
                    kind: "HTTPRoute",
                    metadata: { name: "actors-web", namespace: args.namespace },
                    spec: {
                        parentRefs: [{ name: APP_GATEWAY }],
                        hostnames: [args.host],
                        rules: [
                            {
                                matches: [{ path: { type: "PathPrefix", value: "/" } }],
                                backendRefs: [{ name: args.serviceName, port: 80 }],
                            },
                        ],
                    },
                },
                routeOpts,
            );
            this.url = pulumi.output(`${tls ? "https" : "http"}://${args.host}/`);
        } else if (args.host) {
            new k8s.networking.v1.Ingress(
                `${name}-ingress`,
                {
                    metadata: {
                        name: "actors-web",
                        namespace: args.namespace,
                        annotations: tls ? { "cert-manager.io/cluster-issuer": args.tlsClusterIssuer } : {},
                    },
                    spec: {
                        ...(args.ingressClassName ? { ingressClassName: args.ingressClassName } : {}),
                        rules: [
                            {
                                host: args.host,
                                http: {
                                    paths: [
                                        {
                                            path: "/",
                                            pathType: "Prefix",
                                            backend: { service: { name: args.serviceName, port: { name: "http" } } },
                                        },
                                    ],
                                },
                            },
                        ],
                        ...(tls ? { tls: [{ hosts: [args.host], secretName: TLS_SECRET }] } : {}),
                    },
                },
                routeOpts,
            );
            this.url = pulumi.output(`${tls ? "https" : "http"}://${args.host}/`);
        } else {
            this.url = pulumi.interpolate`http://${args.serviceName}.${args.namespace}.svc.cluster.local/`;
        }
        this.registerOutputs({ url: this.url });
    }
}
