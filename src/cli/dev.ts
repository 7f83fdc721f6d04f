import type { Command } from 'commander';
import { composeDown, composeStatus, composeUp } from '../dev/docker/compose.ts';
import { endpointsToEnvLines } from '../dev/endpoints.ts';
import { nativeDown, nativeInstall, nativeStatus, nativeUp } from '../dev/native/stack.ts';

/** Progress goes to stderr so that stdout carries only the endpoint lines: `eval "$(oms dev up)"` works. */
const progress = (line: string) => console.error(`[dev] ${line}`);

export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('Run the local stack: Kafka, schema registry, Temporal and Redis on 127.0.0.1');

  dev
    .command('install')
    .description('Fetch the native stack (Kafka jars, Apicurio Registry, Temporal CLI) into the cache without starting it')
    .action(async () => nativeInstall({ progress }));

  dev
    .command('up')
    .description('Start the stack (or reuse what is running), wait until healthy, print endpoints as env lines')
    .option('--docker', 'use docker compose with docker-compose.yml instead of native processes')
    .action(async (options: { docker?: boolean }) => {
      const endpoints = options.docker ? await composeUp() : (await nativeUp({ progress })).endpoints;
      console.log(endpointsToEnvLines(endpoints).join('\n'));
    });

  dev
    .command('down')
    .description('Stop what `oms dev up` started (by pid), and nothing else')
    .option('--docker', 'stop the docker compose stack')
    .action(async (options: { docker?: boolean }) => {
      if (options.docker) return composeDown();
      const stopped = await nativeDown({ progress });
      progress(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing of ours was running');
    });

  dev
    .command('status')
    .description('Show which services are up')
    .option('--docker', 'show the docker compose stack')
    .action(async (options: { docker?: boolean }) => {
      if (options.docker) return composeStatus();
      const { services, endpoints } = await nativeStatus();
      for (const service of services) {
        const pid = service.pid ? `pid ${service.pid}` : '';
        console.log(`${service.name.padEnd(16)} ${service.state.padEnd(22)} ${pid.padEnd(11)} log ${service.logFile}`);
      }
      if (services.every((service) => service.state === 'up')) console.log(endpointsToEnvLines(endpoints).join('\n'));
      else process.exitCode = 3;
    });
}
