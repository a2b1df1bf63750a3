import { Formation } from "./api";
import {
    changedKeys,
    Created,
    DiffResult,
    herokuResource,
    HerokuResourceProvider,
    Read,
    Updated,
} from "./herokuResource";

export interface HerokuFormationInputs {
    appId: string;
    /** Process type -> quantity and dyno size. */
    processes: Record<string, { quantity: number; size: string }>;
}

function updates(processes: HerokuFormationInputs["processes"]) {
    return Object.entries(processes).map(([type, p]) => ({ type, quantity: p.quantity, dyno_size: { name: p.size } }));
}

/** Quantity and dyno size per process type, applied in one batch PATCH. */
export class HerokuFormationProvider extends HerokuResourceProvider<HerokuFormationInputs, HerokuFormationInputs> {
    async create(inputs: HerokuFormationInputs): Promise<Created<HerokuFormationInputs>> {
        await this.api().request<Formation[]>("PATCH", `/apps/${inputs.appId}/formation`, {
            body: { updates: updates(inputs.processes) },
        });
        return { id: `${inputs.appId}/formation`, outs: inputs };
    }

    async read(id: string, props: HerokuFormationInputs): Promise<Read<HerokuFormationInputs>> {
        const formation = await this.api().list<Formation>(`/apps/${props.appId}/formation`);
        const processes = Object.fromEntries(
            formation
                .filter((f) => f.type in props.processes)
                .map((f) => [f.type, { quantity: f.quantity, size: (f.dyno_size?.name ?? f.size).toLowerCase() }]),
        );
        return { id, props: { ...props, processes } };
    }

    async diff(id: string, olds: HerokuFormationInputs, news: HerokuFormationInputs): Promise<DiffResult> {
        return {
            changes: changedKeys(olds, news, ["appId", "processes"]).length > 0,
            replaces: changedKeys(olds, news, ["appId"]),
        };
    }

    async update(
        id: string,
        olds: HerokuFormationInputs,
        news: HerokuFormationInputs,
    ): Promise<Updated<HerokuFormationInputs>> {
        await this.api().request<Formation[]>("PATCH", `/apps/${news.appId}/formation`, {
            body: { updates: updates(news.processes) },
        });
        return { outs: news };
    }

    async delete(id: string, props: HerokuFormationInputs): Promise<void> {
        // The dynos go with the app; scaling to zero first would only cause downtime during a replace.
    }
}

export class HerokuFormation extends herokuResource<HerokuFormationInputs, HerokuFormationInputs>("Formation", {
    legacyType: "HerokuFormation",
    outputs: [],
}) {}
