import * as fs from "fs";
import * as path from "path";
import { podSpecOf, restrictedViolations } from "../../policy/podSecurity";
import {
    asKubernetesObject,
    compileSchema,
    ProgramRun,
    readReference,
    ROOT,
    runProgram,
    stackConfig,
    validateKubernetesObject,
} from "../support/helpers";
import { dependencyNames, readReferenceYaml, resourceOptions, unknownValuePaths } from "../support/k8sSchemas";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const base = stackConfig("k8s");
const objects = (run: ProgramRun) => run.resources.map(asKubernetesObject).filter((o): o is Record<string, any> => !!o);
const ofKind = (run: ProgramRun, kind: string) => objects(run).filter((o) => o.kind === kind);
const chart = (run: ProgramRun, name: string) => run.byType(RELEASE).find((r) => r.inputs.chart === name)?.inputs;

let off: ProgramRun;
let ingress: ProgramRun;
let gateway: ProgramRun;
const common = {
    ...base,
    "actors:ingressHost": "actors.example.com",
    "actors:installCertManager": "true",
    "actors:letsEncryptEmail": "ops@example.com",
    "actors:tlsClusterIssuer": "letsencrypt-production",
    "actors:installTraefik": "true",
    "actors:installKubePrometheusStack": "true",
};
beforeAll(async () => {
    off = await runProgram(base);
    ingress = await runProgram(common);
    gateway = await runProgram({ ...common, "actors:routing": "gateway" });
});

describe("add-ons are off by default", () => {
    it("installs no add-on chart and no add-on object", () => {
        expect(
            off
                .byType(RELEASE)
                .map((r) => r.inputs.chart)
                .sort(),
        ).toEqual(["cloudnative-pg", "cluster"]);
        for (const kind of ["ClusterIssuer", "Gateway", "HTTPRoute", "PodMonitor", "PrometheusRule", "ConfigMap"])
            expect(ofKind(off, kind)).toEqual([]);
    });
});

describe("every add-on on", () => {
    it.each([
        ["ingress", () => ingress],
        ["gateway", () => gateway],
    ])("every object validates against its schema (%s)", (_, run) => {
        for (const obj of objects(run())) expect(() => validateKubernetesObject(obj)).not.toThrow();
        const workloads = objects(run()).filter((o) => podSpecOf(o.kind, o.spec));
        for (const w of workloads) expect(restrictedViolations(podSpecOf(w.kind, w.spec))).toEqual([]);
    });

    it.each([
        ["an http(s) Helm repository", "http://127.0.0.1:8879/charts"],
        ["an OCI registry", "oci://registry.internal:5000/helm"],
    ])("fetches every chart from actors:chartRepository when it names %s", async (_, mirror) => {
        const mirrored = await runProgram({ ...common, "actors:chartRepository": mirror });
        const where = mirrored.byType(RELEASE).map((r) => [r.inputs.chart, r.inputs.version, r.inputs.repositoryOpts]);
        const upstream = ingress.byType(RELEASE).map((r) => [r.inputs.chart, r.inputs.version]);
        expect(where).toEqual(
            upstream.map(([name, version]) =>
                mirror.startsWith("oci://")
                    ? [`${mirror}/${name}`, version, undefined]
                    : [name, version, { repo: mirror }],
            ),
        );
    });

    it("pins every chart", () => {
        const pinned = Object.fromEntries(
            ingress.byType(RELEASE).map((r) => [r.inputs.chart, [r.inputs.version, r.inputs.repositoryOpts.repo]]),
        );
        expect(pinned).toEqual({
            "cloudnative-pg": ["0.29.0", "https://cloudnative-pg.github.io/charts"],
            cluster: ["0.8.1", "https://cloudnative-pg.github.io/charts"],
            "cert-manager": ["v1.21.1", "https://charts.jetstack.io"],
            traefik: ["41.3.0", "https://traefik.github.io/charts"],
            "kube-prometheus-stack": ["88.5.3", "https://prometheus-community.github.io/helm-charts"],
            "prometheus-operator-crds": ["31.0.1", "https://prometheus-community.github.io/helm-charts"],
        });
    });

    it("gives every release a timeout of its own, the heavy kube-prometheus-stack far beyond Helm's 300 s", () => {
        const timeouts = Object.fromEntries(ingress.byType(RELEASE).map((r) => [r.inputs.chart, r.inputs.timeout]));
        for (const [name, timeout] of Object.entries(timeouts))
            expect([name, Number(timeout) >= 300]).toEqual([name, true]);
        expect(timeouts["kube-prometheus-stack"]).toBeGreaterThanOrEqual(900);
        expect(timeouts["cert-manager"]).toBeGreaterThan(300);
    });
});

describe("kube-prometheus-stack and the Prometheus Operator CRDs", () => {
    const kpsChart = readReferenceYaml("kube-prometheus-stack-chart-88.5.3.Chart.yaml");
    const crdsChart = readReferenceYaml("prometheus-operator-crds-chart-31.0.1.Chart.yaml");

    it("pins the versions of the reference charts, whose operator versions match", () => {
        expect(chart(ingress, "kube-prometheus-stack").version).toBe(kpsChart.version);
        expect(chart(ingress, "prometheus-operator-crds").version).toBe(crdsChart.version);
        // The CRDs are those of the operator kube-prometheus-stack runs.
        expect(crdsChart.appVersion).toBe(kpsChart.appVersion);
        expect(kpsChart.dependencies.find((d: any) => d.name === "crds").condition).toBe("crds.enabled");
    });

    it("applies the CRDs from their own release, which Helm upgrades, kept on uninstall", () => {
        const crds = chart(ingress, "prometheus-operator-crds");
        expect(crds.namespace).toBe("monitoring");
        expect(crds.values).toEqual({ crds: { annotations: { "helm.sh/resource-policy": "keep" } } });
        expect(
            unknownValuePaths(crds.values, readReferenceYaml("prometheus-operator-crds-chart-31.0.1.values.yaml"), [
                "crds.annotations",
            ]),
        ).toEqual([]);
        // kube-prometheus-stack itself no longer installs them (Helm would never upgrade them).
        expect(chart(ingress, "kube-prometheus-stack").values.crds).toEqual({ enabled: false });
    });

    it("sets only values the 88.5.3 chart has", () => {
        const values = chart(ingress, "kube-prometheus-stack").values;
        const defaults = readReferenceYaml("kube-prometheus-stack-chart-88.5.3.values.yaml");
        expect(unknownValuePaths(values, defaults)).toEqual([]);
        // The check can fail.
        expect(unknownValuePaths({ prometheus: { prometheusSpec: { retentionn: "1d" } } }, defaults)).toEqual([
            "prometheus.prometheusSpec.retentionn",
        ]);
    });

    it("installs neither chart when a Prometheus already runs", () => {
        expect(chart(off, "prometheus-operator-crds")).toBeUndefined();
        expect(chart(off, "kube-prometheus-stack")).toBeUndefined();
    });

    it.each([
        ["ingress", () => ingress],
        ["gateway", () => gateway],
    ])("cert-manager and Traefik values validate against their charts' schemas (%s)", (_, run) => {
        expect(
            compileSchema(readReference("cert-manager-chart-v1.21.1.values.schema.json"))(
                chart(run(), "cert-manager").values,
            ),
        ).toEqual([]);
        expect(
            compileSchema(
                readReference("traefik-chart-41.3.0.values.schema.json"),
                "2020",
            )(chart(run(), "traefik").values),
        ).toEqual([]);
    });

    it("issues Let's Encrypt certificates, staging and production, over HTTP-01 through the ingress class", () => {
        const issuers = ofKind(ingress, "ClusterIssuer");
        expect(issuers.map((i) => [i.metadata.name, i.spec.acme.server])).toEqual([
            ["letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"],
            ["letsencrypt-production", "https://acme-v02.api.letsencrypt.org/directory"],
        ]);
        expect(issuers[0].spec.acme.solvers).toEqual([{ http01: { ingress: { ingressClassName: "traefik" } } }]);
        const [route] = ofKind(ingress, "Ingress");
        expect(route.spec.ingressClassName).toBe("traefik");
        expect(route.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt-production");
        expect(chart(ingress, "traefik").values.providers.kubernetesGateway.enabled).toBe(false);
    });

    it("routes through Gateway API instead of an Ingress when asked", () => {
        expect(ofKind(gateway, "Ingress")).toEqual([]);
        const [gw] = ofKind(gateway, "Gateway");
        expect(gw.spec.gatewayClassName).toBe("traefik");
        expect(gw.metadata.annotations).toEqual({ "cert-manager.io/cluster-issuer": "letsencrypt-production" });
        expect(gw.spec.listeners.map((l: any) => [l.name, l.port, l.hostname])).toEqual([
            ["http", 80, "actors.example.com"],
            ["https", 443, "actors.example.com"],
        ]);
        const [route] = ofKind(gateway, "HTTPRoute");
        expect(route.spec.parentRefs).toEqual([{ name: "actors-web" }]);
        expect(route.spec.rules[0].backendRefs).toEqual([{ name: "actors-web", port: 80 }]);
        expect(ofKind(gateway, "ClusterIssuer")[0].spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs).toEqual([
            { name: "actors-web", namespace: "actors", kind: "Gateway" },
        ]);
        expect(chart(gateway, "cert-manager").values.config.enableGatewayAPI).toBe(true);
        expect(chart(gateway, "traefik").values.providers.kubernetesGateway.enabled).toBe(true);
        expect(gateway.outputs.url.value).toBe("https://actors.example.com/");
    });

    it("scrapes the app, alerts on error rate and latency, and ships a dashboard for the Grafana sidecar", () => {
        const [monitor] = ofKind(ingress, "PodMonitor");
        expect(monitor.spec.podMetricsEndpoints).toEqual([{ port: "http", path: "/metrics", interval: "30s" }]);
        const rules = ofKind(ingress, "PrometheusRule")[0].spec.groups[0].rules;
        expect(rules.map((r: any) => r.alert)).toEqual([
            "ActorsHighErrorRate",
            "ActorsHighLatency",
            "ActorsDatabaseUnavailable",
        ]);
        expect(rules[0].expr).toContain("> 0.05");
        expect(rules[1].expr).toContain("> 0.5");
        const [dashboard] = ofKind(ingress, "ConfigMap");
        expect(dashboard.metadata.labels).toEqual({ grafana_dashboard: "1" });
        const json = JSON.parse(dashboard.data["actors.json"]);
        expect(json.panels.map((p: any) => p.title)).toEqual([
            "Requests per second by route",
            "Latency",
            "Errors (5xx share) and database unavailable",
            "Database pool",
            "PostgreSQL (CloudNativePG)",
        ]);
        const kps = chart(ingress, "kube-prometheus-stack").values;
        expect(kps.prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues).toBe(false);
        expect(release(ingress, "cluster").values.cluster.monitoring.enabled).toBe(true);
    });

    it("queries only metrics the app really exports", () => {
        const source = fs.readFileSync(path.join(ROOT, "app", "actors", "metrics.py"), "utf8");
        const exported = [...source.matchAll(/(?:Counter|Histogram|Gauge)\(\s*"(actors_[a-z_]+)"/g)].map((m) => m[1]);
        expect(exported.length).toBeGreaterThanOrEqual(4);
        const queries =
            JSON.stringify(ofKind(ingress, "PrometheusRule")) + ofKind(ingress, "ConfigMap")[0].data["actors.json"];
        const used = new Set(
            [...queries.matchAll(/actors_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, "")),
        );
        for (const name of used) expect(exported).toContain(name);
    });
});

describe("order of installation", () => {
    it("CRDs before the charts that use them; cert-manager before the backup plugin; the plugin before the cluster", async () => {
        const options = await resourceOptions(
            {
                ...base,
                "actors:installCertManager": "true",
                "actors:installKubePrometheusStack": "true",
                "actors:backupDestination": "s3://actors-backups/prod",
                "actors:backupAccessKeyId": "id",
                "actors:backupSecretAccessKey": "key",
            },
            ["actors:backupAccessKeyId", "actors:backupSecretAccessKey"],
        );
        expect(dependencyNames(options["k8s-observability-kube-prometheus-stack"])).toEqual([
            "k8s-observability-prometheus-operator-crds",
        ]);
        expect(dependencyNames(options["k8s-db-backup-plugin"])).toEqual(["k8s-db-operator", "k8s-tls-cert-manager"]);
        // The cluster chart's ObjectStore needs the plugin's CRD, and the keys' Secret it names.
        expect(dependencyNames(options["k8s-db-cluster"])).toEqual(
            ["k8s-db-app", "k8s-db-backup-credentials", "k8s-db-backup-plugin", "k8s-db-operator"].sort(),
        );
        // The database (and with it the plugin) waits for the monitoring CRDs its PodMonitor needs.
        expect(dependencyNames(options["k8s-db"])).toEqual(["k8s-observability-kube-prometheus-stack"]);
    });
});

function release(run: ProgramRun, name: string) {
    return run.byType(RELEASE).find((r) => r.inputs.chart === name)!.inputs;
}
