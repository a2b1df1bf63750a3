import type * as pulumi from "@pulumi/pulumi";
import type { AppImage } from "./appImage";
import type { Settings } from "./config";
import { DestroyGuard } from "./destroyGuard";
import { k8sToolsOutput } from "./k8s/names";
import type { ToolsOutput } from "./toolsOutput";
import type { DeployedStack } from "./platformStack";
import type { HerokuStack as HerokuStackType } from "./heroku/herokuStack";
import type { K8sStack as K8sStackType } from "./k8s/k8sStack";

/**
 * Loads only the chosen platform's code (and its providers' SDKs): evaluation does not pay for the other one. Every
 * resource is a dependency of the destroy guard, so a refused `pulumi destroy` deletes nothing.
 */
export function deployStack(settings: Settings, image: AppImage): DeployedStack {
    const guard = (stack: pulumi.Resource) =>
        new DestroyGuard("destroy-guard", { protectDatabase: settings.protectDatabase }, { dependsOn: [image, stack] });
    if (settings.platform === "heroku") {
        const { HerokuStack } = require("./heroku/herokuStack") as { HerokuStack: typeof HerokuStackType };
        const stack = new HerokuStack("heroku", { settings, image });
        guard(stack);
        const tools = stack.appName.apply((app): ToolsOutput => ({ platform: "heroku", app }));
        return { url: stack.url, image: stack.image, appName: stack.appName, dnsTarget: stack.dnsTarget, tools };
    }
    const { K8sStack } = require("./k8s/k8sStack") as { K8sStack: typeof K8sStackType };
    const stack = new K8sStack("k8s", { settings, image });
    guard(stack);
    const tools = stack.namespace.apply((ns) => k8sToolsOutput(settings.kubeContext, ns, settings.dbClusterName));
    return { url: stack.url, image: stack.image, namespace: stack.namespace, tools };
}
