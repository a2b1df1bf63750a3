/**
 * Every Helm chart this program installs, pinned to one version, in one place. Each comes from its upstream
 * repository, or, with `actors:chartRepository` set, from that one mirror under the same name and version (an
 * air-gapped cluster's Helm repository or OCI registry).
 */
export interface PinnedChart {
    chart: string;
    version: string;
    /** The upstream Helm repository. */
    repo: string;
    /**
     * How long Helm may wait for the release's objects (and hooks) to become ready, in seconds. Helm's default is
     * 300 s; each chart states what it waits for, so a heavy chart is not rolled back half-installed.
     */
    timeoutSeconds: number;
}

const CNPG_REPO = "https://cloudnative-pg.github.io/charts";
const PROMETHEUS_COMMUNITY_REPO = "https://prometheus-community.github.io/helm-charts";

export const CHARTS = {
    cnpgOperator: {
        chart: "cloudnative-pg",
        version: "0.29.0",
        repo: CNPG_REPO,
        // CRDs, then the operator Deployment and its admission webhook must be ready.
        timeoutSeconds: 600,
    },
    cnpgCluster: {
        chart: "cluster",
        version: "0.8.1",
        repo: CNPG_REPO,
        // Helm waits for the Cluster object only; the operator creates the PostgreSQL pods afterwards (a restore can
        // take hours, and is followed by the app's readiness probe, not by Helm).
        timeoutSeconds: 300,
    },
    /** The Barman Cloud plugin (CNPG-I): backups and WAL archiving to object storage, and restores from them. */
    barmanCloudPlugin: {
        chart: "plugin-barman-cloud",
        version: "0.7.0",
        repo: CNPG_REPO,
        // The plugin's pod starts only after cert-manager has issued its server and client certificates.
        timeoutSeconds: 600,
    },
    certManager: {
        chart: "cert-manager",
        version: "v1.21.1",
        repo: "https://charts.jetstack.io",
        // The controller, cainjector and webhook start, then the startupapicheck hook Job retries until the webhook
        // answers (its own budget is about 5 minutes): more than Helm's default 300 s on a cold cluster.
        timeoutSeconds: 600,
    },
    traefik: {
        chart: "traefik",
        version: "41.3.0",
        repo: "https://traefik.github.io/charts",
        // Two controller replicas behind a PodDisruptionBudget: a rolling start, well inside Helm's default.
        timeoutSeconds: 300,
    },
    kubePrometheusStack: {
        chart: "kube-prometheus-stack",
        version: "88.5.3",
        repo: PROMETHEUS_COMMUNITY_REPO,
        // The operator and its admission webhook (with its certificate hook Jobs), Grafana, kube-state-metrics and a
        // node-exporter pod on every node: well past Helm's default 300 s on a busy or large cluster.
        timeoutSeconds: 1200,
    },
    /**
     * The Prometheus Operator's CRDs as a chart of their own, at the operator version kube-prometheus-stack runs (both
     * charts' appVersion is v0.93.1). Helm installs a chart's `crds/` directory once and never upgrades it; this
     * chart ships them as templates, so every upgrade of the pin upgrades the CRDs, before kube-prometheus-stack's.
     */
    prometheusOperatorCrds: {
        chart: "prometheus-operator-crds",
        version: "31.0.1",
        repo: PROMETHEUS_COMMUNITY_REPO,
        timeoutSeconds: 300,
    },
} as const satisfies Record<string, PinnedChart>;

/** Where Helm fetches a pinned chart: its upstream repository, or the mirror (an http(s) repository or oci://). */
export function chartSource(pinned: PinnedChart, mirror: string): { chart: string; repo?: string } {
    if (mirror === "") return { chart: pinned.chart, repo: pinned.repo };
    if (mirror.startsWith("oci://")) return { chart: `${mirror.replace(/\/+$/, "")}/${pinned.chart}` };
    return { chart: pinned.chart, repo: mirror };
}
