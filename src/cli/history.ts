import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../config/config.ts';

/**
 * `oms history export`: the first step of changing a workflow. Histories of today's runs, saved
 * under test/logic/histories/, are replayed against every later version of the code
 * (docs/workflows.md, "Changing a workflow").
 */
export function registerHistoryCommand(program: Command): void {
  const history = program.command('history').description('Workflow histories, for replay tests');
  history
    .command('export')
    .description('Write a running or closed workflow run\'s history as JSON, its payloads decrypted (it holds customer data)')
    .argument('<workflowId>', 'e.g. order-ORD-1001')
    .option('--run-id <id>', 'a run other than the latest')
    .option('--out <file>', 'write here instead of stdout')
    .action(async (workflowId: string, options: { runId?: string; out?: string }) => {
      const { createTemporalClient, payloadCodec, temporalSettings } = await import('../temporal/factory.ts');
      const { exportHistory } = await import('../temporal/history-export.ts');
      const settings = temporalSettings(loadConfig());
      const client = await createTemporalClient(settings);
      try {
        const json = await exportHistory(client, settings.encryption === 'off' ? undefined : payloadCodec(settings.encryption), workflowId, options.runId);
        const text = `${JSON.stringify(json, null, 2)}\n`;
        if (options.out) await writeFile(options.out, text);
        else process.stdout.write(text);
      } finally {
        await client.connection.close();
      }
    });
}
