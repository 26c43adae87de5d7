import { Injectable } from '@nestjs/common';

/** The time source, injectable so tests can stand on either side of midnight. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
