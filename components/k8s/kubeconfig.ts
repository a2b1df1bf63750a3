import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/**
 * What the Kubernetes provider would deploy to, checked before it is asked to: the kubeconfig (KUBECONFIG's files, or
 * ~/.kube/config), the context (`actors:kubeContext`, or the current one) and whether its API server answers. The
 * provider itself reports a missing context or an unreachable cluster as a warning during preview and carries on;
 * here either fails `pulumi preview` with one line that names the setting.
 */
export interface KubeconfigView {
    files: string[];
    currentContext: string;
    /** context name -> its cluster's server URL ("" when the cluster is missing) */
    contexts: Map<string, string>;
}

/** The kubeconfig files client-go reads: KUBECONFIG's list (those that exist), else ~/.kube/config. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
    if (env.KUBECONFIG) return env.KUBECONFIG.split(path.delimiter).filter((f) => f && fs.existsSync(f));
    const home = path.join(env.HOME ?? os.homedir(), ".kube", "config");
    return fs.existsSync(home) ? [home] : [];
}

/** Merges the files as client-go does: the first file that names a context, a cluster or current-context wins. */
export function readKubeconfig(files: string[]): KubeconfigView {
    let currentContext = "";
    const contexts = new Map<string, string>();
    const clusters = new Map<string, string>();
    const contextCluster = new Map<string, string>();
    for (const file of files) {
        const doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, any>;
        if (!currentContext && typeof doc["current-context"] === "string") currentContext = doc["current-context"];
        for (const c of doc.clusters ?? [])
            if (c?.name && !clusters.has(c.name)) clusters.set(c.name, String(c.cluster?.server ?? ""));
        for (const c of doc.contexts ?? [])
            if (c?.name && !contextCluster.has(c.name)) contextCluster.set(c.name, String(c.context?.cluster ?? ""));
    }
    for (const [name, cluster] of contextCluster) contexts.set(name, clusters.get(cluster) ?? "");
    return { files, currentContext, contexts };
}

/** The context and server to deploy to, or the one-line problem with `actors:kubeContext`. */
export function kubeTarget(kubeContext: string, view: KubeconfigView): { context: string; server: string } | string {
    const where = view.files.length ? `the kubeconfig (${view.files.join(path.delimiter)})` : "no kubeconfig";
    const known = [...view.contexts.keys()].map((c) => JSON.stringify(c)).join(", ");
    const choose = known ? `set it to one of ${known}` : "point KUBECONFIG at your cluster's kubeconfig";
    if (!view.files.length)
        return `actors:kubeContext ${kubeContext ? `is "${kubeContext}" but there is` : "is empty and there is"} ${where} (KUBECONFIG is unset and ~/.kube/config does not exist): point KUBECONFIG at your cluster's kubeconfig`;
    const context = kubeContext || view.currentContext;
    if (!context) return `actors:kubeContext is empty and ${where} has no current context: ${choose}`;
    if (!view.contexts.has(context))
        return kubeContext
            ? `actors:kubeContext is "${kubeContext}", which is not a context in ${where}: ${choose}, or leave it empty for the current context`
            : `actors:kubeContext is empty and the current context "${context}" is not defined in ${where}: ${choose}`;
    const server = view.contexts.get(context)!;
    if (!/^https?:\/\//.test(server))
        return `actors:kubeContext ${kubeContext ? `"${context}"` : `is empty; the current context "${context}"`} names no cluster server in ${where}`;
    return { context, server };
}

/**
 * Whether something accepts a TCP connection at the server's host and port within `timeoutMs`: undefined when it
 * does, else why not. Synchronous (a short child process), so that the program fails before it declares anything.
 */
function serverProblem(server: string, timeoutMs = 5000): string | undefined {
    const url = new URL(server);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const probe = `const s = require("net").connect(${port}, ${JSON.stringify(host)});
        s.setTimeout(${timeoutMs}, () => { process.stdout.write("no answer within ${timeoutMs / 1000} s"); process.exit(1); });
        s.on("connect", () => process.exit(0));
        s.on("error", (e) => { process.stdout.write(e.code || e.message); process.exit(1); });`;
    const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", timeout: timeoutMs + 5000 });
    return r.status === 0 ? undefined : r.stdout || r.error?.message || "no answer";
}

/**
 * Checks the target cluster for a real deployment: throws a RunError (one line, naming actors:kubeContext) when the
 * kubeconfig has no such context or its API server does not answer.
 */
export function checkKubeTarget(kubeContext: string, env: NodeJS.ProcessEnv = process.env): void {
    if (kubeconfigFiles(env).length === 0 && !kubeContext && env.KUBERNETES_SERVICE_HOST) return; // in-cluster
    const target = kubeTarget(kubeContext, readKubeconfig(kubeconfigFiles(env)));
    if (typeof target === "string") throw new pulumi.RunError(target);
    const problem = serverProblem(target.server);
    if (problem)
        throw new pulumi.RunError(
            `actors:kubeContext ${kubeContext ? `"${target.context}"` : `is empty; the current context "${target.context}"`}: its API server ${target.server} is unreachable (${problem}): start the cluster, or set actors:kubeContext to a reachable one`,
        );
}
