import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { ACCEPT_DOCKER_RELEASES, HerokuClient, Release } from "./api";
import {
    changedKeys,
    Created,
    DiffResult,
    herokuResource,
    HerokuResourceProvider,
    Updated,
    waitFor,
} from "./herokuResource";

/** Pushes a locally built image to Heroku's registry under each target name. */
export interface ImagePusher {
    push(localImage: string, targets: string[], registryHost: string, apiKey: string): Promise<void>;
}

/**
 * The docker CLI, as `heroku container:push` uses it, with a throwaway DOCKER_CONFIG holding the registry login
 * (user `_`, the API key): nothing is written to the user's own Docker config, and the key is never an argument.
 */
export const dockerCliPusher: ImagePusher = {
    async push(localImage, targets, registryHost, apiKey) {
        const run = promisify(execFile);
        const docker = process.env.DOCKER_CLI ?? "docker";
        const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-docker-"));
        try {
            const auth = Buffer.from(`_:${apiKey}`).toString("base64");
            fs.writeFileSync(
                path.join(configDir, "config.json"),
                JSON.stringify({ auths: { [registryHost]: { auth } } }),
                { mode: 0o600 },
            );
            const env = { ...process.env, DOCKER_CONFIG: configDir };
            for (const target of targets) {
                await run(docker, ["tag", localImage, target], { env });
                try {
                    await run(docker, ["push", target], { env, maxBuffer: 16 * 1024 * 1024 });
                } catch (err: any) {
                    throw new Error(
                        `docker push ${target} failed: ${String(err.stderr ?? err.message)
                            .split(apiKey)
                            .join("[redacted]")
                            .trim()}`,
                    );
                }
            }
        } finally {
            fs.rmSync(configDir, { recursive: true, force: true });
        }
    },
};

export interface HerokuReleaseInputs {
    appId: string;
    appName: string;
    /**
     * The locally built image (AppImage's name:tag, whose tag covers every input of the build: context, Dockerfile,
     * build arguments, platform). A new one is the only thing that triggers a release.
     */
    image: string;
    /** Process types released from the image: web, and release for the release phase (migrations). */
    processTypes: string[];
    releaseTimeoutMs?: number;
}

export interface HerokuReleaseOutputs extends HerokuReleaseInputs {
    /** Image config digest per process type, as released. */
    digests: Record<string, string>;
    releaseId: string;
    releaseVersion: number;
    status: string;
}

export class HerokuReleaseProvider extends HerokuResourceProvider<HerokuReleaseInputs, HerokuReleaseOutputs> {
    constructor(
        clientFactory?: () => HerokuClient,
        private readonly pusher: ImagePusher = dockerCliPusher,
    ) {
        super(clientFactory);
    }

    async create(inputs: HerokuReleaseInputs): Promise<Created<HerokuReleaseOutputs>> {
        const outs = await this.release(inputs);
        return { id: outs.releaseId, outs };
    }

    async diff(id: string, olds: HerokuReleaseOutputs, news: HerokuReleaseInputs): Promise<DiffResult> {
        return { changes: changedKeys(olds, news, ["image", "appId", "processTypes"]).length > 0, replaces: [] };
    }

    async update(
        id: string,
        olds: HerokuReleaseOutputs,
        news: HerokuReleaseInputs,
    ): Promise<Updated<HerokuReleaseOutputs>> {
        return { outs: await this.release(news) };
    }

    async delete(): Promise<void> {
        // Releases are Heroku's history of the app; they go when the app goes.
    }

    async release(inputs: HerokuReleaseInputs): Promise<HerokuReleaseOutputs> {
        const api = this.api();
        const targets = inputs.processTypes.map((type) => `${api.registryHost}/${inputs.appName}/${type}`);
        await this.pusher.push(inputs.image, targets, api.registryHost, api.apiKey);
        const digests: Record<string, string> = {};
        for (const type of inputs.processTypes)
            digests[type] = (await api.manifest(inputs.appName, type)).config.digest;
        await api.request("PATCH", `/apps/${inputs.appId}/formation`, {
            accept: ACCEPT_DOCKER_RELEASES,
            body: { updates: inputs.processTypes.map((type) => ({ type, docker_image: digests[type] })) },
        });
        const [latest] = await api.request<Release[]>("GET", `/apps/${inputs.appId}/releases`, {
            range: "version ..; order=desc, max=1",
        });
        if (!latest) throw new Error(`Heroku created no release for ${inputs.appName}`);
        const done = await waitFor(
            `release v${latest.version} of ${inputs.appName}`,
            async () => {
                const release = await api.request<Release>("GET", `/apps/${inputs.appId}/releases/${latest.id}`);
                return release.status === "pending" ? undefined : release;
            },
            inputs.releaseTimeoutMs ?? 20 * 60_000,
            Math.min(3000, Math.max(50, (inputs.releaseTimeoutMs ?? 60_000) / 100)),
        );
        if (done.status !== "succeeded") {
            const output = done.output_stream_url
                ? await api.releaseOutput(done.output_stream_url)
                : "(no release output)";
            throw new Error(
                `release v${done.version} of ${inputs.appName} ${done.status}; the previous release keeps serving.\nRelease output:\n${output.trim()}`,
            );
        }
        return { ...inputs, digests, releaseId: done.id, releaseVersion: done.version, status: done.status };
    }
}

/** The image released to the app's process types (web, and release for the release phase). */
export class HerokuRelease extends herokuResource<HerokuReleaseInputs, HerokuReleaseOutputs>("ContainerRelease", {
    legacyType: "ContainerRelease",
    outputs: ["digests", "releaseId", "releaseVersion", "status"],
}) {}
