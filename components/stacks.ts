import type * as pulumi from "@pulumi/pulumi";
import type { AppImage } from "./appImage";
import type { Settings } from "./config";
import { DatabaseGuard, type DatabaseIdentity } from "./databaseGuard";
import { DestroyGuard } from "./destroyGuard";
import { k8sToolsOutput } from "./k8s/names";
import type { ToolsOutput } from "./toolsOutput";
import type { DeployedStack } from "./platformStack";
import type * as HerokuStackModule from "./heroku/herokuStack";
import type * as K8sStackModule from "./k8s/k8sStack";

/**
 * Loads only the chosen platform's code (and its providers' SDKs): evaluation does not pay for the other one. The
 * platform's resources wait for the database guard, so a refused change of the database's identity applies nothing;
 * and every resource is a dependency of the destroy guard, so a refused `pulumi destroy` deletes nothing.
 */
export function deployStack(settings: Settings, image: AppImage): DeployedStack {
    const guard = (stack: pulumi.Resource) =>
        new DestroyGuard("destroy-guard", { protectDatabase: settings.protectDatabase }, { dependsOn: [image, stack] });
    const databaseGuard = (identity: DatabaseIdentity) => ({
        dependsOn: [new DatabaseGuard("database-guard", { protectDatabase: settings.protectDatabase, identity })],
    });
    if (settings.platform === "heroku") {
        const { HerokuStack, herokuDatabaseIdentity } = require("./heroku/herokuStack") as typeof HerokuStackModule;
        const stack = new HerokuStack("heroku", { settings, image }, databaseGuard(herokuDatabaseIdentity(settings)));
        guard(stack);
        const tools = stack.appName.apply((app): ToolsOutput => ({ platform: "heroku", app }));
        return { url: stack.url, image: stack.image, appName: stack.appName, dnsTarget: stack.dnsTarget, tools };
    }
    const { K8sStack, k8sDatabaseIdentity } = require("./k8s/k8sStack") as typeof K8sStackModule;
    const stack = new K8sStack("k8s", { settings, image }, databaseGuard(k8sDatabaseIdentity(settings)));
    guard(stack);
    const tools = stack.namespace.apply((ns) => k8sToolsOutput(settings.kubeContext, ns, settings.dbClusterName));
    return { url: stack.url, image: stack.image, namespace: stack.namespace, tools };
}
