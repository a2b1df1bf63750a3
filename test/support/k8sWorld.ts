/**
 * The world the k8s stack is deployed into by the lifecycle tests, through the real Pulumi CLI and the real Kubernetes
 * provider: a real API server (test/support/cluster.ts: PodSecurity, RBAC, the upstream CRDs, a KWOK node), the charts
 * from a loopback Helm repository (test/support/charts.ts) named by actors:chartRepository, a real registry on
 * loopback for the image, and a checkout of the project with its own stack. Runs in a loopback-only network namespace
 * (tools/netns-run; npm run test:lifecycle).
 *
 * The CloudNativePG operator is not installed (actors:installCnpgOperator false): its CRDs are, as on a cluster that
 * already runs it. Nothing here runs the operator or its webhooks (docs/testing.md).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { copyProject, removeProject } from "../../tools/checkout";
import { ChartRepository, serveCharts } from "./charts";
import { ControlPlane, startControlPlane } from "./cluster";
import { SENTINEL } from "./helpers";
import { PulumiStack } from "./pulumi";
import { Registry, startRegistry } from "./registry";

export interface K8sWorld {
    cp: ControlPlane;
    charts: ChartRepository;
    registry: Registry;
    /** A folder of the world's own, removed at stop. */
    work: string;
    stack: PulumiStack;
    /** GET an API path (undefined when it is not found). */
    get(apiPath: string): Promise<any>;
    stop(): Promise<void>;
}

export async function startK8sWorld(): Promise<K8sWorld> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "actors-k8s-"));
    const cp = await startControlPlane(path.join(work, "cluster"));
    const charts = await serveCharts();
    // The image is built (podman) and pushed to a real registry on loopback; KWOK never pulls it.
    const registry = await startRegistry();
    const dir = copyProject();
    // Every generated password starts with SENTINEL (the random stand-in), so a plain one can be searched for.
    const stack = await PulumiStack.open(dir, "k8s", {
        KUBECONFIG: cp.kubeconfig,
        ACTORS_RANDOM_SENTINEL: SENTINEL,
        ...registry.env,
    });
    await stack.setConfig({
        "actors:imageRepository": `${registry.host}/actors`,
        "actors:kubeContext": cp.context,
        "actors:chartRepository": charts.url,
        "actors:installCnpgOperator": "false",
    });
    return {
        cp,
        charts,
        registry,
        work,
        stack,
        get: (apiPath) => cp.api.get(apiPath),
        stop: async () => {
            stack.dispose();
            removeProject(dir);
            await charts.stop();
            await registry.stop();
            await cp.stop();
            fs.rmSync(work, { recursive: true, force: true });
        },
    };
}
