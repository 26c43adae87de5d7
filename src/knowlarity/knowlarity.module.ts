import { Module } from '@nestjs/common';
import { CallNormalizer } from './call-normalizer';
import { KnowlarityClient } from './knowlarity-client';

/**
 * Knowlarity behind injectables: the call-log client, and the normaliser with this account's
 * settings. The normaliser itself stays plain functions (no Nest, no database) beside it.
 */
@Module({
  providers: [KnowlarityClient, CallNormalizer],
  exports: [KnowlarityClient, CallNormalizer],
})
export class KnowlarityModule {}
