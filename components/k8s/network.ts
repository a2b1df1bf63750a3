import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WEB_SELECTOR } from "./labels";
import { APP_PORT } from "./web";

export const APP_GATEWAY = "actors-web";
const TLS_SECRET = "actors-web-tls";

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

        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, defaultDenyArgs(args), parent);
        new k8s.networking.v1.NetworkPolicy(`${name}-web`, webPolicyArgs(args), parent);

        const routeOpts = { parent: this, dependsOn: args.dependsOn ?? [] };
        if (args.host && args.routing === "gateway") {
            new k8s.apiextensions.CustomResource(`${name}-gateway`, gatewayArgs(args), routeOpts);
            new k8s.apiextensions.CustomResource(`${name}-route`, httpRouteArgs(args), routeOpts);
        } else if (args.host) {
            new k8s.networking.v1.Ingress(`${name}-ingress`, ingressArgs(args), routeOpts);
        }
        this.url = appUrl(args);
        this.registerOutputs({ url: this.url });
    }
}

const withTls = (args: NetworkArgs) => args.tlsClusterIssuer !== "";

/** cert-manager issues the host's certificate from this issuer (its ingress-shim or gateway-shim). */
const issuerAnnotations = (args: NetworkArgs): Record<string, string> =>
    withTls(args) ? { "cert-manager.io/cluster-issuer": args.tlsClusterIssuer } : {};

/** The public URL: the host (https with a certificate), or the Service's in-cluster name without one. */
function appUrl(args: NetworkArgs): pulumi.Output<string> {
    if (args.host) return pulumi.output(`${withTls(args) ? "https" : "http"}://${args.host}/`);
    return pulumi.interpolate`http://${args.serviceName}.${args.namespace}.svc.cluster.local/`;
}

function defaultDenyArgs(args: NetworkArgs): k8s.networking.v1.NetworkPolicyArgs {
    return {
        metadata: { name: "default-deny-ingress", namespace: args.namespace },
        spec: { podSelector: {}, policyTypes: ["Ingress"] },
    };
}

function webPolicyArgs(args: NetworkArgs): k8s.networking.v1.NetworkPolicyArgs {
    return {
        metadata: { name: "actors-web-ingress", namespace: args.namespace },
        spec: {
            podSelector: { matchLabels: WEB_SELECTOR },
            policyTypes: ["Ingress"],
            ingress: [{ ports: [{ protocol: "TCP", port: APP_PORT }] }],
        },
    };
}

function gatewayArgs(args: NetworkArgs): k8s.apiextensions.CustomResourceArgs {
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: APP_GATEWAY, namespace: args.namespace, annotations: issuerAnnotations(args) },
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
                ...(withTls(args)
                    ? [
                          {
                              name: "https",
                              protocol: "HTTPS",
                              port: 443,
                              hostname: args.host,
                              tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: TLS_SECRET }] },
                              allowedRoutes: { namespaces: { from: "Same" } },
                          },
                      ]
                    : []),
            ],
        },
    };
}

function httpRouteArgs(args: NetworkArgs): k8s.apiextensions.CustomResourceArgs {
    return {
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
    };
}

function ingressArgs(args: NetworkArgs): k8s.networking.v1.IngressArgs {
    return {
        metadata: { name: "actors-web", namespace: args.namespace, annotations: issuerAnnotations(args) },
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
            ...(withTls(args) ? { tls: [{ hosts: [args.host], secretName: TLS_SECRET }] } : {}),
        },
    };
}
