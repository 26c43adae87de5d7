import { IntegerField } from './fields';

/** The `:id` of a lead or a source: a positive integer, or a 400 naming the field. */
export class IdParams {
  @IntegerField({ required: true })
  id!: number;
}
