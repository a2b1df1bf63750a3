/** One end of a move: its database, and the platform's own way of stopping the app's writes. */
import { Conn } from "./pg";

export type Platform = "k8s" | "heroku";
export const PLATFORMS: Platform[] = ["k8s", "heroku"];

export interface Side {
    platform: Platform;
    /** Where the database is, for messages ("namespace actors", "app actors-1234"). */
    where: string;
    conn: Conn;
    /** Stops the app's writes on the platform (idempotent); records what to put back. */
    freezePlatform(log: (line: string) => void): Promise<void>;
    /** Puts the platform back as it was before freezePlatform (a no-op when it was never frozen). */
    thawPlatform(log: (line: string) => void): Promise<void>;
    /** The platform's state now, in words: "web scaled to 0 (was 2)", "maintenance on (was off)". */
    platformState(): string;
    /** Commands that put the platform back by hand. */
    manualThaw(): string[];
    /** Releases what discovery holds open (a port-forward). */
    close(): Promise<void>;
}
