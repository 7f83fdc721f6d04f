import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { configReference, describeConfig, envExample } from '../config/describe.ts';

export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description('Print the effective configuration (secrets masked), or with --example the .env.example template, or with --markdown the reference in docs/configuration.md')
    .option('--example', 'print the .env.example template instead')
    .option('--markdown', 'print the configuration reference (docs/configuration.md) instead')
    .action((options: { example?: boolean; markdown?: boolean }) => {
      if (options.example) return void process.stdout.write(envExample());
      if (options.markdown) return void process.stdout.write(configReference());
      // Validate first: a bad value gets the same one-line error as at start-up.
      for (const line of loadConfig().warnings) console.error(`oms: warning: ${line}`);
      for (const entry of describeConfig(process.env)) {
        console.log(`${entry.variable}=${entry.value ?? ''}${entry.source === 'environment' ? '' : `  # ${entry.source}`}`);
      }
    });
}
