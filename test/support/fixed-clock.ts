import { Clock } from '../../src/common/clock';

/** A clock the test moves by hand. */
export class FixedClock extends Clock {
  constructor(public current: Date) {
    super();
  }

  override now(): Date {
    return new Date(this.current);
  }
}
