import * as pulumi from "@pulumi/pulumi";
import type { AppImage } from "./appImage";
import type { Settings } from "./config";
import { HerokuStack } from "./heroku/herokuStack";
import { K8sStack } from "./k8s/k8sStack";

/** What every platform's stack exports: the URL, the image it runs, and where it runs (namespace or app name). */
export interface DeployedStack {
    url: pulumi.Output<string>;
    image: pulumi.Output<string>;
    target: pulumi.Output<string>;
}

export function deployStack(settings: Settings, image: AppImage): DeployedStack {
    if (settings.platform === "heroku") {
        const stack = new HerokuStack("heroku", { settings, image });
        return { url: stack.url, image: stack.image, target: stack.appName };
    }
    const stack = new K8sStack("k8s", { settings, image });
    return { url: stack.url, image: stack.image, target: stack.namespace };
}
