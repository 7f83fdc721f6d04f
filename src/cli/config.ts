import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { describeConfig, envExample } from '../config/describe.ts';

export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description('Print the effective configuration (secrets masked), or with --example the .env.example template')
    .option('--example', 'print the .env.example template instead')
    .action((options: { example?: boolean }) => {
      if (options.example) return void process.stdout.write(envExample());
      // Validate first: a bad value gets the same one-line error as at start-up.
      loadConfig();
      for (const entry of describeConfig(process.env)) {
        console.log(`${entry.variable}=${entry.value ?? ''}${entry.source === 'environment' ? '' : `  # ${entry.source}`}`);
      }
    });
}
