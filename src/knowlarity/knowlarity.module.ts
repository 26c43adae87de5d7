import { Module } from '@nestjs/common';
import { CallNormalizer } from './call-normalizer';
import { KnowlarityClient } from './knowlarity-client';
import { KnowlarityStreamClient } from './knowlarity-stream.client';

/**
 * Knowlarity behind injectables: the call-log client, the live stream client, and the normaliser with this account's
 * settings. The normaliser itself stays plain functions (no Nest, no database) beside it.
 */
@Module({
  providers: [KnowlarityClient, KnowlarityStreamClient, CallNormalizer],
  exports: [KnowlarityClient, KnowlarityStreamClient, CallNormalizer],
})
export class KnowlarityModule {}
