import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';

const FORMATS = ['table', 'kafka-acls', 'strimzi'] as const;

export function registerAclCommands(program: Command): void {
  const acl = program.command('acl').description("Kafka ACLs: what each role's principal needs");
  acl
    .command('plan')
    .description('Print the ACLs each role needs for the configured topics and group (nothing is contacted): a table, kafka-acls commands, or Strimzi KafkaUsers')
    .option('--format <format>', `one of ${FORMATS.join(', ')}`, 'table')
    .option('--bootstrap-server <hosts>', 'for --format kafka-acls (default: KAFKA_BROKERS)')
    .action(async (options: { format: string; bootstrapServer?: string }) => {
      if (!(FORMATS as readonly string[]).includes(options.format)) throw new Error(`--format: expected one of ${FORMATS.join(', ')}, got "${options.format}"`);
      const config = loadConfig();
      const { accessPlan } = await import('../service/access-plan.ts');
      const { kafkaAclsCommands, strimziUsersYaml } = await import('../service/strimzi-resources.ts');
      if (options.format === 'strimzi') return void process.stdout.write(strimziUsersYaml(config));
      if (options.format === 'kafka-acls') return void console.log(kafkaAclsCommands(config, options.bootstrapServer ?? config.kafka.brokers?.join(',') ?? '$BOOTSTRAP').join('\n'));
      for (const access of accessPlan(config)) {
        console.log(`${access.role} (${access.principal})`);
        for (const grant of access.grants) console.log(`  ${grant.operations.join(',').padEnd(12)} ${grant.resource} ${grant.name}${grant.pattern === 'prefixed' ? '*' : ''}   # ${grant.why}`);
      }
    });
}
