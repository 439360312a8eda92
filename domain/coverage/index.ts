/**
 * Monitoring coverage, pure: the seven dimensions evaluated set-based over an inventory, summaries
 * and ranking for the digest, rule templates and the heatmap raster. No I/O, no clock.
 */
export * from './types.ts';
export * from './promql.ts';
export * from './resolve.ts';
export * from './alerting.ts';
export * from './monitoring.ts';
export * from './history.ts';
export * from './evaluate.ts';
export * from './summary.ts';
export * from './rule-templates.ts';
export * from './heatmap.ts';
export * from './inventory.ts';
