/**
 * Names of the Kubernetes objects that tools outside the program address (npm run move-data): derived here once,
 * used by the program to create them and exported as the stack's `tools` output, so a tool never guesses them.
 * Leaf module: no Pulumi imports, so the command loads it without the SDK.
 */
import type { K8sToolsOutput } from "../toolsOutput";
import { WEB_SELECTOR } from "./labels";

/** The web Deployment (also its Service, autoscaler and disruption budget). */
export const WEB_DEPLOYMENT = "actors-web";

/** CloudNativePG's names for a cluster: the read-write service and the app's secret (key `uri`). */
export const dbRwService = (cluster: string) => `${cluster}-rw`;
export const dbAppSecret = (cluster: string) => `${cluster}-app`;

/** The label selector of the web pods, as kubectl's -l takes it. */
const WEB_POD_SELECTOR = Object.entries(WEB_SELECTOR)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** The k8s stack's `tools` output. */
export function k8sToolsOutput(kubeContext: string, namespace: string, dbCluster: string): K8sToolsOutput {
    return {
        platform: "k8s",
        kubeContext,
        namespace,
        dbCluster,
        dbAppSecret: dbAppSecret(dbCluster),
        dbRwService: dbRwService(dbCluster),
        webDeployment: WEB_DEPLOYMENT,
        webPodSelector: WEB_POD_SELECTOR,
    };
}
