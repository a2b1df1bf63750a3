/** One end of a move: its database, and the platform's own way of stopping the app's writes. */
import { Conn } from "./pg";

export type Platform = "k8s" | "heroku";
export const PLATFORMS: Platform[] = ["k8s", "heroku"];

/** The platform's state before a freeze: what a thaw puts back (kept in the freeze marker, so a later run can). */
export type PlatformState = { kind: "k8s"; replicas: number } | { kind: "heroku"; maintenance: boolean };

export interface Side {
    platform: Platform;
    /** Where the database is, for messages ("cluster actors-db, namespace actors, context kind-actors"). */
    where: string;
    /** Connection settings; `reconnect` may change them (a new port-forward). */
    conn: Conn;
    /** The platform's state now (replicas / maintenance mode). */
    platformState(): Promise<PlatformState>;
    /** Stops the app's writes on the platform (idempotent). */
    freezePlatform(log: (line: string) => void): Promise<void>;
    /** Puts the platform back to `before` (idempotent). */
    thawPlatform(before: PlatformState, log: (line: string) => void): Promise<void>;
    /** A state in words: "deployment/actors-web at 0 replicas", "maintenance mode on". */
    describeState(state: PlatformState): string;
    /** Commands that put the platform back to `before` by hand. */
    manualThaw(before: PlatformState): string[];
    /** Re-establishes the way to the database when it broke (a port-forward that died); a no-op otherwise. */
    reconnect(): Promise<void>;
    /** Releases what discovery holds open (a port-forward). */
    close(): Promise<void>;
}
