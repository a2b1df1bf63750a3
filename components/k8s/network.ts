import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { APP_SELECTOR } from "./labels";
import { APP_PORT } from "./web";

export interface NetworkArgs {
    namespace: pulumi.Input<string>;
    serviceName: pulumi.Input<string>;
    host: string;
    ingressClassName: string;
    tlsClusterIssuer: string;
}

/**
 * How traffic reaches the app: namespace-wide default deny for ingress, the app's port open to the cluster (the
 * ingress controller lives elsewhere), and an Ingress for the public host with a cert-manager certificate.
 */
export class AppNetwork extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:k8s:AppNetwork", name, {}, opts);
        const parent = { parent: this };

        new k8s.networking.v1.NetworkPolicy(
            `${name}-default-deny`,
            { metadata: { name: "default-deny-ingress", namespace: args.namespace }, spec: { podSelector: {}, policyTypes: ["Ingress"] } },
            parent,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-web`,
            {
                metadata: { name: "actors-web-ingress", namespace: args.namespace },
                spec: {
                    podSelector: { matchLabels: { ...APP_SELECTOR, "app.kubernetes.io/component": "web" } },
                    policyTypes: ["Ingress"],
                    ingress: [{ ports: [{ protocol: "TCP", port: APP_PORT }] }],
                },
            },
            parent,
        );

        if (args.host) {
            const tls = args.tlsClusterIssuer !== "";
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
                                        { path: "/", pathType: "Prefix", backend: { service: { name: args.serviceName, port: { name: "http" } } } },
                                    ],
                                },
                            },
                        ],
                        ...(tls ? { tls: [{ hosts: [args.host], secretName: "actors-web-tls" }] } : {}),
                    },
                },
                parent,
            );
            this.url = pulumi.output(`${tls ? "https" : "http"}://${args.host}/`);
        } else {
            this.url = pulumi.interpolate`http://${args.serviceName}.${args.namespace}.svc.cluster.local/`;
        }
        this.registerOutputs({ url: this.url });
    }
}
