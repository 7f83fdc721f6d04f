import type { StackEndpoints } from '../../src/dev/endpoints.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEndpoints;
    stackSource: 'environment' | 'testcontainers' | 'native';
  }
}

export {};
