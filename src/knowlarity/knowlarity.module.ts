import { Module } from '@nestjs/common';
import { KnowlarityClient } from './knowlarity-client';

/**
 * Knowlarity's HTTP APIs behind injectables. The normaliser beside it stays plain functions
 * (no Nest, no database), so every transport and test can use it directly.
 */
@Module({
  providers: [KnowlarityClient],
  exports: [KnowlarityClient],
})
export class KnowlarityModule {}
