import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';

export function registerSloRulesCommand(program: Command): void {
  program
    .command('slo-rules')
    .description('Print the PrometheusRule of the order SLOs (burn-rate alerts with runbooks) for SLO_FULFILLMENT_SECONDS, SLO_FULFILLMENT_OBJECTIVE and SLO_FAILURE_OBJECTIVE')
    .action(async () => {
      const { sloRulesYaml } = await import('../observability/slo-rules.ts');
      process.stdout.write(sloRulesYaml(loadConfig().slo));
    });
}
