import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../charts";
import { pinnedRelease } from "../helm";
import { WEB_SELECTOR } from "../labels";

const MONITORING_NAMESPACE = "monitoring";
/** The label kube-prometheus-stack's Grafana sidecar looks for on dashboard ConfigMaps (its default). */
const GRAFANA_DASHBOARD_LABEL = "grafana_dashboard";

export interface ObservabilityArgs {
    namespace: pulumi.Input<string>;
    databaseCluster: string;
    installKubePrometheusStack: boolean;
    /** `actors:chartRepository`: the mirror the charts come from (empty: upstream). */
    chartRepository: string;
    alertErrorPercent: number;
    alertLatencyMs: number;
}

/**
 * Metrics: kube-prometheus-stack (Helm, optional, after the Prometheus Operator CRDs of the same operator version) or a
 * Prometheus the cluster already runs, a PodMonitor for the app, alert rules for error rate and latency, and a Grafana
 * dashboard as a ConfigMap the Grafana sidecar picks up.
 */
export class Observability extends pulumi.ComponentResource {
    readonly release?: k8s.helm.v3.Release;
    readonly crdsRelease?: k8s.helm.v3.Release;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:k8s:Observability", name, {}, opts);
        if (args.installKubePrometheusStack) {
            // The CRDs first, from a chart that ships them as templates, so Helm upgrades them. CRDs left by a
            // kube-prometheus-stack before 88 (its `crds/` directory) are adopted by hand: docs/troubleshooting.md.
            this.crdsRelease = pinnedRelease(
                `${name}-prometheus-operator-crds`,
                CHARTS.prometheusOperatorCrds,
                {
                    release: "prometheus-operator-crds",
                    namespace: MONITORING_NAMESPACE,
                    createNamespace: true,
                    values: prometheusOperatorCrdsValues(),
                    chartRepository: args.chartRepository,
                },
                { parent: this },
            );
            // Not atomic: the stack's CRDs and webhooks can outlast Helm's wait on a small cluster.
            this.release = pinnedRelease(
                `${name}-kube-prometheus-stack`,
                CHARTS.kubePrometheusStack,
                {
                    release: "kube-prometheus-stack",
                    namespace: MONITORING_NAMESPACE,
                    createNamespace: true,
                    atomic: false,
                    values: kubePrometheusValues(),
                    chartRepository: args.chartRepository,
                },
                { parent: this, dependsOn: [this.crdsRelease] },
            );
        }
        // Monitoring CRDs come with the stack when it is installed here.
        const after = { parent: this, dependsOn: this.release ? [this.release] : [] };
        new k8s.apiextensions.CustomResource(
            `${name}-podmonitor`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PodMonitor",
                metadata: { name: "actors-web", namespace: args.namespace },
                spec: {
                    selector: { matchLabels: WEB_SELECTOR },
                    podMetricsEndpoints: [{ port: "http", path: "/metrics", interval: "30s" }],
                },
            },
            after,
        );
        new k8s.apiextensions.CustomResource(
            `${name}-alerts`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: "actors-web", namespace: args.namespace },
                spec: alertRules(args.namespace, args.alertErrorPercent, args.alertLatencyMs),
            },
            after,
        );
        new k8s.core.v1.ConfigMap(
            `${name}-dashboard`,
            {
                metadata: {
                    name: "actors-dashboard",
                    namespace: args.namespace,
                    labels: { [GRAFANA_DASHBOARD_LABEL]: "1" },
                },
                data: {
                    "actors.json": pulumi
                        .output(args.namespace)
                        .apply((ns) => JSON.stringify(dashboard(ns, args.databaseCluster), null, 1)),
                },
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}

function prometheusOperatorCrdsValues(): Record<string, unknown> {
    // Uninstalling the release (or `pulumi destroy`) keeps the CRDs: deleting a CRD deletes every object of its kind
    // in the cluster, including other teams' monitors.
    return { crds: { annotations: { "helm.sh/resource-policy": "keep" } } };
}

function kubePrometheusValues(): Record<string, unknown> {
    // Select PodMonitors, ServiceMonitors and rules from every namespace, not only the chart's own release label.
    const all = {
        podMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
    };
    return {
        // The CRDs come from the prometheus-operator-crds release, which Helm upgrades.
        crds: { enabled: false },
        prometheus: { prometheusSpec: { ...all, retention: "15d" } },
        grafana: { sidecar: { dashboards: { enabled: true, label: GRAFANA_DASHBOARD_LABEL, searchNamespace: "ALL" } } },
    };
}

function alertRules(namespace: pulumi.Input<string>, errorPercent: number, latencyMs: number) {
    const ns = pulumi.output(namespace);
    return {
        groups: [
            {
                name: "actors-web",
                rules: [
                    {
                        alert: "ActorsHighErrorRate",
                        expr: pulumi.interpolate`sum(rate(actors_http_requests_total{namespace="${ns}",status=~"5.."}[5m])) / sum(rate(actors_http_requests_total{namespace="${ns}"}[5m])) > ${errorPercent / 100}`,
                        for: "10m",
                        labels: { severity: "critical" },
                        annotations: {
                            summary: `More than ${errorPercent}% of requests to actors fail`,
                            runbook: "Check /readyz, the database (kubectl get cluster) and the app's JSON logs.",
                        },
                    },
                    {
                        alert: "ActorsHighLatency",
                        expr: pulumi.interpolate`histogram_quantile(0.99, sum by (le) (rate(actors_http_request_duration_seconds_bucket{namespace="${ns}"}[5m]))) > ${latencyMs / 1000}`,
                        for: "10m",
                        labels: { severity: "warning" },
                        annotations: { summary: `p99 latency of actors above ${latencyMs} ms` },
                    },
                    {
                        alert: "ActorsDatabaseUnavailable",
                        expr: pulumi.interpolate`sum(increase(actors_db_unavailable_total{namespace="${ns}"}[5m])) > 0`,
                        for: "5m",
                        labels: { severity: "critical" },
                        annotations: { summary: "actors answered 503 because PostgreSQL was unreachable" },
                    },
                ],
            },
        ],
    };
}

/** The Grafana dashboard: request rate, latency, errors, the database pool, and PostgreSQL from CloudNativePG. */
function dashboard(namespace: string, cluster: string): Record<string, unknown> {
    const app = `namespace="${namespace}"`;
    const panel = (id: number, title: string, exprs: [string, string][], unit: string, x: number, y: number) => ({
        id,
        title,
        type: "timeseries",
        datasource: { type: "prometheus", uid: "${datasource}" },
        gridPos: { h: 8, w: 12, x, y },
        fieldConfig: { defaults: { unit }, overrides: [] },
        targets: exprs.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), expr, legendFormat })),
    });
    return {
        uid: "actors-web",
        title: "actors",
        schemaVersion: 39,
        tags: ["actors"],
        time: { from: "now-6h", to: "now" },
        templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus" }] },
        panels: [
            panel(
                1,
                "Requests per second by route",
                [[`sum by (route) (rate(actors_http_requests_total{${app}}[5m]))`, "{{route}}"]],
                "reqps",
                0,
                0,
            ),
            panel(
                2,
                "Latency",
                [
                    [
                        `histogram_quantile(0.5, sum by (le) (rate(actors_http_request_duration_seconds_bucket{${app}}[5m])))`,
                        "p50",
                    ],
                    [
                        `histogram_quantile(0.99, sum by (le) (rate(actors_http_request_duration_seconds_bucket{${app}}[5m])))`,
                        "p99",
                    ],
                ],
                "s",
                12,
                0,
            ),
            panel(
                3,
                "Errors (5xx share) and database unavailable",
                [
                    [
                        `sum(rate(actors_http_requests_total{${app},status=~"5.."}[5m])) / sum(rate(actors_http_requests_total{${app}}[5m]))`,
                        "5xx share",
                    ],
                    [`sum(rate(actors_db_unavailable_total{${app}}[5m]))`, "503 db unavailable/s"],
                ],
                "percentunit",
                0,
                8,
            ),
            panel(
                4,
                "Database pool",
                [[`sum by (state) (actors_db_pool_connections{${app}})`, "{{state}}"]],
                "short",
                12,
                8,
            ),
            panel(
                5,
                "PostgreSQL (CloudNativePG)",
                [
                    [`cnpg_collector_up{namespace="${namespace}",cluster="${cluster}"}`, "up {{pod}}"],
                    [`sum by (pod) (cnpg_backends_total{namespace="${namespace}"})`, "backends {{pod}}"],
                    [`max by (pod) (cnpg_pg_replication_lag{namespace="${namespace}"})`, "replication lag {{pod}}"],
                ],
                "short",
                0,
                16,
            ),
        ],
    };
}
