/**
 * Builds app/ once, outside the lifecycle tests' network namespace (which has no package mirror), so that every build
 * inside it finds its package layers cached: `npm run test:lifecycle` runs this first.
 */
import { warmImageCache } from "./registry";

warmImageCache().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
