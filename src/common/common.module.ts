import { DynamicModule, Global, Module } from '@nestjs/common';
import { BACKGROUND_JOBS } from './background-jobs';
import { Clock } from './clock';
import { JobTimers } from './scheduled-job';
import { ConnectionArrivals } from './http/connection-arrivals';

@Global()
@Module({})
export class CommonModule {
  static forRoot(options: { backgroundJobs: boolean }): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        Clock,
        JobTimers,
        ConnectionArrivals,
        { provide: BACKGROUND_JOBS, useValue: options.backgroundJobs },
      ],
      exports: [Clock, JobTimers, ConnectionArrivals, BACKGROUND_JOBS],
    };
  }
}
