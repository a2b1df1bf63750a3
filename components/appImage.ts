import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import type { Settings } from "./config";
import { contextHash } from "./contextHash";

export interface AppImageArgs {
    /** The build context (app/). */
    context: string;
    /** Repository to push to, such as ghcr.io/acme/actors; omit to keep the image in the local engine only. */
    repository?: string;
    /** Credentials for the repository's registry; without them the engine's own login (docker login) is used. */
    registry?: { server: string; username: string; password: pulumi.Input<string> };
    /** Overrides the Dockerfile's BASE_IMAGE build argument (debian:trixie-slim). */
    baseImage?: string;
}

/** Every image is built for the platform both Kubernetes nodes and Heroku dynos run. */
export const IMAGE_PLATFORM = "linux/amd64";
/** Local name of the image when it is not pushed anywhere. */
const LOCAL_REPOSITORY = "actors";

/**
 * AppImage builds app/ once for linux/amd64, tags it by the hash of every input of the build (the context's files,
 * the Dockerfile, the build arguments, the platform: a change to any gives a new tag, nothing else does) and, with a
 * repository, pushes it and pins it by digest. A new tag is what rolls the Kubernetes Deployment and what makes the
 * Heroku release; the same tag from another checkout or machine changes nothing.
 */
export class AppImage extends pulumi.ComponentResource {
    /** The content tag: sha-<first 16 hex digits of the context hash>. */
    readonly tag: string;
    /** repository:tag (or actors:tag when kept local). */
    readonly imageName: pulumi.Output<string>;
    /** What workloads should run: repository@sha256:... when pushed, the local name:tag otherwise. */
    readonly ref: pulumi.Output<string>;
    /** Whether the image was pushed to a registry (else it lives only in the local engine). */
    readonly pushed: boolean;

    constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:image:AppImage", name, {}, opts);
        // Relative to the project directory, where Pulumi runs the program: the same commit checked out elsewhere gives
        // the same inputs, so the image is not rebuilt and pushed again.
        const context = path.relative(process.cwd(), path.resolve(args.context)).split(path.sep).join("/") || ".";
        const buildArgs = args.baseImage ? { BASE_IMAGE: args.baseImage } : undefined;
        this.tag = `sha-${contextHash(context, { dockerfile: "Dockerfile", args: buildArgs, platform: IMAGE_PLATFORM }).slice(0, 16)}`;
        this.pushed = Boolean(args.repository);
        const name_ = `${args.repository ?? LOCAL_REPOSITORY}:${this.tag}`;
        const image = new docker.Image(
            name,
            {
                imageName: name_,
                build: {
                    context,
                    dockerfile: `${context}/Dockerfile`,
                    platform: IMAGE_PLATFORM,
                    // The classic builder pushes a plain Docker v2 schema 2 manifest with no provenance or SBOM
                    // attestations, which Heroku's registry requires; it builds this Dockerfile identically.
                    builderVersion: "BuilderV1",
                    args: buildArgs,
                },
                skipPush: !this.pushed,
                registry: args.registry
                    ? {
                          server: args.registry.server,
                          username: args.registry.username,
                          password: pulumi.secret(args.registry.password),
                      }
                    : undefined,
            },
            { parent: this },
        );
        this.imageName = image.imageName;
        this.ref = this.pushed ? image.repoDigest : image.imageName;
        this.registerOutputs({ tag: this.tag, imageName: this.imageName, ref: this.ref });
    }
}

/** The registry host of a repository such as ghcr.io/acme/actors (docker.io when it names none). */
export function registryServer(repository: string): string {
    const first = repository.split("/")[0];
    return /[.:]/.test(first) || first === "localhost" ? first : "docker.io";
}

/** Where the image goes for the chosen platform. Heroku's registry is pushed by the release, after the app exists. */
export function appImageArgs(
    settings: Pick<
        Settings,
        "platform" | "localImage" | "imageRepository" | "imageRegistryUsername" | "imageRegistryPassword"
    >,
    context: string,
): AppImageArgs {
    if (settings.platform !== "k8s" || settings.localImage) return { context };
    const server = registryServer(settings.imageRepository);
    return {
        context,
        repository: settings.imageRepository,
        registry:
            settings.imageRegistryUsername && settings.imageRegistryPassword
                ? { server, username: settings.imageRegistryUsername, password: settings.imageRegistryPassword }
                : undefined,
    };
}
