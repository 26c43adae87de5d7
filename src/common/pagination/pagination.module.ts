import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { internalApiConfig } from '../../config';
import { CursorCodec } from './cursor';
import { deriveCursorKey } from './cursor-key';

/** The cursor codec for keyset-paged look-ups, keyed from configuration. */
@Module({
  providers: [
    {
      provide: CursorCodec,
      inject: [internalApiConfig.KEY],
      useFactory: (config: ConfigType<typeof internalApiConfig>) =>
        new CursorCodec(deriveCursorKey(config.keys)),
    },
  ],
  exports: [CursorCodec],
})
export class PaginationModule {}
