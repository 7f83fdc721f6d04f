// The worker bundles this file: every workflow type the service runs is exported here.
export { OrderProcessingWorkflow } from './order-processing.ts';
export { PaymentValidationWorkflow } from './payment-validation.ts';
