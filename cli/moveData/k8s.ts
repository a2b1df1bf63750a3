/**
 * The Kubernetes side: the CloudNativePG cluster's app secret (key `uri`) and its `-rw` service, reached through
 * `kubectl port-forward` from outside the cluster (directly from inside it); writes stopped by scaling the web
 * Deployment to 0. The HorizontalPodAutoscaler leaves a Deployment at 0 replicas alone (it treats 0 as "autoscaling
 * off"). Every kubectl call names the context and the namespace: a later change of kubectl's current context
 * cannot redirect the move.
 */
import { ChildProcess, spawn } from "child_process";
import * as net from "net";
import type { K8sToolsOutput } from "../../components/toolsOutput";
import { children, connFromUrl, redact, run } from "./pg";
import { PlatformState, Side } from "./side";

export interface K8sOptions {
    /** The stack's names (from its `tools` output, flags overriding some); kubeContext resolved, never "". */
    names: K8sToolsOutput;
    /** libpq sslmode for the cluster (CloudNativePG serves TLS; prefer uses it). */
    sslmode: string;
    /** Connect to the service directly instead of port-forwarding (inside the cluster). */
    direct: boolean;
    /** How long to wait for the web pods to go away. */
    scaleTimeoutSeconds: number;
}

const kubectlProgram = () => process.env.KUBECTL ?? "kubectl";

/** kubectl's current context, when the stack names none: resolved once, then passed on every call. */
export async function currentContext(): Promise<string> {
    const { stdout } = await run(kubectlProgram(), ["config", "current-context"], {
        what: "kubectl config current-context",
    });
    return stdout.trim();
}

function kubectl(names: K8sToolsOutput, args: string[], what: string) {
    const prefix = ["--context", names.kubeContext, "--namespace", names.namespace];
    return run(kubectlProgram(), [...prefix, ...args], { what: `kubectl ${what}` });
}

/** Whether something accepts TCP connections on the loopback port (within 2 s). */
function accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port, timeout: 2000 });
        const done = (ok: boolean) => {
            socket.destroy();
            resolve(ok);
        };
        socket.once("connect", () => done(true));
        socket.once("timeout", () => done(false));
        socket.once("error", () => done(false));
    });
}

/** Starts `kubectl port-forward service/<cluster>-rw :5432` and resolves with the local port it chose. */
function portForward(names: K8sToolsOutput): Promise<{ port: number; child: ChildProcess }> {
    const service = `service/${names.dbRwService}`;
    const child = spawn(
        kubectlProgram(),
        ["--context", names.kubeContext, "--namespace", names.namespace, "port-forward", service, ":5432"].concat([
            "--address",
            "127.0.0.1",
        ]),
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.add(child);
    return new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => fail("no port after 30 s"), 30_000);
        const fail = (why: string) => {
            clearTimeout(timer);
            child.kill();
            reject(new Error(redact(`kubectl port-forward ${service} failed: ${why}`)));
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

const k8sWhere = (n: K8sToolsOutput) => `cluster ${n.dbCluster}, namespace ${n.namespace}, context ${n.kubeContext}`;

export async function k8sSide(label: string, opts: K8sOptions): Promise<Side> {
    const n = opts.names;
    const secret = JSON.parse((await kubectl(n, ["get", "secret", n.dbAppSecret, "-o", "json"], "get secret")).stdout);
    const encoded = secret?.data?.uri;
    if (!encoded)
        throw new Error(
            `the secret ${n.dbAppSecret} in namespace ${n.namespace} (context ${n.kubeContext}) has no "uri" key: ` +
                `is the database cluster ${n.dbCluster} deployed?`,
        );
    const url = Buffer.from(encoded, "base64").toString("utf8");
    let forward: ChildProcess | undefined;
    const stopForward = () => {
        if (forward && forward.exitCode === null) {
            forward.removeAllListeners("exit");
            children.delete(forward);
            forward.kill();
        }
    };
    const side: Side = {
        platform: "k8s",
        where: k8sWhere(n),
        conn: connFromUrl(label, url, opts.sslmode),
        async platformState(): Promise<PlatformState> {
            const d = JSON.parse(
                (await kubectl(n, ["get", "deployment", n.webDeployment, "-o", "json"], "get deployment")).stdout,
            );
            return { kind: "k8s", replicas: Number(d.spec?.replicas ?? 1) };
        },
        async freezePlatform(log) {
            log(`k8s: scaling deployment/${n.webDeployment} to 0 replicas`);
            await kubectl(n, ["scale", `deployment/${n.webDeployment}`, "--replicas=0"], "scale");
            const deadline = Date.now() + opts.scaleTimeoutSeconds * 1000;
            for (;;) {
                const pods = (await kubectl(n, ["get", "pods", "-l", n.webPodSelector, "-o", "name"], "get pods"))
                    .stdout;
                if (pods.trim() === "") break;
                if (Date.now() > deadline)
                    throw new Error(
                        `web pods still running ${opts.scaleTimeoutSeconds} s after scaling to 0: ${pods.trim().split("\n").join(", ")}`,
                    );
                await new Promise((r) => setTimeout(r, 1000));
            }
            log(`k8s: no web pods left`);
        },
        async thawPlatform(before, log) {
            if (before.kind !== "k8s") return;
            log(`k8s: scaling deployment/${n.webDeployment} back to ${before.replicas} replicas`);
            await kubectl(n, ["scale", `deployment/${n.webDeployment}`, `--replicas=${before.replicas}`], "scale");
        },
        describeState(state) {
            return state.kind === "k8s" ? `deployment/${n.webDeployment} at ${state.replicas} replicas` : "?";
        },
        manualThaw(before) {
            if (before.kind !== "k8s") return [];
            return [
                `kubectl --context ${n.kubeContext} -n ${n.namespace} scale deployment/${n.webDeployment} --replicas=${before.replicas}`,
            ];
        },
        async reconnect() {
            if (opts.direct) return;
            // A forward whose process is gone, or whose port no longer answers: the exit of a process killed a moment
            // ago may not have reached us yet (seen when pg_dump noticed the closed tunnel first), and a kubectl
            // port-forward can outlive its tunnel.
            const alive = forward && forward.exitCode === null && forward.signalCode === null;
            if (alive && (await accepts(side.conn.port))) return;
            stopForward();
            const { port, child } = await portForward(n);
            forward = child;
            side.conn = { ...side.conn, host: "127.0.0.1", port };
        },
        async close() {
            stopForward();
        },
    };
    await side.reconnect();
    return side;
}
