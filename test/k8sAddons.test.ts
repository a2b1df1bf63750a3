import * as fs from "fs";
import * as path from "path";
import { podSpecOf, restrictedViolations } from "../policy/podSecurity";
import {
    asKubernetesObject,
    compileSchema,
    ProgramRun,
    readReference,
    ROOT,
    runProgram,
    stackConfig,
    validateKubernetesObject,
} from "./helpers";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const base = stackConfig("k8s");
const objects = (run: ProgramRun) => run.resources.map(asKubernetesObject).filter((o): o is Record<string, any> => !!o);
const ofKind = (run: ProgramRun, kind: string) => objects(run).filter((o) => o.kind === kind);
const chart = (run: ProgramRun, name: string) => run.byType(RELEASE).find((r) => r.inputs.chart === name)?.inputs;

let off: ProgramRun;
let ingress: ProgramRun;
let gateway: ProgramRun;
beforeAll(async () => {
    off = await runProgram(base);
    const common = {
        ...base,
        "actors:ingressHost": "actors.example.com",
        "actors:installCertManager": "true",
        "actors:letsEncryptEmail": "ops@example.com",
        "actors:tlsClusterIssuer": "letsencrypt-production",
        "actors:installTraefik": "true",
        "actors:installKubePrometheusStack": "true",
    };
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

    it("pins every chart", () => {
        const pinned = Object.fromEntries(
            ingress.byType(RELEASE).map((r) => [r.inputs.chart, [r.inputs.version, r.inputs.repositoryOpts.repo]]),
        );
        expect(pinned).toEqual({
            "cloudnative-pg": ["0.29.0", "https://cloudnative-pg.github.io/charts"],
            cluster: ["0.8.1", "https://cloudnative-pg.github.io/charts"],
            "cert-manager": ["v1.21.1", "https://charts.jetstack.io"],
            traefik: ["41.3.0", "https://traefik.github.io/charts"],
            "kube-prometheus-stack": ["85.1.2", "https://prometheus-community.github.io/helm-charts"],
        });
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

function release(run: ProgramRun, name: string) {
    return run.byType(RELEASE).find((r) => r.inputs.chart === name)!.inputs;
}
