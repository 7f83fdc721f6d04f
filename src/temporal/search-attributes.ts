import type { Client } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';
import proto from '@temporalio/proto';

/**
 * A workflow that upserts an unregistered search attribute fails its workflow task over and over, so
 * a worker checks the namespace at start and stops with one line that says how to register it.
 */
export async function requireSearchAttribute(client: Client, key: SearchAttributeKey<SearchAttributeType>): Promise<void> {
  const { namespace } = client.options;
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const registered = customAttributes?.[key.name];
  if (registered === proto.temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]) return;
  const type = key.type.charAt(0) + key.type.slice(1).toLowerCase();
  throw new Error(
    registered === undefined
      ? `TEMPORAL: search attribute ${key.name} is not registered on namespace ${namespace}; register it once: temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type ${type}`
      : `TEMPORAL: search attribute ${key.name} on namespace ${namespace} is not of type ${type}`,
  );
}
