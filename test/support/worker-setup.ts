import { hideKnownKafkajsWarning } from '../../src/observability/known-warnings.ts';

hideKnownKafkajsWarning();
