import { DynamicModule, Global, Module } from '@nestjs/common';
import { BACKGROUND_JOBS } from './background-jobs';
import { Clock } from './clock';

@Global()
@Module({})
export class CommonModule {
  static forRoot(options: { backgroundJobs: boolean }): DynamicModule {
    return {
      module: CommonModule,
      providers: [Clock, { provide: BACKGROUND_JOBS, useValue: options.backgroundJobs }],
      exports: [Clock, BACKGROUND_JOBS],
    };
  }
}
