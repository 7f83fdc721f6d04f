// Types of what tests import from eslint.config.js (plain JavaScript, as ESLint loads it).
export declare const LAYERS: string[][];
declare const config: unknown;
export default config;
