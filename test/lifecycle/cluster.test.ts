/**
 * The test control plane itself (test/support/cluster.ts), before anything is deployed on it: a real API server that
 * judges objects (PodSecurity restricted, the CRDs' schemas), and a KWOK node on which Deployments become Ready and
 * Jobs complete. Run it through tools/netns-run: `tools/netns-run npx jest test/lifecycle/cluster.test.ts`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ControlPlane, networkInterfaces, startControlPlane } from "../support/cluster";
import { waitFor } from "../support/kubeApi";

jest.setTimeout(180_000);

let cp: ControlPlane;
let dir: string;
beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-cluster-"));
    cp = await startControlPlane(dir);
});
afterAll(async () => {
    await cp?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const NS = "restricted-check";
const restrictedPod = {
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
        {
            name: "main",
            image: "registry.invalid/never-pulled:1",
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
    ],
};

beforeAll(async () => {
    await cp.api.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name: NS,
            labels: {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    });
    // The namespace's default ServiceAccount, which pods need, comes from the controller manager.
    await waitFor(
        "the namespace's default ServiceAccount",
        () => cp.api.get(`/api/v1/namespaces/${NS}/serviceaccounts/default`),
        60_000,
    );
});

it("runs in a network namespace with nothing but loopback", () => {
    expect(networkInterfaces()).toEqual(["lo"]);
});

it("serves the stamped Kubernetes version (charts with a kubeVersion constraint accept it)", async () => {
    const version = await cp.api.get("/version");
    expect(version.gitVersion).toBe("v1.37.2");
});

it("runs a restricted-compliant Deployment to Ready on the KWOK node", async () => {
    const created = await cp.api.create({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: NS },
        spec: {
            replicas: 2,
            selector: { matchLabels: { app: "web" } },
            template: { metadata: { labels: { app: "web" } }, spec: restrictedPod },
        },
    });
    expect(created.status).toBe(201);
    const ready = await waitFor(
        "the Deployment's 2 replicas Ready",
        async () => {
            const d = await cp.api.get(`/apis/apps/v1/namespaces/${NS}/deployments/web`);
            return d?.status?.readyReplicas === 2 ? d : undefined;
        },
        90_000,
    );
    expect(ready.status.availableReplicas).toBe(2);
    const pods = await cp.api.get(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb`);
    expect(pods.items.map((p: any) => [p.spec.nodeName, p.status.phase])).toEqual([
        ["kwok-node-0", "Running"],
        ["kwok-node-0", "Running"],
    ]);
});

it("completes a Job", async () => {
    const created = await cp.api.create({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "once", namespace: NS },
        spec: { backoffLimit: 0, template: { spec: { ...restrictedPod, restartPolicy: "Never" } } },
    });
    expect(created.status).toBe(201);
    const done = await waitFor(
        "the Job Complete",
        async () => {
            const j = await cp.api.get(`/apis/batch/v1/namespaces/${NS}/jobs/once`);
            return j?.status?.conditions?.some((c: any) => c.type === "Complete" && c.status === "True")
                ? j
                : undefined;
        },
        90_000,
    );
    expect(done.status.succeeded).toBe(1);
});

it("refuses a Pod that breaks PodSecurity restricted, naming the violation", async () => {
    const refused = await cp.api.create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "privileged", namespace: NS },
        spec: {
            ...restrictedPod,
            containers: [{ ...restrictedPod.containers[0], securityContext: { privileged: true } }],
        },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/violates PodSecurity "restricted:latest": privileged/);
});

it("judges custom resources by the upstream CRD schema (CloudNativePG Cluster)", async () => {
    const cluster = (spec: Record<string, unknown>) => ({
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: { name: "db", namespace: NS },
        spec,
    });
    const refused = await cp.api.create(cluster({ instances: "three", storage: { size: "1Gi" } }));
    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/spec\.instances/);
    expect((await cp.api.create(cluster({ instances: 1, storage: { size: "1Gi" } }))).status).toBe(201);
});

it("gives an Ingress and a LoadBalancer Service the load-balancer status a controller would (KWOK stages), and a ClusterIP Service none", async () => {
    const service = (name: string, type: string) => ({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: NS },
        spec: { type, selector: { app: "web" }, ports: [{ port: 80, targetPort: 8000 }] },
    });
    expect((await cp.api.create(service("web-lb", "LoadBalancer"))).status).toBe(201);
    expect((await cp.api.create(service("web-internal", "ClusterIP"))).status).toBe(201);
    expect(
        (
            await cp.api.create({
                apiVersion: "networking.k8s.io/v1",
                kind: "Ingress",
                metadata: { name: "web", namespace: NS },
                spec: {
                    rules: [
                        {
                            host: "actors.example.com",
                            http: {
                                paths: [
                                    {
                                        path: "/",
                                        pathType: "Prefix",
                                        backend: { service: { name: "web-internal", port: { number: 80 } } },
                                    },
                                ],
                            },
                        },
                    ],
                },
            })
        ).status,
    ).toBe(201);
    const addressOf = (apiPath: string) =>
        waitFor(
            `${apiPath} .status.loadBalancer.ingress`,
            async () => (await cp.api.get(apiPath))?.status?.loadBalancer?.ingress,
            60_000,
        );
    expect(await addressOf(`/api/v1/namespaces/${NS}/services/web-lb`)).toEqual([
        expect.objectContaining({ ip: "127.0.0.1" }),
    ]);
    expect(await addressOf(`/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/web`)).toEqual([
        expect.objectContaining({ ip: "127.0.0.1" }),
    ]);
    const internal = await cp.api.get(`/api/v1/namespaces/${NS}/services/web-internal`);
    expect(internal.status?.loadBalancer?.ingress).toBeUndefined();
});
