/** The stacks' `tools` output: what tools outside the program (npm run move-data) need to find the database and the
 * app. Read with `pulumi stack output tools --json`; it holds no secret. */

/** The k8s stack's: names from components/k8s/names.ts. */
export interface K8sToolsOutput {
    platform: "k8s";
    /** kubeconfig context the stack deploys to; "" means kubectl's current context. */
    kubeContext: string;
    namespace: string;
    dbCluster: string;
    dbAppSecret: string;
    dbRwService: string;
    webDeployment: string;
    webPodSelector: string;
}

/** What the heroku stack exports for tools. */
export interface HerokuToolsOutput {
    platform: "heroku";
    app: string;
}

export type ToolsOutput = K8sToolsOutput | HerokuToolsOutput;
