import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces moved into an encoded payload, which the payload codec then
 * encrypts: a message such as "no stock for <sku> at <address>" must not sit in history as plain text.
 * The SDK loads this by path (DataConverter.failureConverterPath), in the workflow bundle too.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
