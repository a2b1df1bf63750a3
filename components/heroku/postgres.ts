import { AddOn, ignoreNotFound } from "./api";
import {
    changedKeys,
    Created,
    DiffResult,
    herokuResource,
    HerokuResourceProvider,
    Read,
    Updated,
    waitFor,
} from "./herokuResource";

const POSTGRES_SERVICE = "heroku-postgresql";

export interface HerokuPostgresInputs {
    appId: string;
    plan: string;
    /** Attachment name: DATABASE gives the app DATABASE_URL. */
    attachment: string;
    provisionTimeoutMs?: number;
}

export interface HerokuPostgresOutputs extends HerokuPostgresInputs {
    addonId: string;
    addonName: string;
    state: string;
}

/** Heroku Postgres plans change in place within a tier (essential-0 -> essential-2); across tiers Heroku needs a new
 *  database, so the preview shows a replace. */
export function planTier(plan: string): string {
    return plan.split("-")[0];
}

export class HerokuPostgresProvider extends HerokuResourceProvider<HerokuPostgresInputs, HerokuPostgresOutputs> {
    async create(inputs: HerokuPostgresInputs): Promise<Created<HerokuPostgresOutputs>> {
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

    async read(id: string, props: HerokuPostgresOutputs): Promise<Read<HerokuPostgresOutputs>> {
        const addon = await this.api().find<AddOn>(`/apps/${props.appId}/addons/${id}`);
        if (!addon) return { id: "", props };
        return { id, props: outputs({ ...props, plan: addon.plan.name.replace(`${POSTGRES_SERVICE}:`, "") }, addon) };
    }

    async diff(id: string, olds: HerokuPostgresOutputs, news: HerokuPostgresInputs): Promise<DiffResult> {
        const replaces = changedKeys(olds, news, ["appId", "attachment"]);
        if (planTier(olds.plan) !== planTier(news.plan)) replaces.push("plan");
        return { changes: replaces.length > 0 || olds.plan !== news.plan, replaces };
    }

    async update(
        id: string,
        olds: HerokuPostgresOutputs,
        news: HerokuPostgresInputs,
    ): Promise<Updated<HerokuPostgresOutputs>> {
        await this.api().request<AddOn>("PATCH", `/apps/${news.appId}/addons/${id}`, {
            body: { plan: `${POSTGRES_SERVICE}:${news.plan}` },
        });
        return { outs: outputs(news, await this.provisioned(id, news)) };
    }

    async delete(id: string, props: HerokuPostgresOutputs): Promise<void> {
        await this.api().request("DELETE", `/apps/${props.appId}/addons/${id}`).catch(ignoreNotFound);
    }

    private async attached(inputs: HerokuPostgresInputs): Promise<AddOn | undefined> {
        const addons = await this.api().list<AddOn>(`/apps/${inputs.appId}/addons`);
        return addons.find(
            (a) =>
                a.addon_service.name === POSTGRES_SERVICE &&
                a.state !== "deprovisioned" &&
                a.state !== "deprovisioning",
        );
    }

    private provisioned(id: string, inputs: HerokuPostgresInputs): Promise<AddOn> {
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

function outputs(inputs: HerokuPostgresInputs, addon: AddOn): HerokuPostgresOutputs {
    return { ...inputs, addonId: addon.id, addonName: addon.name, state: addon.state };
}

/** Heroku Postgres, attached to the app (DATABASE gives it DATABASE_URL). */
export class HerokuPostgres extends herokuResource<HerokuPostgresInputs, HerokuPostgresOutputs>("PostgresAddon", {
    legacyType: "PostgresAddon",
    outputs: ["addonId", "addonName", "state"],
}) {}
