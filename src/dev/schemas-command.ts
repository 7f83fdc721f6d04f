import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EVENT_DATA_SCHEMAS, type EventType } from '../event/catalog.ts';
import { eventJsonSchema, eventSchemaFile } from '../event/json-schemas.ts';
import { repoRoot } from './native/paths.ts';

export const eventSchemasDir = path.join(repoRoot, 'schemas', 'events');

export function registerSchemaCommands(program: Command): void {
  program
    .command('schemas')
    .description('Schema files of the inbound contract')
    .command('write')
    .description('Write schemas/events/*.schema.json from the validation schemas in src/event/catalog.ts')
    .action(async () => {
      await mkdir(eventSchemasDir, { recursive: true });
      for (const type of Object.keys(EVENT_DATA_SCHEMAS) as EventType[]) {
        const file = path.join(eventSchemasDir, eventSchemaFile(type));
        await writeFile(file, `${JSON.stringify(eventJsonSchema(type), null, 2)}\n`);
        console.log(file);
      }
    });
}
