import type * as pulumi from "@pulumi/pulumi";
import type { AppImage } from "./appImage";
import type { Settings } from "./config";
import type { ToolsOutput } from "./toolsOutput";

/** What every platform's stack is given: the checked settings and the one image. */
export interface PlatformStackArgs {
    settings: Settings;
    image: AppImage;
}

/** What every platform's stack exports: the URL, the image it runs, and where it runs (namespace or app name). */
export interface DeployedStack {
    url: pulumi.Output<string>;
    image: pulumi.Output<string>;
    namespace?: pulumi.Output<string>;
    appName?: pulumi.Output<string>;
    /** Heroku with a custom domain: the DNS target to point its CNAME/ALIAS record at. */
    dnsTarget?: pulumi.Output<string>;
    /** What tools such as move-data need to find this stack's database and app (no secret). */
    tools: pulumi.Output<ToolsOutput>;
}
