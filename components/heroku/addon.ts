import * as pulumi from "@pulumi/pulumi";
import { AddOn, HerokuApiError } from "./api";
import { Created, HerokuProvider, Read, Updated, waitFor } from "./provider";

export const POSTGRES_SERVICE = "heroku-postgresql";

export interface PostgresAddonInputs {
    appId: string;
    plan: string;
    /** Attachment name: DATABASE gives the app DATABASE_URL. */
    attachment: string;
    provisionTimeoutMs?: number;
}

export interface PostgresAddonOutputs extends PostgresAddonInputs {
    addonId: string;
    addonName: string;
    state: string;
}

/** Heroku Postgres plans change in place within a tier (essential-0 -> essential-2); across tiers Heroku needs a new
 *  database, so the preview shows a replace. */
export function planTier(plan: string): string {
    return plan.split("-")[0];
}

export class PostgresAddonProvider extends HerokuProvider {
    async create(inputs: PostgresAddonInputs): Promise<Created<PostgresAddonOutputs>> {
        const api = this.api();
        let addon = await this.attached(inputs);
        if (!addon) {
            try {
                addon = await api.request<AddOn>("POST", `/apps/${inputs.appId}/addons`, {
                    body: { plan: `${POSTGRES_SERVICE}:${inputs.plan}`, attachment: { name: inputs.attachment } },
                });
            } catch (err) {
                // Heroku may have provisioned it before failing: never provision a second database.
                addon = await this.attached(inputs);
                if (!addon) throw err;
            }
        }
        const ready = await this.provisioned(addon.id, inputs);
        return { id: ready.id, outs: outputs(inputs, ready) };
    }

    async read(id: string, props: PostgresAddonOutputs): Promise<Read<PostgresAddonOutputs>> {
        const addon = await this.api().find<AddOn>(`/apps/${props.appId}/addons/${id}`);
        if (!addon) return { id: "", props };
        return { id, props: outputs({ ...props, plan: addon.plan.name.replace(`${POSTGRES_SERVICE}:`, "") }, addon) };
    }

    async diff(id: string, olds: PostgresAddonOutputs, news: PostgresAddonInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces: string[] = [];
        if (olds.appId !== news.appId) replaces.push("appId");
        if (olds.attachment !== news.attachment) replaces.push("attachment");
        if (planTier(olds.plan) !== planTier(news.plan)) replaces.push("plan");
        return { changes: replaces.length > 0 || olds.plan !== news.plan, replaces };
    }

    async update(
        id: string,
        olds: PostgresAddonOutputs,
        news: PostgresAddonInputs,
    ): Promise<Updated<PostgresAddonOutputs>> {
        await this.api().request<AddOn>("PATCH", `/apps/${news.appId}/addons/${id}`, {
            body: { plan: `${POSTGRES_SERVICE}:${news.plan}` },
        });
        return { outs: outputs(news, await this.provisioned(id, news)) };
    }

    async delete(id: string, props: PostgresAddonOutputs): Promise<void> {
        try {
            await this.api().request("DELETE", `/apps/${props.appId}/addons/${id}`);
        } catch (err) {
            if (!(err instanceof HerokuApiError && err.status === 404)) throw err;
        }
    }

    private async attached(inputs: PostgresAddonInputs): Promise<AddOn | undefined> {
        const addons = await this.api().list<AddOn>(`/apps/${inputs.appId}/addons`);
        return addons.find(
            (a) =>
                a.addon_service.name === POSTGRES_SERVICE &&
                a.state !== "deprovisioned" &&
                a.state !== "deprovisioning",
        );
    }

    private provisioned(id: string, inputs: PostgresAddonInputs): Promise<AddOn> {
        return waitFor(
            `Heroku Postgres ${id} to be provisioned`,
            async () => {
                const addon = await this.api().request<AddOn>("GET", `/apps/${inputs.appId}/addons/${id}`);
                return addon.state === "provisioned" ? addon : undefined;
            },
            inputs.provisionTimeoutMs ?? 15 * 60_000,
            Math.min(5000, Math.max(50, (inputs.provisionTimeoutMs ?? 60_000) / 60)),
        );
    }
}

function outputs(inputs: PostgresAddonInputs, addon: AddOn): PostgresAddonOutputs {
    return { ...inputs, addonId: addon.id, addonName: addon.name, state: addon.state };
}
