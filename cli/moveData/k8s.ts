/**
 * The Kubernetes side: the CloudNativePG cluster's app secret (`<cluster>-app`, key `uri`) and its `-rw` service,
 * reached through `kubectl port-forward` from outside the cluster (directly from inside it); writes stopped by
 * scaling the web Deployment to 0. The HorizontalPodAutoscaler leaves a Deployment at 0 replicas alone (it treats
 * 0 as "autoscaling off"), and the replica count before is put back afterwards.
 */
import { ChildProcess, spawn } from "child_process";
import { children, Conn, connFromUrl, redact, run } from "./pg";
import { Side } from "./side";

export const CLUSTER_NAME = "actors-db";
export const WEB_DEPLOYMENT = "actors-web";
const WEB_PODS = "app.kubernetes.io/name=actors,app.kubernetes.io/component=web";

export interface K8sOptions {
    namespace: string;
    context?: string;
    /** libpq sslmode for the cluster (CloudNativePG serves TLS; prefer uses it). */
    sslmode: string;
    /** Connect to the service directly instead of port-forwarding (inside the cluster). */
    direct: boolean;
    /** How long to wait for the web pods to go away. */
    scaleTimeoutSeconds: number;
}

function kubectl(opts: K8sOptions, args: string[], what: string) {
    const prefix = [...(opts.context ? ["--context", opts.context] : []), "--namespace", opts.namespace];
    return run(process.env.KUBECTL ?? "kubectl", [...prefix, ...args], { what: `kubectl ${what}` });
}

/** Starts `kubectl port-forward service/<cluster>-rw :5432` and resolves with the local port it chose. */
function portForward(opts: K8sOptions): Promise<{ port: number; child: ChildProcess }> {
    const prefix = [...(opts.context ? ["--context", opts.context] : []), "--namespace", opts.namespace];
    const child = spawn(
        process.env.KUBECTL ?? "kubectl",
        [...prefix, "port-forward", `service/${CLUSTER_NAME}-rw`, ":5432", "--address", "127.0.0.1"],
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.add(child);
    return new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => fail("no port after 30 s"), 30_000);
        const fail = (why: string) => {
            clearTimeout(timer);
            child.kill();
            reject(new Error(redact(`kubectl port-forward service/${CLUSTER_NAME}-rw failed: ${why}`)));
        };
        const onData = (d: Buffer) => {
            out += d;
            const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 5432/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ port: Number(m[1]), child });
            }
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
        child.on("error", (err) => fail(err.message));
        child.on("exit", (code) => {
            children.delete(child);
            fail(`exited (${code}): ${out.trim()}`);
        });
    });
}

export async function k8sSide(label: string, opts: K8sOptions): Promise<Side> {
    const secret = JSON.parse(
        (await kubectl(opts, ["get", "secret", `${CLUSTER_NAME}-app`, "-o", "json"], "get secret")).stdout,
    );
    const encoded = secret?.data?.uri;
    if (!encoded)
        throw new Error(
            `the secret ${CLUSTER_NAME}-app in namespace ${opts.namespace} has no "uri" key (is the k8s stack deployed?)`,
        );
    const url = Buffer.from(encoded, "base64").toString("utf8");
    let conn: Conn = connFromUrl(label, url, opts.sslmode);
    let forward: ChildProcess | undefined;
    if (!opts.direct) {
        const { port, child } = await portForward(opts);
        forward = child;
        conn = { ...conn, host: "127.0.0.1", port };
    }

    let before: number | undefined;
    let scaledDown = false;
    const deployment = async () =>
        JSON.parse((await kubectl(opts, ["get", "deployment", WEB_DEPLOYMENT, "-o", "json"], "get deployment")).stdout);

    return {
        platform: "k8s",
        where: `namespace ${opts.namespace}${opts.context ? ` (context ${opts.context})` : ""}`,
        conn,
        async freezePlatform(log) {
            if (before === undefined) before = Number((await deployment()).spec?.replicas ?? 1);
            log(`k8s: scaling deployment/${WEB_DEPLOYMENT} from ${before} to 0 replicas`);
            await kubectl(opts, ["scale", `deployment/${WEB_DEPLOYMENT}`, "--replicas=0"], "scale");
            scaledDown = true;
            const deadline = Date.now() + opts.scaleTimeoutSeconds * 1000;
            for (;;) {
                const pods = (
                    await kubectl(opts, ["get", "pods", "-l", WEB_PODS, "-o", "name"], "get pods")
                ).stdout.trim();
                if (pods === "") break;
                if (Date.now() > deadline)
                    throw new Error(
                        `web pods still running ${opts.scaleTimeoutSeconds} s after scaling to 0: ${pods.split("\n").join(", ")}`,
                    );
                await new Promise((r) => setTimeout(r, 1000));
            }
            log(`k8s: no web pods left`);
        },
        async thawPlatform(log) {
            if (!scaledDown || before === undefined) return;
            log(`k8s: scaling deployment/${WEB_DEPLOYMENT} back to ${before} replicas`);
            await kubectl(opts, ["scale", `deployment/${WEB_DEPLOYMENT}`, `--replicas=${before}`], "scale");
            scaledDown = false;
        },
        platformState() {
            if (before === undefined) return `deployment/${WEB_DEPLOYMENT} untouched`;
            return scaledDown
                ? `deployment/${WEB_DEPLOYMENT} scaled to 0 (was ${before})`
                : `deployment/${WEB_DEPLOYMENT} at ${before} replicas, as before`;
        },
        manualThaw() {
            if (before === undefined) return [];
            const ctx = opts.context ? ` --context ${opts.context}` : "";
            return [`kubectl${ctx} -n ${opts.namespace} scale deployment/${WEB_DEPLOYMENT} --replicas=${before}`];
        },
        async close() {
            if (forward && forward.exitCode === null) {
                forward.removeAllListeners("exit");
                children.delete(forward);
                forward.kill();
            }
        },
    };
}
